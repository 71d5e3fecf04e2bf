"""CherryPy peer: tools.staticdir."""

import sys

import cherrypy

port, root = int(sys.argv[1]), sys.argv[2]


class Root:
    @cherrypy.expose
    def redirect(self, *parts):
        raise cherrypy.HTTPRedirect("/files/" + "/".join(parts), 302)


cherrypy.config.update(
    {
        "server.socket_host": "127.0.0.1",
        "server.socket_port": port,
        "environment": "production",
        "log.screen": False,
        "engine.autoreload.on": False,
    }
)
cherrypy.quickstart(
    Root(), "/", {"/files": {"tools.staticdir.on": True, "tools.staticdir.dir": root}}
)
