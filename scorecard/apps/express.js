// Express peer: express.static (send).
const express = require('express');
const [port, root] = process.argv.slice(2);
const app = express();
app.use('/files', express.static(root));
app.use('/redirect', (req, res) => res.redirect(302, '/files' + req.path));
app.listen(Number(port), '127.0.0.1');
