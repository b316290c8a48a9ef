/**
 * @module
 * The floor: a bare `Deno.serve` answering the same JSON subgate's model list
 * does, with no framework, routing, keys or logging.
 */
const body = JSON.stringify({ object: "list", data: [] });
const server = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen: () => {} },
  () => new Response(body, { headers: { "content-type": "application/json" } }),
);
console.error(`listening on http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`);
