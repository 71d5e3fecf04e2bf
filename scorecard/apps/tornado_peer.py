"""Tornado peer: StaticFileHandler."""

import asyncio
import sys

import tornado.web

port, root = int(sys.argv[1]), sys.argv[2]


async def main():
    app = tornado.web.Application(
        [
            (r"/files/(.*)", tornado.web.StaticFileHandler, {"path": root}),
            (
                r"/redirect/(.*)",
                tornado.web.RedirectHandler,
                {"url": "/files/{0}", "permanent": False},
            ),
        ]
    )
    app.listen(port, address="127.0.0.1")
    await asyncio.Event().wait()


asyncio.run(main())
