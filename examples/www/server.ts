/**
 * The example web server run by `examples/web.conf`: answers every request
 * with a short greeting on 127.0.0.1:PORT.
 *
 * @module
 */

const port = Number(Deno.args[0] ?? "8088");
Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, () => {
  return new Response(`hello from daybreak's example web server (pid ${Deno.pid})\n`);
});
