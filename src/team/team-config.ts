/**
 * @module
 * The team's shared config in the database: one row holding the YAML text
 * (sealed with the store key, as tokens are: it holds upstream keys), a
 * generation (+ 1 at every save, the version `If-Match` names), and who saved
 * it and when. A save succeeds only at the generation its caller read, in one
 * statement, and is announced (`config`) in its transaction: every instance
 * hears it once committed, re-reads the row and applies it
 * (`cli/shared-config-sync.ts`). What the text may hold, and what stays each
 * instance's own, is `config/shared-config.ts`.
 */
import { apiError } from "../errors/api-error.ts";
import type { TokenCipher } from "../store/token-crypto.ts";
import { isConnectionError, type Team } from "./team.ts";

/** The shared config as the database holds it, opened. */
export interface SharedConfigRecord {
  text: string;
  generation: number;
  /** The instance it was saved through. */
  savedBy: string;
  /** Who saved it (the management API's caller: "management key", "loopback", …). */
  savedVia: string;
  savedAt: Date;
}

export interface TeamConfig {
  /** The shared config, or undefined when none was saved yet. */
  read(): Promise<SharedConfigRecord | undefined>;
  /**
   * Saves `text` when the shared config is still at generation `expected` (0: none saved yet);
   * undefined when another save came first. An unreachable database is a 503.
   */
  save(text: string, expected: number, savedVia: string): Promise<SharedConfigRecord | undefined>;
  /** Runs `handler` when the shared config may have changed (a save heard, or a resync). */
  onChange(handler: () => void): void;
  /** Whether an error means the database could not be reached (the team logs outages). */
  outage(error: unknown): boolean;
}

interface ConfigRow {
  sealed: string;
  generation: string;
  saved_by: string;
  saved_via: string;
  saved_at: Date;
}

/** The context the text is sealed under: a sealed value moved elsewhere does not open. */
const SEAL_CONTEXT = "config:shared";

function unreachable(error: unknown): never {
  if (!isConnectionError(error)) throw error;
  throw apiError(
    "api_error",
    "The shared database is unreachable: the shared config cannot be saved until it is back; " +
      "requests are still served.",
    { status: 503 },
  );
}

export function createTeamConfig(team: Team, cipher: TokenCipher): TeamConfig {
  const opened = async (row: ConfigRow): Promise<SharedConfigRecord> => ({
    text: await cipher.open(row.sealed, SEAL_CONTEXT),
    generation: Number(row.generation),
    savedBy: row.saved_by,
    savedVia: row.saved_via,
    savedAt: row.saved_at,
  });
  return {
    async read() {
      const [row] = await team.run((sql) =>
        sql<ConfigRow[]>`SELECT sealed, generation::text AS generation, saved_by, saved_via,
          saved_at FROM subgate_config WHERE id = 1`
      );
      return row ? await opened(row) : undefined;
    },
    async save(text, expected, savedVia) {
      const sealed = await cipher.seal(text, SEAL_CONTEXT);
      const by = team.instance.name;
      const rows = await team.run((sql) =>
        sql.begin(async (tx) => {
          const saved = expected === 0
            ? await tx<ConfigRow[]>`INSERT INTO subgate_config
                  (id, sealed, generation, saved_by, saved_via)
                VALUES (1, ${sealed}, 1, ${by}, ${savedVia})
                ON CONFLICT (id) DO NOTHING
                RETURNING sealed, generation::text AS generation, saved_by, saved_via, saved_at`
            : await tx<ConfigRow[]>`UPDATE subgate_config SET sealed = ${sealed},
                  generation = generation + 1, saved_by = ${by}, saved_via = ${savedVia},
                  saved_at = now()
                WHERE id = 1 AND generation = ${expected}
                RETURNING sealed, generation::text AS generation, saved_by, saved_via, saved_at`;
          if (saved.length) await team.announce(tx, "config", { g: Number(saved[0].generation) });
          return saved;
        })
      ).catch(unreachable);
      return rows[0] ? await opened(rows[0]) : undefined;
    },
    onChange(handler) {
      team.on("config", () => handler());
      team.onResync(handler);
    },
    outage: isConnectionError,
  };
}
