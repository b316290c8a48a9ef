import { assert, assertEquals } from "./helpers/assert.ts";
import { formatLine } from "../src/log/logger.ts";
import { redact } from "../src/log/redact.ts";

Deno.test("log lines never carry provider tokens, keys or JWTs", () => {
  const secrets = [
    "sk-ant-oat01-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
    "sk-ant-ort01-ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210",
    "sk-proj-abcdefghijklmnopqrstuvwxyz012345",
    "ya29.a0AfH6SMBxyzxyzxyzxyzxyzxyz",
    "1//0gAbCdEfGhIjKlMnOpQrStUv",
    "gho_abcdefghijklmnopqrstuvwxyz0123",
    "AIzaSyA-abcdefghijklmnopqrstuvwxy",
    "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dGVzdHNpZ25hdHVyZQ",
  ];
  for (const secret of secrets) {
    const line = formatLine("error", `upstream said ${secret} was bad`, { token: secret });
    assert(!line.includes(secret), line);
  }
  assert(!redact("Authorization: Bearer my-client-key-123").includes("my-client-key-123"));
  assert(!redact('{"refresh_token":"rt_0123456789abcdef"}').includes("rt_0123456789abcdef"));
  assert(!redact("GET /v1beta/models?key=client-key-123&alt=sse").includes("client-key-123"));
});

Deno.test("redaction leaves ordinary messages alone", () => {
  const plain = 'account loaded provider=claude account=ada@example.com file="claude-ada.json"';
  assertEquals(redact(plain), plain);
  const problem = "line 15: gemini-api-key[0].api-key: must be text, found a number";
  assertEquals(redact(problem), problem);
});

Deno.test("control characters in log values are escaped, and a token after one is still redacted", () => {
  const secret = "sk-ant-oat01-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
  const line = formatLine("warn", "upstream said\nFAKE line", {
    file: "evil\u001b[31m\u009b2J.json",
    reason: `bad\n${secret}`,
  });
  assert(!line.includes(secret), line);
  const control = [...line].find((c) => c < " " || (c >= "\u007f" && c <= "\u009f"));
  assertEquals(control, undefined, line);
  assert(line.includes("upstream said\\nFAKE line"), line);
  assert(line.includes('file="evil\\u001b[31m\\u009b2J.json"'), line);
});
