"""aiohttp peer: UrlDispatcher.add_static."""

import sys

from aiohttp import web

port, root = int(sys.argv[1]), sys.argv[2]


async def moved(request):
    raise web.HTTPFound("/files/" + request.match_info["name"])


app = web.Application()
app.router.add_static("/files", root)
app.router.add_get("/redirect/{name:.*}", moved)
web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)
