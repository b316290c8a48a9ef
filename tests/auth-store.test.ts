import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import {
  CLAUDE_ACCESS,
  CLAUDE_REFRESH,
  claudeFile,
  codexFile,
  writeAccount,
} from "./helpers/fixtures.ts";
import { eventually, startSubgate, withTempHome } from "./helpers/subgate-process.ts";
import { writeFileAtomic } from "../src/fs/write-file-atomic.ts";

async function modelIds(url: string): Promise<string[]> {
  const response = await fetch(`${url}/v1/models`);
  const body = await response.json();
  return body.data.map((m: { id: string }) => m.id);
}

const hasClaude = (ids: string[]) => ids.some((id) => id.startsWith("claude-"));
const hasCodex = (ids: string[]) => ids.some((id) => id.startsWith("gpt-"));
const isPosix = Deno.build.os !== "windows";

Deno.test("the auth dir is created private (0700) when missing", {
  ignore: !isPosix,
}, () =>
  withTempHome(async (home) => {
    const server = await startSubgate([], { home });
    try {
      const info = await Deno.stat(`${home}/.subgate`);
      assertEquals(info.mode! & 0o777, 0o700);
    } finally {
      await server.stop();
    }
  }));

Deno.test("dropping a CLIProxyAPI token file in serves its models within a second; deleting it removes them", () =>
  withTempHome(async (home) => {
    const dir = `${home}/.cli-proxy-api`;
    const server = await startSubgate(["--auth-dir", dir], { home });
    try {
      assertEquals(await modelIds(server.url), []);
      await writeAccount(`${dir}/claude-ada@example.com.json`, claudeFile());
      const added = await eventually(async () => hasClaude(await modelIds(server.url)), 1000);
      assert(added < 1000);
      await server.waitForLog(/account loaded provider=claude account=ada@example\.com/);

      await Deno.remove(`${dir}/claude-ada@example.com.json`);
      await eventually(async () => (await modelIds(server.url)).length === 0, 1000);
      // (Info lines reach the log a moment after the change they report.)
      await server.waitForLog(/account removed provider=claude file=claude-ada@example\.com\.json/);
      for (const secret of [CLAUDE_ACCESS, CLAUDE_REFRESH]) assert(!server.log().includes(secret));
    } finally {
      await server.stop();
    }
  }));

Deno.test("files already in the auth dir load at start; a rename replaces and renames accounts", () =>
  withTempHome(async (home) => {
    const dir = `${home}/auth`;
    await Deno.mkdir(dir, { mode: 0o700 });
    await writeAccount(`${dir}/claude-ada@example.com.json`, claudeFile());
    const server = await startSubgate(["--auth-dir", dir], { home });
    try {
      assert(hasClaude(await modelIds(server.url)));
      assertMatch(server.log(), /accounts=1/);

      // Replace by rename: the claude file now holds a codex account.
      await writeAccount(`${dir}/.incoming`, codexFile());
      await Deno.rename(`${dir}/.incoming`, `${dir}/claude-ada@example.com.json`);
      await eventually(
        async () => {
          const ids = await modelIds(server.url);
          return hasCodex(ids) && !hasClaude(ids);
        },
        1000,
        "the replaced file to switch provider",
      );

      // A rename to another name keeps the account under its new file name.
      await Deno.rename(`${dir}/claude-ada@example.com.json`, `${dir}/codex-grace.json`);
      await server.waitForLog(
        /account loaded provider=codex account=grace@example\.com file=codex-grace\.json/,
      );
      assert(hasCodex(await modelIds(server.url)));
    } finally {
      await server.stop();
    }
  }));

Deno.test("a half-written or invalid file is reported by name and the last good version stays", () =>
  withTempHome(async (home) => {
    const dir = `${home}/auth`;
    await Deno.mkdir(dir, { mode: 0o700 });
    const path = `${dir}/claude-ada@example.com.json`;
    await writeAccount(path, claudeFile());
    const server = await startSubgate(["--auth-dir", dir], { home });
    try {
      // A writer that truncates and writes in two steps, caught half way.
      const text = claudeFile();
      await Deno.writeTextFile(path, text.slice(0, text.length / 2));
      await server.waitForLog(
        /account file is invalid; keeping its last good version file=claude-ada@example\.com\.json reason="invalid JSON: the file ends early/,
      );
      assert(hasClaude(await modelIds(server.url)), "last good version still serves");

      await Deno.writeTextFile(path, '{"type": "claude", "email": "x@example.com"}');
      await server.waitForLog(/reason="holds no access_token, refresh_token or api_key"/);
      await Deno.writeTextFile(path, '{"type": "llama", "access_token": "tok_abcdefghijkl"}');
      await server.waitForLog(/reason="unknown provider type \\"llama\\"; expected one of claude/);
      await Deno.writeTextFile(path, "[1, 2, 3]");
      await server.waitForLog(/reason="must hold a JSON object"/);
      assert(hasClaude(await modelIds(server.url)));

      await Deno.writeTextFile(path, text);
      await server.waitForLog(/account file is valid again file=claude-ada@example\.com\.json/);

      const log = server.log();
      for (const secret of [CLAUDE_ACCESS, CLAUDE_REFRESH, "tok_abcdefghijkl"]) {
        assert(!log.includes(secret), `log leaks ${secret}`);
      }

      // A file that was never good is reported and not loaded.
      await Deno.writeTextFile(`${dir}/new.json`, "{");
      await server.waitForLog(/account file is invalid; not loaded file=new\.json/);
    } finally {
      await server.stop();
    }
  }));

Deno.test("a token file readable by group or others is reported as unsafe", {
  ignore: !isPosix,
}, () =>
  withTempHome(async (home) => {
    const dir = `${home}/auth`;
    await Deno.mkdir(dir, { mode: 0o700 });
    const server = await startSubgate(["--auth-dir", dir], { home });
    try {
      await writeAccount(`${dir}/codex-grace.json`, codexFile(), 0o644);
      await server.waitForLog(
        /unsafe permissions on token file: readable by group or others file=codex-grace\.json mode=0644 fix="chmod 600 /,
      );
      // Still loaded: the warning says how to fix it, it does not lock the user out.
      await server.waitForLog(/account loaded provider=codex account=grace@example\.com/);
      assert(hasCodex(await modelIds(server.url)));
    } finally {
      await server.stop();
    }
  }));

Deno.test("atomic writes leave a complete 0600 file and no temp files, and the server sees one version", () =>
  withTempHome(async (home) => {
    const dir = `${home}/auth`;
    await Deno.mkdir(dir, { mode: 0o700 });
    const server = await startSubgate(["--auth-dir", dir], { home });
    try {
      const path = `${dir}/claude-ada@example.com.json`;
      for (let i = 0; i < 20; i++) {
        await writeFileAtomic(path, claudeFile(`user${i}@example.com`));
      }
      await server.waitForLog(/account=user19@example\.com/);
      assert(!/account file is invalid/.test(server.log()), "no reader ever saw a partial file");
      const names = [];
      for await (const entry of Deno.readDir(dir)) names.push(entry.name);
      // The server's own published state and usage ledger may sit beside it; no temp file may.
      const own = (n: string) => n === ".subgate-state.json" || /^usage\.db(-wal|-shm)?$/.test(n);
      assertEquals(names.filter((n) => !own(n)), [
        "claude-ada@example.com.json",
      ]);
      if (isPosix) assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
      assertEquals(JSON.parse(await Deno.readTextFile(path)).email, "user19@example.com");
    } finally {
      await server.stop();
    }
  }));
