/**
 * The auth dir is read safely (issue 12's audit): only regular files inside
 * it are read, a linked account reads only its vendor's own login file, and
 * names from disk are printed escaped. Everything through the public surface:
 * a real subgate process, real FIFOs, symlinks and odd file names.
 */
import { assert, assertEquals, assertMatch, assertNotMatch } from "./helpers/assert.ts";
import { claudeFile, codexFile, writeAccount } from "./helpers/fixtures.ts";
import { eventually, runSubgate, startSubgate, withTempHome } from "./helpers/subgate-process.ts";

// Windows has no FIFOs, creating symlinks needs privileges there, and its file names cannot
// hold control characters: these cases only exist on POSIX systems.
const posixOnly = { ignore: Deno.build.os === "windows" };

const ESC = "\u001b";

async function modelIds(url: string): Promise<string[]> {
  const body = await (await fetch(`${url}/v1/models`)).json();
  return body.data.map((m: { id: string }) => m.id);
}

const hasClaude = (ids: string[]) => ids.some((id) => id.startsWith("claude-"));
const hasCodex = (ids: string[]) => ids.some((id) => id.startsWith("gpt-"));

async function mkfifo(path: string): Promise<void> {
  const made = await new Deno.Command("mkfifo", { args: [path] }).output();
  assertEquals(made.code, 0, `mkfifo ${path}`);
}

async function privateDir(path: string): Promise<string> {
  await Deno.mkdir(path, { recursive: true, mode: 0o700 });
  return path;
}

/** How often `pattern` occurs in `text`. */
function count(text: string, pattern: RegExp): number {
  return [...text.matchAll(new RegExp(pattern.source, "g"))].length;
}

Deno.test(
  "a FIFO named x.json is reported once and skipped; later files still apply and SIGTERM exits promptly",
  posixOnly,
  () =>
    withTempHome(async (home) => {
      const dir = await privateDir(`${home}/auth`);
      await mkfifo(`${dir}/x.json`);
      // The initial scan meets it: the server must still come up.
      const server = await startSubgate(["--auth-dir", dir], { home });
      let stopped = false;
      try {
        await server.waitForLog(
          /account file skipped file=x\.json reason="is a FIFO \(named pipe\), not a regular file: skipped"/,
        );
        // An event on the FIFO itself does not report it again.
        await Deno.utime(`${dir}/x.json`, new Date(), new Date());
        await writeAccount(`${dir}/claude-ada@example.com.json`, claudeFile());
        const took = await eventually(async () => hasClaude(await modelIds(server.url)), 1000);
        assert(took < 1000, `applied after ${took} ms`);
        // A second FIFO, made while watching, is met by the watcher and skipped the same way.
        await mkfifo(`${dir}/y.json`);
        await server.waitForLog(/account file skipped file=y\.json reason="is a FIFO/);
        await writeAccount(`${dir}/codex-grace.json`, codexFile());
        await eventually(async () => hasCodex(await modelIds(server.url)), 1000);
        assertEquals(count(server.log(), /account file skipped file=x\.json/), 1);

        const accounts = await runSubgate(["accounts", "--auth-dir", dir], { home });
        assertEquals(accounts.code, 0, accounts.stderr);
        assertMatch(accounts.stdout, /\?\s+-\s+skipped\s+.*x\.json/);
        assertMatch(
          accounts.stdout,
          /^x\.json: is a FIFO \(named pipe\), not a regular file: skipped$/m,
        );

        const started = Date.now();
        const status = await server.stop("SIGTERM");
        stopped = true;
        assertEquals(status.code, 0, server.log());
        assert(Date.now() - started < 3000, `SIGTERM took ${Date.now() - started} ms`);
      } finally {
        if (!stopped) await server.stop("SIGKILL");
      }
    }),
);

Deno.test(
  "a symlink to a file outside the auth dir is skipped and reported; one to a file inside is served",
  posixOnly,
  () =>
    withTempHome(async (home) => {
      const dir = await privateDir(`${home}/auth`);
      const elsewhere = await privateDir(`${home}/elsewhere`);
      await writeAccount(`${elsewhere}/claude.json`, claudeFile());
      await Deno.symlink(`${elsewhere}/claude.json`, `${dir}/claude-out.json`);
      // Inside: a subdirectory of the auth dir (never scanned itself), reached by a relative link.
      await privateDir(`${dir}/kept`);
      await writeAccount(`${dir}/kept/codex.json`, codexFile());
      await Deno.symlink("kept/codex.json", `${dir}/codex-in.json`);
      // A directory named like an account file.
      await privateDir(`${dir}/d.json`);

      const server = await startSubgate(["--auth-dir", dir], { home });
      try {
        const ids = await modelIds(server.url);
        assert(hasCodex(ids), "the link inside the dir serves");
        assert(!hasClaude(ids), "the link leading out is not read");
        const log = server.log();
        assertMatch(
          log,
          /account file skipped file=claude-out\.json reason="is a symlink that points outside the auth dir: skipped"/,
        );
        assertMatch(
          log,
          /account loaded provider=codex account=grace@example\.com file=codex-in\.json/,
        );
        assertMatch(
          log,
          /account file skipped file=d\.json reason="is a directory, not a regular file: skipped"/,
        );

        // A link that starts pointing out while watched is dropped, its account with it.
        await Deno.remove(`${dir}/codex-in.json`);
        await Deno.symlink("/etc/hostname", `${dir}/codex-in.json`);
        await eventually(async () => !hasCodex(await modelIds(server.url)), 1000);
        await server.waitForLog(/file=codex-in\.json reason="is a symlink that points outside/);

        const accounts = await runSubgate(["accounts", "--auth-dir", dir], { home });
        assertMatch(
          accounts.stdout,
          /^claude-out\.json: is a symlink that points outside the auth dir/m,
        );
        assertMatch(accounts.stdout, /^d\.json: is a directory, not a regular file: skipped$/m);
        assertMatch(accounts.stdout, /\?\s+-\s+skipped\s+.*d\.json/);
      } finally {
        await server.stop();
      }
    }),
);

/** A Claude Code login file's contents, as Claude Code writes it. */
function claudeCodeLogin(): string {
  return JSON.stringify({
    claudeAiOauth: {
      accessToken: "sk-ant-oat01-LINKEDACCESSxxxxxxxxxxxxxx",
      refreshToken: "sk-ant-ort01-LINKEDREFRESHyyyyyyyyyyyy",
      expiresAt: Date.now() + 3600_000,
      subscriptionType: "max",
    },
  });
}

function linkedAccount(tool: string, path: string, type = "claude"): string {
  return JSON.stringify({ type, email: "ada@example.com", linked: { tool, path } });
}

Deno.test(
  "linked.path is read only at the vendor's own login location; anywhere else it is reported unread",
  posixOnly,
  () =>
    withTempHome(async (home) => {
      const dir = await privateDir(`${home}/auth`);
      // A readable Claude Code login kept somewhere Claude Code never keeps it.
      const stray = `${await privateDir(`${home}/stray`)}/credentials.json`;
      await writeAccount(stray, claudeCodeLogin());
      const strayText = await Deno.readTextFile(stray);
      const before = await Deno.stat(stray);
      await writeAccount(`${dir}/claude-passwd.json`, linkedAccount("claude-code", "/etc/passwd"));
      await writeAccount(`${dir}/claude-stray.json`, linkedAccount("claude-code", stray));
      // The real location, but named by an account of another provider.
      await privateDir(`${home}/.claude`);
      await writeAccount(`${home}/.claude/.credentials.json`, claudeCodeLogin());
      await writeAccount(
        `${dir}/codex-mixed.json`,
        linkedAccount("claude-code", `${home}/.claude/.credentials.json`, "codex"),
      );

      const server = await startSubgate(["--auth-dir", dir], { home });
      try {
        assertEquals(await modelIds(server.url), [], "no linked account loads");
        const log = server.log();
        assertMatch(
          log,
          /linked account not loaded file=claude-passwd\.json reason="the linked path \/etc\/passwd is not where Claude Code keeps its login \(~\/\.claude\/\.credentials\.json\): not read"/,
        );
        assertMatch(
          log,
          /linked account not loaded file=claude-stray\.json reason="the linked path /,
        );
        assertMatch(
          log,
          /file=codex-mixed\.json reason="\\"linked\\" names Claude Code, a login for another provider"/,
        );

        const accounts = await runSubgate(["accounts", "--auth-dir", dir], { home });
        assertMatch(
          accounts.stdout,
          /^claude-passwd\.json: the linked path \/etc\/passwd is not where/m,
        );
        assertMatch(accounts.stdout, /\?\s+-\s+invalid\s+.*claude-stray\.json/);
        // Nothing to refresh, so nothing is read from or written to the stray file.
        const refresh = await runSubgate(["refresh", "--auth-dir", dir], { home });
        assertEquals(refresh.code, 1);
        const after = await Deno.stat(stray);
        assertEquals(after.mtime, before.mtime);
        assertEquals(await Deno.readTextFile(stray), strayText);
      } finally {
        await server.stop();
      }
    }),
);

Deno.test(
  "a linked login file must be a regular file; one a symlink leads out of home is served and flagged",
  posixOnly,
  () =>
    withTempHome(async (home) => {
      const dir = await privateDir(`${home}/auth`);
      const vendorPath = `${await privateDir(`${home}/.claude`)}/.credentials.json`;
      await writeAccount(`${dir}/claude-ada.json`, linkedAccount("claude-code", vendorPath));
      await mkfifo(vendorPath);

      const fifo = await runSubgate(["accounts", "--auth-dir", dir], { home });
      assertMatch(
        fifo.stdout,
        /^claude-ada\.json: the linked file ~\/\.claude\/\.credentials\.json is a FIFO \(named pipe\), not a regular file: skipped$/m,
      );

      // Dotfiles kept on another disk: the vendor file is a symlink out of the home dir.
      const outside = await Deno.makeTempDir({ prefix: "subgate-dotfiles-" });
      try {
        await writeAccount(`${outside}/credentials.json`, claudeCodeLogin());
        await Deno.remove(vendorPath);
        await Deno.symlink(`${outside}/credentials.json`, vendorPath);
        const real = await Deno.realPath(`${outside}/credentials.json`);
        const listed = await runSubgate(["accounts", "--auth-dir", dir], { home });
        assertEquals(listed.code, 0, listed.stderr);
        assert(
          listed.stdout.includes(
            `claude-ada.json (linked to claude-code: ~/.claude/.credentials.json -> ${real}, outside the home dir)`,
          ),
          listed.stdout,
        );
        assertMatch(listed.stdout, /claude\s+ada@example\.com\s+ready/);
      } finally {
        await Deno.remove(outside, { recursive: true });
      }
    }),
);

Deno.test(
  "file names and labels with ESC and newlines are printed escaped in the log and in subgate accounts",
  posixOnly,
  () =>
    withTempHome(async (home) => {
      const dir = await privateDir(`${home}/auth`);
      const name = `evil${ESC}[31m\nINFO forged.json`;
      await writeAccount(`${dir}/${name}`, claudeFile(`ada${ESC}[2J@example.com`));
      const server = await startSubgate(["--auth-dir", dir], { home });
      try {
        await writeAccount(`${dir}/bad${ESC}]0;title\u0007.json`, "{");
        await server.waitForLog(/account file is invalid; not loaded file="bad/);
        const log = server.log();
        assert(
          !log.includes(ESC) && !log.includes("\u0007"),
          "no raw control character in the log",
        );
        assertNotMatch(log, /^INFO forged/m);
        assert(
          log.includes(
            'account loaded provider=claude account="ada\\u001b[2J@example.com" ' +
              'file="evil\\u001b[31m\\nINFO forged.json"',
          ),
          log,
        );
        assert(log.includes('file="bad\\u001b]0;title\\u0007.json"'), log);
      } finally {
        await server.stop();
      }

      const accounts = await runSubgate(["accounts", "--auth-dir", dir], { home });
      assertEquals(accounts.code, 0, accounts.stderr);
      assert(!accounts.stdout.includes(ESC), "no raw ESC in the table");
      assertNotMatch(accounts.stdout, /^INFO forged/m);
      assertMatch(accounts.stdout, /ada\\u001b\[2J@example\.com\s+ready/);
      assert(accounts.stdout.includes("evil\\u001b[31m\\nINFO forged.json"), accounts.stdout);
      assert(accounts.stdout.includes("bad\\u001b]0;title\\u0007.json: invalid JSON"));

      const logout = await runSubgate(["logout", "claude", "--auth-dir", dir], { home });
      assertEquals(logout.code, 0, logout.stderr);
      assert(!logout.stdout.includes(ESC), "no raw ESC in logout's message");
      assert(
        logout.stdout.includes(
          "as ada\\u001b[2J@example.com (removed evil\\u001b[31m\\nINFO forged.json)",
        ),
        logout.stdout,
      );
    }),
);
