/**
 * @module
 * The floor: a bare `Deno.serve` + `fetch` forwarder to the upstream named by
 * UPSTREAM, handing the upstream's body straight back (what subgate's
 * passthrough competes with).
 */
const upstream = Deno.env.get("UPSTREAM")!;
const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
  const url = new URL(req.url);
  const answer = await fetch(upstream + url.pathname + url.search, {
    method: req.method,
    headers: { "content-type": "application/json" },
    body: req.body,
  });
  return new Response(answer.body, { status: answer.status, headers: answer.headers });
});
console.error(`listening on http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`);
