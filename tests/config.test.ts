import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import { runSubgate, startSubgate, withTempHome } from "./helpers/subgate-process.ts";

Deno.test("a config with problems names the key and line of every one and does not start", () =>
  withTempHome(async (home) => {
    const file = `${home}/bad.yaml`;
    await Deno.writeTextFile(
      file,
      [
        "port: eighty", //                                  line 1
        "hots: 127.0.0.1", //                               line 2
        "log-level: loud", //                               line 3
        "claude-api-key:", //                               line 4
        "  - api-key: sk-ant-api03-SECRETSECRETSECRET", //  line 5
        "    base-url: localhost:8317", //                  line 6
        "openai-compatibility:", //                         line 7
        "  - name: ollama", //                              line 8
        "providers:", //                                    line 9
        "  claude:", //                                     line 10
        "    token-url: ftp://example.com/token", //        line 11
        "  chatgpt: {}", //                                 line 12
        "body-limit: lots", //                              line 13
        "gemini-api-key:", //                               line 14
        "  - api-key: 98765432109876543210", //             line 15
        "api-keys: [{key: sk-proj-ABCDEFGHIJKLMNOPQRSTUV, key-sha256: x}]", // line 16
        "cors:", //                                         line 17
        '  allow-origins: ["http://localhost:3000/app", "*.example.com"]', // line 18
      ].join("\n"),
    );
    const result = await runSubgate(["serve", "--config", file, "--port", "0"], { home });
    assertEquals(result.code, 1);
    const err = result.stderr;
    assertMatch(err, /invalid config .*bad\.yaml/);
    assertMatch(err, /line 1: port: must be a whole number, found the text "eighty"/);
    assertMatch(err, /line 2: hots: unknown key "hots"/);
    assertMatch(err, /line 3: log-level: must be one of debug, info, warn, error/);
    assertMatch(
      err,
      /line 6: claude-api-key\[0\]\.base-url: "localhost:8317" is not an absolute http\(s\) URL/,
    );
    assertMatch(err, /line 8: openai-compatibility\[0\]: missing required key "base-url"/);
    assertMatch(err, /line 11: providers\.claude\.token-url: .*not an absolute http\(s\) URL/);
    assertMatch(
      err,
      /line 12: providers\.chatgpt: unknown name "chatgpt"; expected one of claude, codex/,
    );
    assertMatch(err, /line 13: body-limit: must be a size such as 32MB/);
    assertMatch(err, /line 15: gemini-api-key\[0\]\.api-key: must be text, found a number/);
    assertMatch(err, /line 16: api-keys\[0\]\.key-sha256: must be the hex SHA-256 of the key/);
    assertMatch(
      err,
      /line 18: cors\.allow-origins\[0\]: "http:\/\/localhost:3000\/app" is not an origin; write it as scheme:\/\/host\[:port\]/,
    );
    assertMatch(err, /line 18: cors\.allow-origins\[1\]: "\*\.example\.com" is not an origin/);
    for (const secret of ["SECRETSECRET", "98765432109876543210", "ABCDEFGHIJKLMNOPQRSTUV"]) {
      assert(!err.includes(secret), `the key ${secret} must not be printed`);
    }
    assert(!/listening on/.test(err));
  }));

Deno.test("broken YAML is reported with its line", () =>
  withTempHome(async (home) => {
    const file = `${home}/broken.yaml`;
    await Deno.writeTextFile(file, "port: 8317\napi-keys: [a, b\nhost: x\n");
    const result = await runSubgate(["serve", "--config", file], { home });
    assertEquals(result.code, 1);
    assertMatch(result.stderr, /line \d+: \(yaml\): /);
  }));

Deno.test("a config file named by --config or SUBGATE_CONFIG must exist", () =>
  withTempHome(async (home) => {
    const missing = `${home}/nope.yaml`;
    const byFlag = await runSubgate(["serve", "--config", missing], { home });
    assertEquals(byFlag.code, 1);
    assertMatch(byFlag.stderr, /nope\.yaml:\n\s+the file named by --config does not exist/);
    const byEnv = await runSubgate(["serve"], { home, env: { SUBGATE_CONFIG: missing } });
    assertEquals(byEnv.code, 1);
    assertMatch(byEnv.stderr, /the file named by SUBGATE_CONFIG does not exist/);
  }));

Deno.test("a CLIProxyAPI config loads; its settings subgate does not use are warned about", () =>
  withTempHome(async (home) => {
    const file = `${home}/cliproxyapi.yaml`;
    await Deno.writeTextFile(
      file,
      [
        'host: "127.0.0.1"',
        "port: 8317",
        `auth-dir: "${home}/cpa"`,
        "api-keys:",
        '  - "client-key-1"',
        "debug: false",
        "request-retry: 3",
        "disable-claude-cloak-mode: false",
        "routing:",
        "  strategy: round-robin",
        "gemini-api-key:",
        '  - api-key: "AIzaSyTESTTESTTESTTESTTESTTESTTEST"',
        "    proxy-url: socks5://127.0.0.1:1080",
      ].join("\n"),
    );
    const server = await startSubgate(["--config", file], { home });
    try {
      const log = server.log();
      assertMatch(log, /line 6: debug: ignored: a CLIProxyAPI setting subgate does not use/);
      assertMatch(log, /disable-claude-cloak-mode: ignored: subgate never disguises/);
      assertMatch(log, /gemini-api-key\[0\]\.proxy-url: ignored/);
      assert(!log.includes("AIzaSyTEST"), "keys are never logged");
      const response = await fetch(`${server.url}/v1beta/models`, {
        headers: { "x-goog-api-key": "client-key-1" },
      });
      const body = await response.json();
      assertEquals(response.status, 200);
      assert(body.models.some((m: { name: string }) => m.name.startsWith("models/gemini-")));
      assertEquals((await Deno.stat(`${home}/cpa`)).isDirectory, true);
    } finally {
      await server.stop();
    }
  }));

Deno.test("flags override the config file, which overrides the defaults", () =>
  withTempHome(async (home) => {
    // The default location is <auth-dir>/config.yaml.
    await Deno.mkdir(`${home}/.subgate`, { recursive: true });
    await Deno.writeTextFile(
      `${home}/.subgate/config.yaml`,
      "port: 1\nbody-limit: 1KB\nlog-level: debug\n",
    );
    const server = await startSubgate([], { home }); // --port 0 from the helper beats port: 1
    try {
      assert(!server.url.endsWith(":1"), server.url);
      assertMatch(server.log(), /config=\S*\.subgate\/config\.yaml/);
      const big = await fetch(`${server.url}/v1/chat/completions`, {
        method: "POST",
        body: "x".repeat(2048),
      });
      assertEquals(big.status, 413);
      await big.body?.cancel();
    } finally {
      await server.stop();
    }
  }));

Deno.test("a valid config edit applies without restart; an invalid one is rejected", () =>
  withTempHome(async (home) => {
    const file = `${home}/live.yaml`;
    await Deno.writeTextFile(file, "api-keys: [first-key]\n");
    const server = await startSubgate(["--config", file], { home });
    const status = async (key: string) => {
      const response = await fetch(`${server.url}/v1/models`, {
        headers: { authorization: `Bearer ${key}` },
      });
      await response.body?.cancel();
      return response.status;
    };
    try {
      assertEquals(await status("first-key"), 200);
      assertEquals(await status("second-key"), 401);

      // An editor-style replace: write elsewhere, rename over the file.
      await Deno.writeTextFile(`${file}.tmp`, "api-keys: [second-key]\n");
      await Deno.rename(`${file}.tmp`, file);
      await server.waitForLog(/config reloaded/);
      assertEquals(await status("second-key"), 200);
      assertEquals(await status("first-key"), 401);

      await Deno.writeTextFile(file, "api-keys: [third-key]\nport: [not, a, number]\n");
      await server.waitForLog(/config edit rejected.*port: must be a whole number/);
      assertEquals(await status("second-key"), 200);
      assertEquals(await status("third-key"), 401);
    } finally {
      await server.stop();
    }
  }));

Deno.test("a config file created after start at the default location applies", () =>
  withTempHome(async (home) => {
    const server = await startSubgate([], { home });
    try {
      const open = await fetch(`${server.url}/v1/models`);
      await open.body?.cancel();
      assertEquals(open.status, 200);
      await Deno.writeTextFile(`${home}/.subgate/config.yaml`, "api-keys: [late-key]\n");
      await server.waitForLog(/config reloaded/);
      const closed = await fetch(`${server.url}/v1/models`);
      await closed.body?.cancel();
      assertEquals(closed.status, 401);
    } finally {
      await server.stop();
    }
  }));
