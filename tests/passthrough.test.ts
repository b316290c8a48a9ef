import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import { KEY, MODELS, withMatrixWorld } from "./helpers/matrix-world.ts";
import { chunksAsSse, type FixtureDialect } from "./helpers/provider-fixtures.ts";
import type { UpstreamDialect } from "./helpers/replay-upstream.ts";

/** A stream as the provider sends it, plus the keep-alive comment some proxies add. */
function withKeepAlive(sse: string): string {
  const cut = sse.indexOf("\n\n") + 2;
  return sse.slice(0, cut) + ": keep-alive\n\n" + sse.slice(cut);
}

Deno.test("Anthropic in, Anthropic out: request and stream bytes pass through untouched but for the model", () =>
  withMatrixWorld(async ({ server, upstream }) => {
    const body = `{"model":  "via-anthropic","max_tokens":64,` +
      `"system":[{"type":"text","text":"Be brief.","cache_control":{"type":"ephemeral"}}],` +
      `"messages":[{"role":"user","content":[{"type":"text","text":"hi \\u00e9"}]},` +
      `{"role":"assistant","content":[{"type":"thinking","thinking":"t","signature":"sig=="},{"type":"text","text":"ok"}]},` +
      `{"role":"system","content":"Mid-conversation system text."},` +
      `{"role":"user","content":"again"}],` +
      `"metadata":{"user_id":"u1"},"some_future_field":{"nested":[1,2.50,true]},"stream":true}`;
    const sse = withKeepAlive(chunksAsSse("anthropic-messages", "anthropic-text.chunks.txt"));
    upstream.answer("anthropic", { body: sse });
    const response = await fetch(`${server.url}/v1/messages?beta=true`, {
      method: "POST",
      headers: {
        "x-api-key": KEY,
        "anthropic-version": "2023-06-01",
        "anthropic-beta": "interleaved-thinking-2025-05-14,some-unknown-beta-2099-01-01",
        "content-type": "application/json",
      },
      body,
    });
    assertEquals(response.status, 200);
    assertEquals(await response.text(), sse, "the client gets the upstream's bytes");
    const seen = upstream.requests.at(-1)!;
    assertEquals(seen.text, body.replace(`"via-anthropic"`, `"${MODELS.anthropic.upstream}"`));
    assertEquals(seen.search, "?beta=true");
    assertEquals(
      seen.headers.get("x-api-key"),
      "sk-ant-api03-upstream",
      "the account's key, not the client's",
    );
    assertEquals(
      seen.headers.get("anthropic-beta"),
      "interleaved-thinking-2025-05-14,some-unknown-beta-2099-01-01",
    );
    assertEquals(upstream.violations, []);
  }));

Deno.test("Responses in, Responses out and Chat in, Chat out pass through byte for byte", () =>
  withMatrixWorld(async ({ server, upstream }) => {
    const responsesBody =
      `{"model":"via-responses","instructions":"x","input":[{"type":"message",` +
      `"role":"developer","content":[{"type":"input_text","text":"dev"}]},{"type":"message","role":"user",` +
      `"content":[{"type":"input_text","text":"hi"}]}],"tools":[{"type":"web_search"}],` +
      `"reasoning":{"effort":"high","summary":"auto"},"include":["reasoning.encrypted_content"],` +
      `"store":false,"stream":true,"prompt_cache_key":"abc"}`;
    const responsesSse = chunksAsSse("openai-responses", "openai-web-search-tool.1.chunks.txt");
    upstream.answer("openai-responses", { body: responsesSse });
    const first = await fetch(`${server.url}/v1/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
      body: responsesBody,
    });
    assertEquals(await first.text(), responsesSse);
    assertEquals(
      upstream.requests.at(-1)!.text,
      responsesBody.replace("via-responses", "gpt-upstream"),
    );
    assertEquals(
      upstream.requests.at(-1)!.headers.get("authorization"),
      "Bearer sk-upstream-responses",
    );

    const chatBody = `{"model":"via-chat","messages":[{"role":"user","content":"hi"}],` +
      `"logprobs":true,"seed":7,"stream":true,"stream_options":{"include_usage":true}}`;
    const chatSse = chunksAsSse("openai-chat", "openai-text.chunks.txt");
    upstream.answer("openai-chat", { body: chatSse });
    const second = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
      body: chatBody,
    });
    assertEquals(await second.text(), chatSse);
    assertEquals(upstream.requests.at(-1)!.text, chatBody.replace("via-chat", "chat-upstream"));
    assertEquals(upstream.violations, []);
  }));

Deno.test("Gemini in, Gemini out: the model moves in the URL, the body is untouched", () =>
  withMatrixWorld(async ({ server, upstream }) => {
    const body = `{"contents":[{"role":"user","parts":[{"text":"hi"}]},{"role":"model","parts":[` +
      `{"functionCall":{"id":"fc-1","name":"weather","args":{"location":"SF"}},"thoughtSignature":"c2ln"}]},` +
      `{"role":"user","parts":[{"functionResponse":{"id":"fc-1","name":"weather","response":{"t":1}}}]}],` +
      `"generationConfig":{"responseJsonSchema":{"type":"object"},"thinkingConfig":{"includeThoughts":true}}}`;
    const sse = chunksAsSse("gemini", "google-tool-call-gemini3.chunks.txt");
    upstream.answer("gemini", { body: sse });
    const response = await fetch(
      `${server.url}/v1beta/models/via-gemini:streamGenerateContent?alt=sse`,
      { method: "POST", headers: { "x-goog-api-key": KEY }, body },
    );
    assertEquals(await response.text(), sse);
    const seen = upstream.requests.at(-1)!;
    assertEquals(seen.text, body);
    assertMatch(seen.path, /\/models\/gemini-upstream:streamGenerateContent$/);
    assertEquals(seen.search, "?alt=sse");
    assertEquals(seen.headers.get("x-goog-api-key"), "AIza-upstream");
    assertEquals(upstream.violations, []);
  }));

Deno.test("an upstream error passes through with its status, body and retry-after", () =>
  withMatrixWorld(async ({ server, upstream }) => {
    const error = `{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}`;
    upstream.answer("anthropic", { status: 429, body: error, headers: { "retry-after": "17" } });
    const response = await fetch(`${server.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": KEY, "anthropic-version": "2023-06-01" },
      body: `{"model":"via-anthropic","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`,
    });
    assertEquals(response.status, 429);
    assertEquals(response.headers.get("retry-after"), "17");
    assertEquals(await response.text(), error);
    assert(upstream.requests.length === 1);
  }));

Deno.test("the client's key reaches no upstream, whichever of the four ways it was sent", () =>
  withMatrixWorld(async ({ server, upstream }) => {
    const sse = chunksAsSse("anthropic-messages", "anthropic-text.chunks.txt");
    const ways: [string, Record<string, string>][] = [
      [`?key=${KEY}&beta=true`, {}],
      ["?beta=true", { authorization: `Bearer ${KEY}` }],
      ["?beta=true", { "x-api-key": KEY }],
      ["?beta=true", { "x-goog-api-key": KEY }],
    ];
    for (const [query, auth] of ways) {
      upstream.answer("anthropic", { body: sse });
      const response = await fetch(`${server.url}/v1/messages${query}`, {
        method: "POST",
        headers: { "anthropic-version": "2023-06-01", ...auth },
        body: `{"model":"via-anthropic","max_tokens":8,"stream":true,` +
          `"messages":[{"role":"user","content":"hi"}]}`,
      });
      assertEquals(response.status, 200, query);
      await response.body?.cancel();
      const seen = upstream.requests.at(-1)!;
      assertEquals(seen.search, "?beta=true", "the client's own query goes on, without its key");
      const everything: string[] = [seen.path, seen.search, seen.text];
      seen.headers.forEach((value, name) => everything.push(`${name}: ${value}`));
      assert(!everything.join("\n").includes(KEY), `the key leaked via ${JSON.stringify(auth)}`);
    }
  }));

Deno.test("what subgate does not know reaches a same-dialect upstream byte for byte, in all four dialects", () =>
  withMatrixWorld(async ({ server, upstream }) => {
    const cases: Array<{
      dialect: UpstreamDialect;
      path: string;
      headers: Record<string, string>;
      body: string;
      fixture: string;
      sent: (body: string) => string;
    }> = [
      {
        // Codex CLI's code mode, and an item, a part and a tool of types no API has yet.
        dialect: "openai-responses",
        path: "/v1/responses",
        headers: { authorization: `Bearer ${KEY}` },
        body: `{"model":"via-responses","input":[{"type":"additional_tools","role":"developer",` +
          `"tools":[{"type":"namespace","name":"functions","tools":[{"type":"custom","name":"exec"}]}]},` +
          `{"type":"future_item","x":1},{"type":"message","role":"user","content":[` +
          `{"type":"input_text","text":"hi"},{"type":"input_hologram","data":"h"}]}],` +
          `"tools":[{"type":"future_tool"}],"text":{"format":{"type":"future_format"}},"stream":true}`,
        fixture: "openai-phase.1.chunks.txt",
        sent: (body) => body.replace("via-responses", MODELS["openai-responses"].upstream),
      },
      {
        dialect: "openai-chat",
        path: "/v1/chat/completions",
        headers: { authorization: `Bearer ${KEY}` },
        body:
          `{"model":"via-chat","messages":[{"role":"user","content":[{"type":"text","text":"hi"},` +
          `{"type":"video_url","video_url":{"url":"https://x.test/v.mp4"}}]}],` +
          `"tools":[{"type":"custom","custom":{"name":"g"}}],` +
          `"tool_choice":{"type":"custom","custom":{"name":"g"}},"stream":true}`,
        fixture: "openai-text.chunks.txt",
        sent: (body) => body.replace("via-chat", MODELS["openai-chat"].upstream),
      },
      {
        dialect: "anthropic",
        path: "/v1/messages",
        headers: { "x-api-key": KEY, "anthropic-version": "2023-06-01" },
        body: `{"model":"via-anthropic","max_tokens":8,"system":[{"type":"text","text":"s"},` +
          `{"type":"future_block"}],"messages":[{"role":"user","content":"hi"},` +
          `{"role":"system","content":[{"type":"image","source":{"type":"x"}}]}],` +
          `"tool_choice":{"type":"future_choice"},"stream":true}`,
        fixture: "anthropic-text.chunks.txt",
        sent: (body) => body.replace("via-anthropic", MODELS.anthropic.upstream),
      },
      {
        dialect: "gemini",
        path: "/v1beta/models/via-gemini:streamGenerateContent?alt=sse",
        headers: { "x-goog-api-key": KEY },
        body: `{"contents":[{"role":"user","parts":[{"text":"hi"},{"futurePart":{"x":1}}]}],` +
          `"systemInstruction":{"parts":[{"futureHint":{}}]},` +
          `"toolConfig":{"functionCallingConfig":{"mode":"FUTURE_MODE"}}}`,
        fixture: "google-tool-call-gemini3.chunks.txt",
        sent: (body) => body,
      },
    ];
    const folder: Record<UpstreamDialect, FixtureDialect> = {
      anthropic: "anthropic-messages",
      "openai-chat": "openai-chat",
      "openai-responses": "openai-responses",
      gemini: "gemini",
    };
    for (const { dialect, path, headers, body, fixture, sent } of cases) {
      const sse = chunksAsSse(folder[dialect], fixture);
      upstream.answer(dialect, { body: sse });
      const response = await fetch(`${server.url}${path}`, {
        method: "POST",
        headers: { ...headers, "content-type": "application/json" },
        body,
      });
      assertEquals(response.status, 200, dialect);
      assertEquals(await response.text(), sse, `${dialect}: the upstream's answer`);
      assertEquals(upstream.requests.at(-1)!.text, sent(body), `${dialect}: the client's body`);
    }
    assertEquals(upstream.violations, []);
    assert(!/status=4\d\d/.test(server.log()), "subgate refused nothing");
  }));
