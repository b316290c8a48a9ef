/**
 * @module
 * The floor plus what any proxy must do on the passthrough path, and nothing
 * else: read the body (a proxy routes by its model), forward the client's
 * headers without its key or hop-by-hop ones and with the account's key,
 * cancel the upstream call when the client goes away or the upstream is too
 * slow to start, copy the answer's headers without hop-by-hop ones, and log a
 * line per request, written plainly (headers walked with forEach, handed on as
 * records, which Deno does fastest). Against it the
 * bench shows how much of subgate's distance to the floor is that work and
 * how much is subgate's own.
 */
const upstream = Deno.env.get("UPSTREAM")!;
const DROP = new Set([
  "host",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "content-length",
  "accept-encoding",
  "authorization",
  "x-api-key",
]);
const encoder = new TextEncoder();
let lines = "";

const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
  const url = new URL(req.url);
  const body = await req.text();
  const model = (JSON.parse(body) as { model?: string }).model;
  const headers: Record<string, string> = {};
  req.headers.forEach((value, name) => {
    if (!DROP.has(name)) headers[name] = value;
  });
  headers["x-api-key"] = "account-key";
  const controller = new AbortController();
  req.signal.addEventListener("abort", () => controller.abort(), { once: true });
  const timer = setTimeout(() => controller.abort(), 600_000);
  const answer = await fetch(upstream + url.pathname, {
    method: "POST",
    headers,
    body,
    signal: controller.signal,
  }).finally(() => clearTimeout(timer));
  const out: Record<string, string> = {};
  answer.headers.forEach((value, name) => {
    if (!DROP.has(name)) out[name] = value;
  });
  if (!lines) setTimeout(() => (Deno.stderr.writeSync(encoder.encode(lines)), lines = ""), 0);
  lines += `${new Date().toISOString()} request model=${model} status=${answer.status}\n`;
  return new Response(answer.body, { status: answer.status, headers: out });
});
console.error(`listening on http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`);
