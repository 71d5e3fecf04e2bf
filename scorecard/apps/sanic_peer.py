"""Sanic peer: app.static with its defaults."""

import sys

from sanic import Sanic, response

port, root = int(sys.argv[1]), sys.argv[2]
app = Sanic("scorecard")
app.static("/files", root)


@app.get("/redirect/<name:path>")
async def moved(request, name):
    return response.redirect("/files/" + name)


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=port, single_process=True, access_log=False, motd=False)
