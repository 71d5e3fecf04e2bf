"""Starlette peer: StaticFiles under uvicorn."""

import sys

import uvicorn
from starlette.applications import Starlette
from starlette.responses import RedirectResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

port, root = int(sys.argv[1]), sys.argv[2]


async def moved(request):
    return RedirectResponse("/files/" + request.path_params["name"], status_code=302)


app = Starlette(
    routes=[
        Mount("/files", StaticFiles(directory=root)),
        Route("/redirect/{name:path}", moved),
    ]
)
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
