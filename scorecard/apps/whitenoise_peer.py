"""WhiteNoise peer, under waitress (gzip.txt.gz is its precompressed variant of gzip.txt)."""

import sys

from waitress import serve
from whitenoise import WhiteNoise

port, root = int(sys.argv[1]), sys.argv[2]


def fallback(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if path.startswith("/redirect/"):
        start_response("302 Found", [("Location", "/files/" + path[10:]), ("Content-Length", "0")])
        return [b""]
    start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "9")])
    return [b"not found"]


app = WhiteNoise(fallback, root=root, prefix="files/")
serve(app, host="127.0.0.1", port=port, threads=4, _quiet=True)
