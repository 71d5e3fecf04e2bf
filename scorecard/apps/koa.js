// koa peer: koa-range in front of koa-send.
const Koa = require('koa');
const range = require('koa-range');
const send = require('koa-send');
const [port, root] = process.argv.slice(2);
const app = new Koa();
app.use(range);
app.use(async (ctx) => {
  if (ctx.path.startsWith('/redirect/')) {
    ctx.status = 302;
    ctx.redirect('/files/' + ctx.path.slice('/redirect/'.length));
  } else if (ctx.path.startsWith('/files/')) {
    await send(ctx, ctx.path.slice('/files/'.length), { root });
  }
});
app.listen(Number(port), '127.0.0.1');
