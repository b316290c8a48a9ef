/**
 * @module
 * `subgate import [tool] [--link]`: takes over the logins of the vendors' own
 * CLIs. Copy mode (default) writes subgate's own account file; linked mode
 * keeps the vendor's file as the one source of tokens and writes refreshed
 * tokens back into it, so the vendor CLI and subgate never hold diverging
 * copies of a single-use refresh token. A link is honoured only at the
 * vendor's own login location under the home dir (`linked-file.ts`).
 */
import { accountFileName, saveAccountFile } from "../auth/account-file.ts";
import { withTeamStore } from "./team-store.ts";
import type { Config } from "../config/config-types.ts";
import { readRegularFile } from "../fs/read-regular-file.ts";
import { printable, printableRedacted } from "../log/printable.ts";
import { jwtClaims } from "../oauth/jwt-claims.ts";
import { type Identity, resolveEndpoints, type TokenSet } from "../oauth/login-spec.ts";
import { PROVIDERS } from "../providers/registry.ts";
import {
  findVendorPath,
  VENDOR_FILES,
  vendorFile,
  type VendorLogin,
  type VendorTokens,
} from "../store/import/vendor-files.ts";
import { loadStartupConfig } from "./load-startup-config.ts";
import type { ParsedCommand } from "./parse-cli.ts";

/** What became of one vendor's login: imported, not there, or failed (already reported). */
type ImportOutcome = "imported" | "absent" | "failed";

/** The tokens in the vendor's file at `path`, or undefined after saying why there are none. */
async function readVendorTokens(
  vendor: VendorLogin,
  path: string,
): Promise<VendorTokens | undefined> {
  const read = await readRegularFile(path);
  if (!read.ok) {
    console.error(`subgate: ${printable(path)} ${read.reason}`);
    return undefined;
  }
  let tokens;
  try {
    tokens = vendor.read(JSON.parse(read.text));
  } catch {
    tokens = undefined;
  }
  if (!tokens) {
    console.error(`subgate: ${printable(path)} holds no ${vendor.title} login subgate can read`);
  }
  return tokens;
}

/** Who the login belongs to: asked of the provider, else what the file itself says. */
async function identifyVendorLogin(
  vendor: VendorLogin,
  path: string,
  tokens: VendorTokens,
  config: Config,
): Promise<Identity | undefined> {
  const provider = PROVIDERS[vendor.provider];
  const endpoints = resolveEndpoints(
    provider.login,
    { baseUrl: provider.baseUrl, apiUrl: provider.apiUrl },
    config.providers[provider.id],
  );
  const { hints, expired: _expired, ...tokenFields } = tokens;
  try {
    return await provider.login.identify(tokenFields as TokenSet, {
      endpoints,
      idTokenClaims: jwtClaims(tokens.id_token),
      say: (line) => console.log(line),
      fetch,
    });
  } catch (error) {
    const hinted = (hints.login ?? hints.email) as string | undefined;
    if (hinted) return { account: hinted, fields: { login: hints.login, email: hints.email } };
    console.error(
      printableRedacted(
        `subgate: cannot tell which ${vendor.title} account ${path} holds: ${
          (error as Error).message
        }`,
      ),
    );
    return undefined;
  }
}

/** What the import says after writing the file: where the tokens live now, and the terms. */
function sayImported(vendor: VendorLogin, path: string, link: boolean, wanted: boolean) {
  const provider = PROVIDERS[vendor.provider];
  if (wanted && !vendor.write) {
    console.log(`  ${vendor.title} tokens do not expire, so a copy is as good as a link.`);
  } else if (link) {
    console.log(
      `  subgate reads the tokens from ${
        printable(path)
      } and writes refreshed tokens back into it, so ` +
        `${vendor.title} and subgate share one login.`,
    );
  } else if (vendor.singleUseRefresh) {
    console.log(
      `  Warning: ${provider.title} refresh tokens work once. If ${vendor.title} and subgate ` +
        `both refresh this login, the one that refreshes second is logged out. Keep using only ` +
        `one of them with this copy, or re-import with --link to share the vendor's file.`,
    );
  }
  console.log(`\n  Terms: ${provider.login.termsNote}\n`);
}

/** Where an imported account is saved: the auth dir, or the team's database. */
type SaveAccount = (file: string, record: Record<string, unknown>) => Promise<unknown>;

/** Imports one vendor's login, when it has one here. */
async function importVendor(
  vendor: VendorLogin,
  named: boolean,
  command: ParsedCommand,
  config: Config,
  save: SaveAccount,
): Promise<ImportOutcome> {
  const path = await findVendorPath(vendor);
  if (!path) {
    if (!named) return "absent";
    console.error(
      `subgate: no ${vendor.title} login found (looked at ~/${vendor.paths.join(", ~/")})`,
    );
    return "failed";
  }
  const tokens = await readVendorTokens(vendor, path);
  if (!tokens) return "failed";
  const identity = await identifyVendorLogin(vendor, path, tokens, config);
  if (!identity) return "failed";
  const { hints: _hints, expired, ...tokenFields } = tokens;
  const link = command.link && vendor.write !== undefined;
  const record: Record<string, unknown> = {
    type: vendor.provider,
    ...identity.fields,
    ...(link ? { linked: { tool: vendor.tool, path } } : { ...tokenFields, expired }),
    imported_from: vendor.tool,
    last_refresh: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
  };
  const file = accountFileName(vendor.provider, identity.account);
  await save(file, record);
  console.log(
    `Imported ${vendor.title} login of ${printable(identity.account)} as ${printable(file)}${
      link ? ` (linked to ${printable(path)})` : ""
    }.`,
  );
  sayImported(vendor, path, link, command.link);
  return "imported";
}

export async function importCommand(command: ParsedCommand): Promise<number> {
  const named = command.target && vendorFile(command.target.toLowerCase());
  if (command.target && !named) {
    console.error(
      `subgate: unknown tool '${command.target}'; choose one of ${
        VENDOR_FILES.map((v) => v.tool).join(", ")
      }`,
    );
    return 2;
  }
  const startup = await loadStartupConfig(command);
  if (!startup) return 1;
  const config = startup.config;
  const vendors = named ? [named] : VENDOR_FILES;
  if (!config.store) {
    const toAuthDir: SaveAccount = (file, record) => saveAccountFile(config.authDir, file, record);
    return await importAll(vendors, Boolean(named), command, config, toAuthDir);
  }
  if (command.link) {
    // A linked account reads the vendor's file on this host: the team's other hosts cannot.
    console.error(
      "subgate: --link is not for teams mode (other instances cannot read this host's vendor " +
        "files); import without it to copy the tokens into the shared store",
    );
    return 2;
  }
  return await withTeamStore(config, { command: "import" }, (store) => {
    const toTeam: SaveAccount = (file, record) => store.accounts.save(file, record);
    return importAll(vendors, Boolean(named), command, config, toTeam, store.where);
  });
}

/** Imports each vendor's login; the exit code. */
async function importAll(
  vendors: readonly VendorLogin[],
  named: boolean,
  command: ParsedCommand,
  config: Config,
  save: SaveAccount,
  where?: string,
): Promise<number> {
  const outcomes: ImportOutcome[] = [];
  for (const vendor of vendors) {
    outcomes.push(await importVendor(vendor, named, command, config, save));
  }
  if (where && outcomes.includes("imported")) {
    console.log(printable(`Saved to the shared database ${where}, its tokens sealed.`));
  }
  const failures = outcomes.filter((outcome) => outcome === "failed").length;
  if (!outcomes.includes("imported") && failures === 0) {
    console.log(
      "No vendor CLI logins found (Claude Code, Codex CLI, Gemini CLI, Qwen Code, Copilot).",
    );
  }
  return failures ? 1 : 0;
}
