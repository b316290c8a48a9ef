import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import { withLoginWorld } from "./helpers/login-setup.ts";
import { runSubgate, spawnSubgate, startSubgate } from "./helpers/subgate-process.ts";

type Json = Record<string, unknown>;

async function readJson(path: string): Promise<Json> {
  return JSON.parse(await Deno.readTextFile(path));
}

async function writeVendorFile(home: string, relative: string, data: unknown) {
  const path = `${home}/${relative}`;
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  await Deno.writeTextFile(path, JSON.stringify(data, null, 2), { mode: 0o600 });
  return path;
}

/** An unsigned JWT: the vendor files hold real ones; subgate only reads their claims. */
function jwt(claims: Json): string {
  const part = (value: unknown) =>
    btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  return `${part({ alg: "none" })}.${part(claims)}.sig`;
}

const inAnHour = Date.now() + 3600_000;

Deno.test("import copies every vendor CLI login it finds, warning where refresh tokens are single-use", () =>
  withLoginWorld(async ({ home, authDir }) => {
    await writeVendorFile(home, ".claude/.credentials.json", {
      claudeAiOauth: {
        accessToken: "sk-ant-oat01-VENDORACCESSxxxxxxxxxxxx",
        refreshToken: "sk-ant-ort01-VENDORREFRESHyyyyyyyyyy",
        expiresAt: inAnHour,
        scopes: ["user:inference", "user:profile"],
        subscriptionType: "max",
      },
      mcpOAuth: { keep: "me" },
    });
    await writeVendorFile(home, ".codex/auth.json", {
      auth_mode: "chatgpt",
      OPENAI_API_KEY: null,
      tokens: {
        id_token: jwt({
          email: "grace@example.com",
          "https://api.openai.com/auth": { chatgpt_account_id: "acc-9", chatgpt_plan_type: "plus" },
        }),
        access_token: jwt({ exp: Math.floor(inAnHour / 1000) }),
        refresh_token: "rt_VENDORCODEXzzzzzzzzzzzz",
        account_id: "acc-9",
      },
      last_refresh: "2026-11-20T10:00:00Z",
    });
    await writeVendorFile(home, ".gemini/oauth_creds.json", {
      access_token: "ya29.VENDORGEMINIaaaaaaaaaaaa",
      refresh_token: "1//VENDORGEMINIREFRESHbbbbbbbb",
      token_type: "Bearer",
      expiry_date: inAnHour,
    });
    await writeVendorFile(home, ".config/github-copilot/apps.json", {
      "github.com:Iv1.b507a08c87ecfe98": {
        user: "octo-ada",
        oauth_token: "ghu_VENDORCOPILOTcccccccccccccccc",
        githubAppId: "Iv1.b507a08c87ecfe98",
      },
    });
    const result = await runSubgate(["import"], { home });
    assertEquals(result.code, 0, result.stderr);
    const out = result.stdout;
    assertMatch(
      out,
      /Imported Claude Code login of ada@example\.com as claude-ada@example\.com\.json\./,
    );
    assertMatch(
      out,
      /Imported Codex CLI login of grace@example\.com as codex-grace@example\.com\.json\./,
    );
    assertMatch(
      out,
      /Imported Gemini CLI login of ada@example\.com as gemini-ada@example\.com\.json\./,
    );
    assertMatch(
      out,
      /Imported GitHub Copilot \(editor plugins\) login of octo-ada as copilot-octo-ada\.json\./,
    );
    assertEquals(
      out.match(/refresh tokens work once/g)?.length,
      2,
      "Claude and Codex are warned about",
    );
    assertMatch(out, /re-import with --link/);
    assertMatch(out, /Terms: Anthropic's terms/);
    for (
      const secret of [
        "VENDORACCESS",
        "VENDORREFRESH",
        "VENDORCODEX",
        "VENDORGEMINI",
        "VENDORCOPILOT",
      ]
    ) {
      assert(!out.includes(secret) && !result.stderr.includes(secret), secret);
    }

    const claude = await readJson(`${authDir}/claude-ada@example.com.json`);
    assertEquals(claude.refresh_token, "sk-ant-ort01-VENDORREFRESHyyyyyyyyyy");
    assertEquals(Date.parse(String(claude.expired)), Math.floor(inAnHour / 1000) * 1000);
    const codex = await readJson(`${authDir}/codex-grace@example.com.json`);
    assertEquals([codex.account_id, codex.plan_type], ["acc-9", "plus"]);
    const gemini = await readJson(`${authDir}/gemini-ada@example.com.json`);
    assertEquals(gemini.project_id, "proj-onboarded");

    const accounts = await runSubgate(["accounts"], { home });
    for (const provider of ["claude", "codex", "gemini", "copilot"]) {
      assertMatch(accounts.stdout, new RegExp(`^${provider}\\s+\\S+\\s+ready`, "m"));
    }
  }));

Deno.test("import of a named tool that is not there says where it looked", () =>
  withLoginWorld(async ({ home }) => {
    const result = await runSubgate(["import", "codex"], { home });
    assertEquals(result.code, 1);
    assertMatch(result.stderr, /no Codex CLI login found \(looked at ~\/\.codex\/auth\.json\)/);
    const unknown = await runSubgate(["import", "cursor"], { home });
    assertEquals(unknown.code, 2);
    assertMatch(unknown.stderr, /unknown tool 'cursor'; choose one of claude-code, codex/);
  }));

Deno.test("linked import keeps the vendor file as the source and writes refreshed tokens back in its layout", () =>
  withLoginWorld(async ({ home, authDir, oauth }) => {
    // A real Claude login, moved into Claude Code's own file as if Claude Code had made it.
    const login = await spawnSubgate(["login", "claude", "--no-browser"], { home });
    const landing = await oauth.approve((await login.waitForOutput(/^\s+(http\S+)$/m))[1]);
    await login.typeLine(
      `${landing.searchParams.get("code")}#${landing.searchParams.get("state")}`,
    );
    assertEquals((await login.status).code, 0, login.output());
    const made = await readJson(`${authDir}/claude-ada@example.com.json`);
    await Deno.remove(`${authDir}/claude-ada@example.com.json`);
    const vendorPath = await writeVendorFile(home, ".claude/.credentials.json", {
      claudeAiOauth: {
        accessToken: made.access_token,
        refreshToken: made.refresh_token,
        expiresAt: Date.now() + 60_000,
        scopes: ["user:inference"],
        subscriptionType: "max",
        rateLimitTier: "default_claude_max_20x",
      },
      mcpOAuth: { "server-1": { token: "keep-me" } },
    });

    const imported = await runSubgate(["import", "claude-code", "--link"], { home });
    assertEquals(imported.code, 0, imported.stderr);
    assertMatch(
      imported.stdout,
      /as claude-ada@example\.com\.json \(linked to .*\.claude\/\.credentials\.json\)/,
    );
    assertMatch(imported.stdout, /share one login/);
    const link = await readJson(`${authDir}/claude-ada@example.com.json`);
    assertEquals(link.linked, { tool: "claude-code", path: vendorPath });
    assertEquals(link.access_token, undefined, "no copy of the tokens in subgate's file");

    const server = await startSubgate([], { home });
    try {
      const models = await (await fetch(`${server.url}/v1/models`)).json();
      assert(models.data.some((m: { id: string }) => m.id.startsWith("claude-")));
      const accounts = await runSubgate(["accounts"], { home });
      assertMatch(
        accounts.stdout,
        /claude\s+ada@example\.com\s+ready.*\(linked to claude-code: ~\/\.claude\/\.credentials\.json\)/,
      );

      const refreshed = await runSubgate(["refresh", "claude"], { home });
      assertEquals(refreshed.code, 0, refreshed.stderr);
      const vendor = await readJson(vendorPath);
      const oauthPart = vendor.claudeAiOauth as Json;
      assert(
        oauthPart.refreshToken !== made.refresh_token,
        "the rotated token went to Claude Code's file",
      );
      assert(Number(oauthPart.expiresAt) > Date.now() + 30 * 60_000, "expiresAt stays epoch ms");
      assertEquals(oauthPart.subscriptionType, "max");
      assertEquals(oauthPart.rateLimitTier, "default_claude_max_20x");
      assertEquals(vendor.mcpOAuth, { "server-1": { token: "keep-me" } });
      assertEquals(
        (await readJson(`${authDir}/claude-ada@example.com.json`)).access_token,
        undefined,
      );
      assertEquals(oauth.grants.filter((g) => g.grantType === "refresh_token").length, 1);
      if (Deno.build.os !== "windows") {
        assertEquals((await Deno.stat(vendorPath)).mode! & 0o777, 0o600);
      }
    } finally {
      await server.stop();
    }
  }));
