// Runs the real install.sh against a fake GitHub release served from loopback,
// so the download, checksum and install logic is exercised end to end without
// network access.
import assert from "node:assert/strict";

const INSTALL_SH = decodeURIComponent(new URL("../install.sh", import.meta.url).pathname);

// install.sh only supports Linux and macOS; on Windows it is never run.
const ignore = Deno.build.os !== "linux" && Deno.build.os !== "darwin";

const FAKE_BINARY = `#!/bin/sh
if [ "$1" = "--version" ]; then
  echo "subgate 9.9.9"
  exit 0
fi
echo "unexpected arguments: $*" >&2
exit 2
`;

const BROKEN_BINARY = `#!/bin/sh
echo "boom" >&2
exit 3
`;

// The asset install.sh should pick on this machine, mirroring its uname mapping.
const ASSET = `subgate-${Deno.build.arch}-${
  Deno.build.os === "darwin" ? "apple-darwin" : "unknown-linux-gnu"
}`;

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** SHA256SUMS as `sha256sum` writes it, with other assets listed too, as in a real release. */
async function sha256sums(entries: Record<string, string>): Promise<string> {
  const lines = [
    `${"0".repeat(64)}  subgate-x86_64-pc-windows-msvc.exe`,
  ];
  for (const [name, content] of Object.entries(entries)) {
    lines.push(`${await sha256Hex(content)}  ${name}`);
  }
  lines.push(`${"1".repeat(64)}  install.sh`);
  return lines.join("\n") + "\n";
}

interface Release {
  /** Base URL to pass as SUBGATE_DOWNLOAD_BASE. */
  base: string;
  /** File names requested so far, in order. */
  requests: string[];
}

/** Serves `files` under a release-like path on an ephemeral loopback port for the duration of `fn`. */
async function withRelease(
  files: Record<string, string>,
  fn: (release: Release) => Promise<void>,
): Promise<void> {
  const prefix = "/releases/download/v9.9.9/";
  const requests: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const path = new URL(req.url).pathname;
    const name = path.startsWith(prefix) ? path.slice(prefix.length) : "";
    requests.push(name);
    if (req.method !== "GET" || !Object.hasOwn(files, name)) {
      return new Response("Not Found\n", { status: 404 });
    }
    return new Response(files[name], {
      headers: { "content-type": "application/octet-stream" },
    });
  });
  try {
    // The trailing slash checks that install.sh joins URLs without doubling it.
    await fn({ base: `http://127.0.0.1:${server.addr.port}${prefix}`, requests });
  } finally {
    await server.shutdown();
  }
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "subgate-install-test-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs install.sh with a clean environment, so a developer's own SUBGATE_*
 * variables cannot leak in. TMPDIR points inside `home` so the test can see
 * whether the script cleaned up after itself.
 */
async function runInstall(
  home: string,
  env: Record<string, string>,
  opts: { piped?: boolean } = {},
): Promise<RunResult> {
  const tmpdir = `${home}/tmp`;
  await Deno.mkdir(tmpdir, { recursive: true });
  const command = new Deno.Command("sh", {
    // Piped mode mimics `curl ... | sh`: the script arrives on stdin.
    args: opts.piped ? ["-s"] : [INSTALL_SH],
    clearEnv: true,
    env: { HOME: home, PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", TMPDIR: tmpdir, ...env },
    stdin: opts.piped ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  });
  const child = command.spawn();
  if (opts.piped) {
    const writer = child.stdin.getWriter();
    await writer.write(await Deno.readFile(INSTALL_SH));
    await writer.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

function describe(r: RunResult): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

async function listDir(path: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(path)) names.push(entry.name);
  return names.sort();
}

async function runBinary(path: string): Promise<string> {
  const out = await new Deno.Command(path, {
    args: ["--version"],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim();
}

/** The temp dir install.sh made under TMPDIR must be gone however it exited. */
async function assertTempCleaned(home: string): Promise<void> {
  assert.deepEqual(await listDir(`${home}/tmp`), [], "install.sh left temp files behind");
}

Deno.test({
  name: "install.sh installs a verified binary into SUBGATE_INSTALL_DIR",
  ignore,
  async fn() {
    const files = { [ASSET]: FAKE_BINARY, SHA256SUMS: await sha256sums({ [ASSET]: FAKE_BINARY }) };
    await withRelease(files, (release) =>
      withTempDir(async (home) => {
        const installDir = `${home}/bin`;
        const target = `${installDir}/subgate`;
        const r = await runInstall(home, {
          SUBGATE_DOWNLOAD_BASE: release.base,
          SUBGATE_INSTALL_DIR: installDir,
        });
        assert.equal(r.code, 0, describe(r));
        assert.match(r.stdout, /verified sha256/, describe(r));
        assert.ok(r.stdout.includes(`installed subgate to ${target}`), describe(r));
        // The install dir is not on PATH, so the user is told how to add it.
        assert.ok(r.stdout.includes(`export PATH="${installDir}:$PATH"`), describe(r));
        assert.match(r.stdout, /subgate 9\.9\.9/, describe(r));

        const info = await Deno.stat(target);
        assert.ok(info.isFile);
        assert.equal(info.mode! & 0o777, 0o755);
        assert.equal(await runBinary(target), "subgate 9.9.9");
        assert.equal(await Deno.readTextFile(target), FAKE_BINARY);
        // No staging file is left beside the binary.
        assert.deepEqual(await listDir(installDir), ["subgate"]);
        await assertTempCleaned(home);
        assert.deepEqual(release.requests, ["SHA256SUMS", ASSET]);
      }));
  },
});

Deno.test({
  name: "install.sh refuses to install when the checksum does not match",
  ignore,
  async fn() {
    // SHA256SUMS lists the checksum of different content than what is served.
    const files = {
      [ASSET]: FAKE_BINARY + "# tampered\n",
      SHA256SUMS: await sha256sums({ [ASSET]: FAKE_BINARY }),
    };
    const expected = await sha256Hex(FAKE_BINARY);
    const actual = await sha256Hex(files[ASSET]);
    await withRelease(files, (release) =>
      withTempDir(async (home) => {
        const installDir = `${home}/bin`;
        const r = await runInstall(home, {
          SUBGATE_DOWNLOAD_BASE: release.base,
          SUBGATE_INSTALL_DIR: installDir,
        });
        assert.notEqual(r.code, 0, describe(r));
        assert.match(r.stderr, /checksum mismatch/, describe(r));
        assert.ok(r.stderr.includes(`expected: ${expected}`), describe(r));
        assert.ok(r.stderr.includes(`actual:   ${actual}`), describe(r));
        assert.doesNotMatch(r.stdout, /installed subgate/, describe(r));
        assert.equal(await exists(`${installDir}/subgate`), false);
        await assertTempCleaned(home);
      }));
  },
});

Deno.test({
  name: "install.sh leaves an existing binary untouched when verification fails",
  ignore,
  async fn() {
    const files = {
      [ASSET]: FAKE_BINARY + "# tampered\n",
      SHA256SUMS: await sha256sums({ [ASSET]: FAKE_BINARY }),
    };
    await withRelease(files, (release) =>
      withTempDir(async (home) => {
        const installDir = `${home}/bin`;
        const target = `${installDir}/subgate`;
        const old = "#!/bin/sh\necho 'subgate 0.0.1'\n";
        await Deno.mkdir(installDir);
        await Deno.writeTextFile(target, old, { mode: 0o755 });
        const r = await runInstall(home, {
          SUBGATE_DOWNLOAD_BASE: release.base,
          SUBGATE_INSTALL_DIR: installDir,
        });
        assert.notEqual(r.code, 0, describe(r));
        assert.equal(await Deno.readTextFile(target), old);
        assert.deepEqual(await listDir(installDir), ["subgate"]);
      }));
  },
});

Deno.test({
  name: "install.sh fails clearly when the asset is missing from the release",
  ignore,
  async fn() {
    // SHA256SUMS is published but the binary itself 404s.
    const files = { SHA256SUMS: await sha256sums({ [ASSET]: FAKE_BINARY }) };
    await withRelease(files, (release) =>
      withTempDir(async (home) => {
        const installDir = `${home}/bin`;
        const r = await runInstall(home, {
          SUBGATE_DOWNLOAD_BASE: release.base,
          SUBGATE_INSTALL_DIR: installDir,
        });
        assert.notEqual(r.code, 0, describe(r));
        assert.ok(r.stderr.includes(`failed to download ${release.base}${ASSET}`), describe(r));
        assert.equal(await exists(`${installDir}/subgate`), false);
        await assertTempCleaned(home);
      }));
  },
});

Deno.test({
  name: "install.sh fails before downloading when SHA256SUMS has no entry for the asset",
  ignore,
  async fn() {
    const files = {
      [ASSET]: FAKE_BINARY,
      SHA256SUMS: await sha256sums({ "subgate-other": FAKE_BINARY }),
    };
    await withRelease(files, (release) =>
      withTempDir(async (home) => {
        const installDir = `${home}/bin`;
        const r = await runInstall(home, {
          SUBGATE_DOWNLOAD_BASE: release.base,
          SUBGATE_INSTALL_DIR: installDir,
        });
        assert.notEqual(r.code, 0, describe(r));
        assert.ok(r.stderr.includes(`SHA256SUMS has no entry for ${ASSET}`), describe(r));
        assert.deepEqual(release.requests, ["SHA256SUMS"]);
        assert.equal(await exists(`${installDir}/subgate`), false);
        await assertTempCleaned(home);
      }));
  },
});

Deno.test({
  name: "install.sh defaults to ~/.local/bin and prints no PATH hint when it is on PATH",
  ignore,
  async fn() {
    const files = { [ASSET]: FAKE_BINARY, SHA256SUMS: await sha256sums({ [ASSET]: FAKE_BINARY }) };
    await withRelease(files, (release) =>
      withTempDir(async (home) => {
        const target = `${home}/.local/bin/subgate`;
        const r = await runInstall(home, {
          SUBGATE_DOWNLOAD_BASE: release.base,
          PATH: `${home}/.local/bin:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
        });
        assert.equal(r.code, 0, describe(r));
        assert.ok(r.stdout.includes(`installed subgate to ${target}`), describe(r));
        assert.doesNotMatch(r.stdout, /not on your PATH/, describe(r));
        assert.equal(await runBinary(target), "subgate 9.9.9");
        await assertTempCleaned(home);
      }));
  },
});

Deno.test({
  name: "install.sh works when piped into sh, as the curl one-liner runs it",
  ignore,
  async fn() {
    const files = { [ASSET]: FAKE_BINARY, SHA256SUMS: await sha256sums({ [ASSET]: FAKE_BINARY }) };
    await withRelease(files, (release) =>
      withTempDir(async (home) => {
        const r = await runInstall(home, { SUBGATE_DOWNLOAD_BASE: release.base }, {
          piped: true,
        });
        assert.equal(r.code, 0, describe(r));
        assert.match(r.stdout, /subgate 9\.9\.9/, describe(r));
        assert.equal(await runBinary(`${home}/.local/bin/subgate`), "subgate 9.9.9");
      }));
  },
});

Deno.test({
  name: "install.sh exits non-zero when the installed binary does not run",
  ignore,
  async fn() {
    const files = {
      [ASSET]: BROKEN_BINARY,
      SHA256SUMS: await sha256sums({ [ASSET]: BROKEN_BINARY }),
    };
    await withRelease(files, (release) =>
      withTempDir(async (home) => {
        const r = await runInstall(home, { SUBGATE_DOWNLOAD_BASE: release.base });
        assert.notEqual(r.code, 0, describe(r));
        assert.match(r.stderr, /--version' failed/, describe(r));
        assert.match(r.stderr, /boom/, describe(r));
        await assertTempCleaned(home);
      }));
  },
});
