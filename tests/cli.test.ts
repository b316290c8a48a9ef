import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import denoJson from "../deno.json" with { type: "json" };
import {
  CLAUDE_ACCESS,
  CLAUDE_REFRESH,
  claudeFile,
  codexFile,
  writeAccount,
} from "./helpers/fixtures.ts";
import { childEnv, REPO_ROOT, runSubgate, withTempHome } from "./helpers/subgate-process.ts";

Deno.test("--help prints the usage and exits 0", () =>
  withTempHome(async (home) => {
    const result = await runSubgate(["--help"], { home });
    assertEquals(result.code, 0);
    assertMatch(result.stdout, /Usage:\n\s+subgate \[serve\]/);
    assertMatch(result.stdout, /accounts/);
  }));

Deno.test("--version prints the version from deno.json", () =>
  withTempHome(async (home) => {
    const result = await runSubgate(["--version"], { home });
    assertEquals(result.code, 0);
    assertEquals(result.stdout.trim(), `subgate ${denoJson.version}`);
  }));

Deno.test("bad command lines get a one-line error, the usage and exit code 2", () =>
  withTempHome(async (home) => {
    const cases: [string[], RegExp][] = [
      [["frobnicate"], /^subgate: unknown command 'frobnicate'$/m],
      [["--frobnicate"], /^subgate: unknown option '--frobnicate'$/m],
      [["serve", "--port", "http"], /^subgate: --port must be a whole number from 0 to 65535/m],
      [["serve", "--port", "70000"], /^subgate: --port must be a whole number/m],
      [["serve", "--port"], /^subgate: option '--port' needs a value$/m],
      [
        ["accounts", "--host", "0.0.0.0"],
        /^subgate: option '--host' does not apply to 'accounts'$/m,
      ],
      [["accounts", "extra"], /^subgate: unexpected argument 'extra'$/m],
    ];
    for (const [args, message] of cases) {
      const result = await runSubgate(args, { home });
      assertEquals(result.code, 2, `exit code for ${args.join(" ")}`);
      assertMatch(result.stderr, message);
      assertMatch(result.stderr, /Usage:/);
      assertEquals(result.stdout, "");
    }
  }));

Deno.test("accounts with an empty auth dir says how to add one", () =>
  withTempHome(async (home) => {
    const result = await runSubgate(["accounts"], { home });
    assertEquals(result.code, 0);
    assertMatch(result.stdout, new RegExp(`No accounts in ${home}/\\.subgate`));
  }));

Deno.test("accounts lists provider, account, status, expiry and file, and no secret", () =>
  withTempHome(async (home) => {
    const dir = `${home}/auth`;
    await Deno.mkdir(dir, { mode: 0o700 });
    await writeAccount(`${dir}/claude-ada@example.com.json`, claudeFile());
    await writeAccount(
      `${dir}/claude-old@example.com.json`,
      claudeFile("old@example.com", "2020-01-01T00:00:00Z"),
    );
    await writeAccount(`${dir}/codex-grace@example.com.json`, codexFile(), 0o644);
    await writeAccount(
      `${dir}/broken.json`,
      '{"type": "claude", "access_token": "sk-ant-oat01-LEAK',
    );
    await Deno.writeTextFile(
      `${home}/subgate.yaml`,
      `openai-compatibility:\n  - name: ollama\n    base-url: http://127.0.0.1:11434/v1\n` +
        `    models:\n      - name: llama3\n`,
    );
    const result = await runSubgate(
      ["accounts", "--auth-dir", dir, "--config", `${home}/subgate.yaml`],
      { home },
    );
    assertEquals(result.code, 0, result.stderr);
    const lines = result.stdout.split("\n");
    assertMatch(
      lines[0],
      /^PROVIDER\s+ACCOUNT\s+STATUS\s+EXPIRES IN\s+LAST REFRESH\s+REQUESTS\s+5H\s+WEEK\s+RESETS IN\s+FILE$/,
    );
    assert(
      lines.some((l) =>
        /^claude\s+ada@example\.com\s+ready\s+\d+d.*\s+\d+d( \d+h)? ago\s+-\s+-\s+-\s+-\s+claude-ada@/
          .test(l)
      ),
    );
    assert(lines.some((l) => /^claude\s+old@example\.com\s+expired\s+expired .* ago/.test(l)));
    assert(lines.some((l) => /^codex\s+grace@example\.com\s+ready \(unsafe mode\)/.test(l)));
    assert(
      lines.some((l) =>
        /^openai-compatibility\s+ollama \(127\.0\.0\.1:11434\).*\(config\)/.test(l)
      ),
    );
    assert(lines.some((l) => /^\?\s+-\s+invalid(\s+-){6}\s+broken\.json/.test(l)));
    assertMatch(result.stdout, /broken\.json: invalid JSON: the file ends early/);
    assertMatch(result.stdout, /chmod 600/);
    for (const secret of [CLAUDE_ACCESS, CLAUDE_REFRESH, "LEAK", "rt_TESTREFRESH"]) {
      assert(!result.stdout.includes(secret) && !result.stderr.includes(secret), secret);
    }
  }));

Deno.test("deno task start passes its arguments to subgate unchanged", () =>
  withTempHome(async (home) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["task", "-q", "start", "accounts", "--auth-dir", `${home}/empty`],
      cwd: REPO_ROOT,
      env: await childEnv(home),
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    assertMatch(stdout, new RegExp(`No accounts in ${home}/empty`));
  }));

Deno.test("CLIProxyAPI's login flags are accepted, with one dash or two", () =>
  withTempHome(async (home) => {
    // An unreachable token endpoint makes each login fail fast, after parsing succeeded.
    await Deno.mkdir(`${home}/.subgate`, { recursive: true });
    const cases: [string[], RegExp][] = [
      [["-kimi-login", "--no-browser"], /Logging in to Kimi Code/],
      [["--qwen-login", "-no-browser"], /Logging in to Qwen Code/],
      [["--codex-device-login", "--no-browser"], /Logging in to ChatGPT \(Codex\)/],
    ];
    await Deno.writeTextFile(
      `${home}/.subgate/config.yaml`,
      ["kimi", "qwen", "codex"].map((p) =>
        `  ${p}:\n    device-url: http://127.0.0.1:9/device\n    token-url: http://127.0.0.1:9/token`
      ).join("\n").replace(/^/, "providers:\n"),
    );
    for (const [args, banner] of cases) {
      const result = await runSubgate(args, { home });
      assertMatch(result.stdout, banner, result.stderr);
      assertEquals(result.code, 1, result.stderr);
      assertMatch(result.stderr, /failed \(device\)/);
    }
    const both = await runSubgate(["--claude-login", "--codex-login"], { home });
    assertEquals(both.code, 2);
    assertMatch(both.stderr, /choose one of --claude-login, --codex-login/);
    const noProvider = await runSubgate(["login"], { home });
    assertEquals(noProvider.code, 2);
    assertMatch(noProvider.stderr, /'login' needs a provider/);
    const unknown = await runSubgate(["login", "cursor"], { home });
    assertEquals(unknown.code, 2);
    assertMatch(unknown.stderr, /unknown provider 'cursor'; choose one of claude, codex, gemini/);
    const noDevice = await runSubgate(["login", "claude", "--device"], { home });
    assertEquals(noDevice.code, 2);
    assertMatch(noDevice.stderr, /Claude \(Pro\/Max\) has no device login/);
  }));

Deno.test("logout removes one account or a provider's accounts, and refuses an ambiguous name", () =>
  withTempHome(async (home) => {
    const dir = `${home}/.subgate`;
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    await writeAccount(`${dir}/claude-ada@example.com.json`, claudeFile("ada@example.com"));
    await writeAccount(`${dir}/claude-bob@example.com.json`, claudeFile("bob@example.com"));
    await writeAccount(`${dir}/codex-ada@example.com.json`, codexFile("ada@example.com"));

    const ambiguous = await runSubgate(["logout", "ada@example.com"], { home });
    assertEquals(ambiguous.code, 1);
    assertMatch(
      ambiguous.stderr,
      /matches accounts of several providers \(claude, codex\); name the file/,
    );

    const one = await runSubgate(["logout", "codex-ada@example.com.json"], { home });
    assertEquals(one.code, 0, one.stderr);
    assertMatch(one.stdout, /Logged out of codex as ada@example\.com/);

    const all = await runSubgate(["logout", "claude"], { home });
    assertEquals(all.code, 0, all.stderr);
    assertEquals(all.stdout.match(/Logged out of claude/g)?.length, 2);
    assertEquals([...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".json")), []);

    const none = await runSubgate(["logout", "claude"], { home });
    assertEquals(none.code, 1);
    assertMatch(none.stderr, /no account matches 'claude'/);
  }));
