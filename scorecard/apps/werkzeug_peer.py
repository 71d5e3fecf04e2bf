"""Flask/Werkzeug peer: send_from_directory on Werkzeug's development server."""

import sys

from flask import Flask, redirect, send_from_directory

port, root = int(sys.argv[1]), sys.argv[2]
app = Flask(__name__)


@app.route("/files/<path:name>")
def files(name):
    return send_from_directory(root, name)


@app.route("/redirect/<path:name>")
def moved(name):
    return redirect("/files/" + name)


app.run(host="127.0.0.1", port=port, threaded=True)
