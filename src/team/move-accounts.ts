/**
 * @module
 * Moving in and out of the shared database: `subgate store import` copies
 * an auth dir's accounts (and its client keys) in, and `subgate store export`
 * writes the database's accounts back out as account files. Import is
 * idempotent: an account or key already in the database is left as it is
 * there (the database may hold newer tokens than the file), so running it
 * twice changes nothing the second time.
 */
import { join } from "node:path";
import { saveAccountFile } from "../auth/account-file.ts";
import type { Json } from "../ir/json.ts";
import type { StoredKey } from "../keys/key-store.ts";
import { parseAccountFile } from "../store/parse-account-file.ts";
import { IN_FLIGHT_KEY } from "../store/refresh-marks.ts";
import type { TokenCipher } from "../store/token-crypto.ts";
import type { Team } from "./team.ts";

export interface MoveReport {
  /** File names (or key names) and what became of each. */
  done: { name: string; outcome: "imported" | "kept" | "exported" | "failed"; reason?: string }[];
}

/** Copies accounts into the database where it has none by that name. */
export async function importAccounts(
  team: Team,
  cipher: TokenCipher,
  records: readonly { file: string; record: Json }[],
): Promise<MoveReport> {
  const done: MoveReport["done"] = [];
  for (const { file, record } of records) {
    const own: Json = { ...record };
    // The database keeps the tokens itself: a linked vendor file is not on the other instances.
    delete own.linked;
    delete own[IN_FLIGHT_KEY];
    const parsed = parseAccountFile(file, JSON.stringify(own));
    if (!parsed.ok) {
      done.push({ name: file, outcome: "failed", reason: parsed.reason });
      continue;
    }
    const sealed = await cipher.seal(JSON.stringify(own), `account:${file}`);
    const inserted = await team.run((sql) =>
      sql.begin(async (tx) => {
        const rows = await tx`INSERT INTO subgate_accounts
            (name, provider, label, sealed, disabled, needs_login, last_error, expires_at,
             updated_by)
          VALUES (${file}, ${parsed.account.provider}, ${parsed.account.label}, ${sealed},
            ${parsed.account.disabled}, ${parsed.account.needsLogin},
            ${parsed.account.lastError ?? null}, ${parsed.account.expiresAt ?? null},
            ${team.instance.name})
          ON CONFLICT (name) DO NOTHING RETURNING generation`;
        if (rows.length) {
          await team.announce(tx, "account", { n: file, g: Number(rows[0].generation) });
        }
        return rows.length > 0;
      })
    );
    done.push({ name: file, outcome: inserted ? "imported" : "kept" });
  }
  return { done };
}

/** Copies client keys (their hashes and policies) into the database where none has the name. */
export async function importKeys(team: Team, keys: readonly StoredKey[]): Promise<MoveReport> {
  const done: MoveReport["done"] = [];
  for (const key of keys) {
    const inserted = await team.run((sql) =>
      sql.begin(async (tx) => {
        const rows = await tx`INSERT INTO subgate_keys
            (name, key_sha256, prefix, models, limits, expires, created, last_used)
          VALUES (${key.name}, ${key.keySha256}, ${key.prefix ?? null},
            ${key.models ? tx.json(key.models) : null}, ${tx.json({ ...key.limits })},
            ${key.expires === undefined ? null : new Date(key.expires)}, ${new Date(key.created)},
            ${key.lastUsed === undefined ? null : new Date(key.lastUsed)})
          ON CONFLICT DO NOTHING RETURNING name`;
        if (rows.length) await team.announce(tx, "keys");
        return rows.length > 0;
      })
    );
    done.push({ name: key.name, outcome: inserted ? "imported" : "kept" });
  }
  return { done };
}

/** Writes every account of the database to `dir` as an account file (0600, atomically). */
export async function exportAccounts(
  team: Team,
  cipher: TokenCipher,
  dir: string,
): Promise<MoveReport> {
  const rows = await team.run((sql) =>
    sql<{ name: string; sealed: string }[]>`SELECT name, sealed FROM subgate_accounts ORDER BY name`
  );
  const done: MoveReport["done"] = [];
  for (const row of rows) {
    if (!/^[^./\\][^/\\]*\.json$/.test(row.name)) {
      done.push({ name: row.name, outcome: "failed", reason: "not a file name" });
      continue;
    }
    try {
      const record = JSON.parse(await cipher.open(row.sealed, `account:${row.name}`));
      await saveAccountFile(dir, row.name, record);
      done.push({ name: join(dir, row.name), outcome: "exported" });
    } catch (error) {
      done.push({ name: row.name, outcome: "failed", reason: (error as Error).message });
    }
  }
  return { done };
}
