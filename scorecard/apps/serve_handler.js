// serve-handler peer (the engine of `serve`): docroot/files is a symlink to the fixtures.
const http = require('http');
const handler = require('serve-handler');
const [port, docroot] = process.argv.slice(2);
const options = {
  public: docroot,
  symlinks: true,
  redirects: [{ source: '/redirect/:name', destination: '/files/:name', type: 302 }],
};
http.createServer((req, res) => handler(req, res, options)).listen(Number(port), '127.0.0.1');
