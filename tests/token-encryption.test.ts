/**
 * `token-encryption`: account files keep their tokens sealed with SUBGATE_STORE_KEY (AES-GCM),
 * and every command reads them through the key; without the key, nothing is sent and the file
 * says why it does not load.
 */
import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import { codexFile, writeAccount } from "./helpers/fixtures.ts";
import { startTokenServer } from "./helpers/rotating-token-server.ts";
import { runSubgate, withTempHome } from "./helpers/subgate-process.ts";

const FILE = "codex-grace@example.com.json";
const KEY = "file-test-key-0123456789-abcdefghijklmnopqrstuvwxyz";

Deno.test("token-encryption: refreshed tokens are written sealed and read back through the key", async () => {
  const tokens = startTokenServer({ clientId: "app_EMoamEEZ73f0CkXaXp7hrann", initial: "rt-0" });
  try {
    await withTempHome(async (home) => {
      const authDir = `${home}/.subgate`;
      await Deno.mkdir(authDir, { mode: 0o700 });
      const account = JSON.parse(codexFile());
      account.refresh_token = "rt-0";
      account.expired = "2020-01-01T00:00:00Z";
      await writeAccount(`${authDir}/${FILE}`, JSON.stringify(account));
      await Deno.writeTextFile(
        `${authDir}/config.yaml`,
        `token-encryption: true\nproviders:\n  codex:\n    token-url: ${tokens.tokenUrl}\n` +
          `    issuer: ${tokens.issuer}\n`,
      );
      const env = { SUBGATE_STORE_KEY: KEY };
      const first = await runSubgate(["refresh", "codex"], { home, env });
      assertEquals(first.code, 0, first.stderr);
      const text = await Deno.readTextFile(`${authDir}/${FILE}`);
      assert(!text.includes("rt-1") && !text.includes("at-1"), "no plain token in the file");
      assertMatch(JSON.parse(text).refresh_token, /^sg1:/);
      const second = await runSubgate(["refresh", "codex"], { home, env });
      assertEquals(second.code, 0, second.stderr);
      assertEquals([tokens.requests, tokens.reused], [2, 0], "the sealed token was sent, opened");
      const listed = await runSubgate(["accounts"], { home, env });
      assertMatch(listed.stdout, /codex\s+grace@example\.com\s+ready/);
      const keyless = await runSubgate(["accounts"], { home });
      assertEquals(keyless.code, 1);
      assertMatch(keyless.stderr, /token-encryption is on but SUBGATE_STORE_KEY is not set/);
      const weak = await runSubgate(["accounts"], { home, env: { SUBGATE_STORE_KEY: "short" } });
      assertMatch(weak.stderr, /at least 32 characters/);
    });
  } finally {
    await tokens.close();
  }
});
