/**
 * @module
 * The connection to the shared PostgreSQL database, through the `postgres`
 * package (porsager/postgres), loaded only when a store URL is set: a
 * single-user subgate never loads it. Every connection setting comes from
 * the URL and is handed to the package explicitly, so none is read from the
 * `PG*` environment variables the package would otherwise consult (the
 * permission set lists them as ignored, so they read as unset). Statements
 * carry a timeout: a database that stops answering fails a statement within
 * seconds instead of holding a refresh or a management change for ever.
 */
import type postgres from "postgres";

export type Sql = postgres.Sql<Record<string, never>>;
/** A statement runner: the pool, or a transaction. */
export type Tx = postgres.TransactionSql<Record<string, never>> | Sql;

/** How long one statement may run, and a connection may take to open. */
export const STATEMENT_TIMEOUT_MS = 5000;
const CONNECT_TIMEOUT_S = 5;

export interface ConnectionTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** `sslmode` from the URL, when set. */
  ssl?: "require" | "prefer" | "verify-full" | false;
}

/** The URL's parts; throws with the reason when it is not a PostgreSQL URL. */
export function parseStoreUrl(url: string): ConnectionTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error("the store URL is not a URL (postgres://user:password@host:5432/database)");
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new Error("the store URL must start with postgres:// or postgresql://");
  }
  if (!parsed.hostname) throw new Error("the store URL names no host");
  const mode = parsed.searchParams.get("sslmode") ?? undefined;
  const ssl = mode === undefined || mode === "disable"
    ? false
    : mode === "require" || mode === "prefer" || mode === "verify-full"
    ? mode
    : undefined;
  if (ssl === undefined) {
    throw new Error("sslmode in the store URL must be disable, prefer, require or verify-full");
  }
  const user = decodeURIComponent(parsed.username) || "postgres";
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, ""),
    port: parsed.port ? Number(parsed.port) : 5432,
    user,
    password: decodeURIComponent(parsed.password),
    database: decodeURIComponent(parsed.pathname.replace(/^\//, "")) || user,
    ssl,
  };
}

/** The URL without its password, for logs and the management API. */
export function describeStoreUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    parsed.search = "";
    return parsed.toString();
  } catch {
    return "postgres://(invalid URL)";
  }
}

export interface ConnectOptions {
  /** Shown in `pg_stat_activity` as `subgate <instance>`. */
  instance: string;
  /** Most connections in the pool. */
  max?: number;
  /** Told when a connection closes (the database went away, or restarted). */
  onclose?: () => void;
}

/**
 * How long to wait before connecting again after `retries` failed attempts: 50 ms doubling up to
 * 1 s, with jitter. The package's own default grows to 20 s, so a database back after a
 * minute's outage would go unheard (its change feed too) for up to 20 s more.
 */
export function reconnectDelaySeconds(retries: number): number {
  return Math.min(0.05 * 2 ** retries, 1) * (0.5 + Math.random() / 2);
}

/** Opens a pool on the URL (connections open on first use). Loads the package on first call. */
export async function connect(url: string, options: ConnectOptions): Promise<Sql> {
  const target = parseStoreUrl(url);
  const { default: open } = await import("postgres");
  return open({
    host: target.host,
    port: target.port,
    user: target.user,
    // A function: an empty password (trust authentication) would send the package to PGPASSWORD.
    pass: () => target.password,
    database: target.database,
    ssl: target.ssl,
    max: options.max ?? 4,
    idle_timeout: 60,
    connect_timeout: CONNECT_TIMEOUT_S,
    backoff: reconnectDelaySeconds,
    max_lifetime: null,
    prepare: true,
    fetch_types: false,
    onnotice: () => {},
    onclose: options.onclose,
    target_session_attrs: undefined,
    connection: {
      application_name: `subgate ${options.instance}`.slice(0, 63),
      statement_timeout: STATEMENT_TIMEOUT_MS,
      lock_timeout: STATEMENT_TIMEOUT_MS,
      // A session whose client died inside a transaction is ended, its locks released.
      idle_in_transaction_session_timeout: 10_000,
    },
  }) as unknown as Sql;
}
