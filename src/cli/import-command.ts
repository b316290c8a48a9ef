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
import { findVendorPath, VENDOR_FILES, vendorFile } from "../store/import/vendor-files.ts";
import { jwtClaims } from "../oauth/jwt-claims.ts";
import { resolveEndpoints, type TokenSet } from "../oauth/login-spec.ts";
import { readRegularFile } from "../fs/read-regular-file.ts";
import { printable, printableRedacted } from "../log/printable.ts";
import { PROVIDERS } from "../providers/registry.ts";
import { loadStartupConfig } from "./load-startup-config.ts";
import type { ParsedCommand } from "./parse-cli.ts";

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
  const { config } = startup;
  let imported = 0;
  let failures = 0;
  for (const vendor of named ? [named] : VENDOR_FILES) {
    const path = await findVendorPath(vendor);
    if (!path) {
      if (named) {
        console.error(
          `subgate: no ${vendor.title} login found (looked at ~/${vendor.paths.join(", ~/")})`,
        );
        failures++;
      }
      continue;
    }
    const read = await readRegularFile(path);
    if (!read.ok) {
      console.error(`subgate: ${printable(path)} ${read.reason}`);
      failures++;
      continue;
    }
    let tokens;
    try {
      tokens = vendor.read(JSON.parse(read.text));
    } catch {
      tokens = undefined;
    }
    if (!tokens) {
      console.error(`subgate: ${printable(path)} holds no ${vendor.title} login subgate can read`);
      failures++;
      continue;
    }
    const provider = PROVIDERS[vendor.provider];
    const endpoints = resolveEndpoints(
      provider.login,
      { baseUrl: provider.baseUrl, apiUrl: provider.apiUrl },
      config.providers[provider.id],
    );
    const { hints, expired, ...tokenFields } = tokens;
    let identity;
    try {
      identity = await provider.login.identify(tokenFields as TokenSet, {
        endpoints,
        idTokenClaims: jwtClaims(tokens.id_token),
        say: (line) => console.log(line),
        fetch,
      });
    } catch (error) {
      const hinted = (hints.login ?? hints.email) as string | undefined;
      if (!hinted) {
        console.error(
          printableRedacted(
            `subgate: cannot tell which ${vendor.title} account ${path} holds: ${
              (error as Error).message
            }`,
          ),
        );
        failures++;
        continue;
      }
      identity = { account: hinted, fields: { login: hints.login, email: hints.email } };
    }
    const link = command.link && vendor.write !== undefined;
    const record: Record<string, unknown> = {
      type: provider.id,
      ...identity.fields,
      ...(link ? { linked: { tool: vendor.tool, path } } : { ...tokenFields, expired }),
      imported_from: vendor.tool,
      last_refresh: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
    };
    const file = accountFileName(provider.id, identity.account);
    await saveAccountFile(config.authDir, file, record);
    imported++;
    console.log(
      `Imported ${vendor.title} login of ${printable(identity.account)} as ${printable(file)}${
        link ? ` (linked to ${printable(path)})` : ""
      }.`,
    );
    if (command.link && !vendor.write) {
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
  if (imported === 0 && failures === 0) {
    console.log(
      "No vendor CLI logins found (Claude Code, Codex CLI, Gemini CLI, Qwen Code, Copilot).",
    );
  }
  return failures ? 1 : 0;
}
