/**
 * @module
 * What the management API reads from the parts of subgate that keep their own
 * records: the usage ledger, the plan-quota readers and the named client
 * keys. Each is a small interface the API needs, not the part's own type, so
 * wiring one in is an adapter of a few lines in `cli/serve-command.ts`. A
 * route whose source is absent answers 501 saying so; the account list and
 * `/metrics` leave its columns out.
 */

/** How `GET /manage/usage` groups. */
export type UsageGroup = "account" | "model" | "key" | "provider";
export type UsageBucket = "hour" | "day";

export interface UsageQuery {
  /** Epoch ms, inclusive. */
  from: number;
  /** Epoch ms, exclusive. */
  to: number;
  group: UsageGroup;
  bucket: UsageBucket;
}

/** Requests and tokens: the figures every usage row carries. */
export interface UsageFigures {
  requests: number;
  /** Requests that ended with status 400 or more. */
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
}

export interface UsageRow extends UsageFigures {
  /** Start of the time bucket (RFC 3339, UTC). */
  bucket: string;
  /**
   * The group's value: an account id (`file:…`, `config:…`), a model name, a client key's name,
   * or a provider id; "" when the request had none (no key, no account tried).
   */
  group: string;
}

export interface UsageSource {
  /** Totals per group and bucket within `[from, to)`, oldest bucket first. */
  query(query: UsageQuery): Promise<UsageRow[]>;
}

/** One plan window of one account: Claude's 5-hour and 7-day, Codex's primary and secondary, … */
export interface QuotaWindow {
  /** The window's name as the provider calls it (`five_hour`, `seven_day`, `primary`, …). */
  name: string;
  /** 0 to 100. */
  usedPercent: number;
  /** When the window resets (RFC 3339), when known. */
  resetsAt?: string;
  /** Left in the window's own unit (Copilot's premium requests), when it counts one. */
  remaining?: number;
  /** The models it limits (name patterns), when not every model of the account. */
  models?: string[];
  /** Reported but not enforced by subgate: it never rests the account. */
  advisory?: boolean;
}

export interface AccountQuota {
  accountId: string;
  windows: QuotaWindow[];
  /** When these figures were read (RFC 3339). */
  readAt?: string;
  /** Teams: the instance whose poll of the usage endpoint read them (one asks at a time). */
  readBy?: string;
  /** Why the last reading failed, in words without secrets. */
  error?: string;
}

export interface QuotaSource {
  /** Every account's latest reading. */
  snapshot(): AccountQuota[];
  /** Reads again now: one account, or all. */
  refresh?(accountId?: string): Promise<void>;
}

/** A client key as the API shows it: never the key, nor its hash. */
export interface ClientKeyView {
  name: string;
  /** Where it is defined: the config file, or created through the API. */
  source: "config" | "api";
  createdAt?: string;
  expires?: string;
  /** Model-name patterns the key may use; absent: any. */
  models?: string[];
  limits?: ClientKeyLimits;
}

export interface ClientKeyLimits {
  requestsPerMinute?: number;
  requestsPerDay?: number;
  tokensPerDay?: number;
}

export interface NewClientKey {
  name: string;
  models?: string[];
  limits?: ClientKeyLimits;
  /** RFC 3339. */
  expires?: string;
}

export interface KeySource {
  list(): Promise<ClientKeyView[]>;
  /** Creates a key; `key` is the only time the key itself is ever shown. */
  create(input: NewClientKey): Promise<{ key: string; view: ClientKeyView }>;
  /** Revokes a key made through the API; false when there is none by that name. */
  revoke(name: string): Promise<boolean>;
}

/** An instance of a team, as listed by `GET /manage/instances`. */
export interface InstanceView {
  id: string;
  name: string;
  /** Where it listens, as it says. */
  url?: string;
  version: string;
  startedAt: string;
  /** Its last heartbeat. */
  seenAt: string;
  /** The instance answering. */
  self: boolean;
}

/** The shared database of a team (`store`), when one is in use. */
export interface StoreSource {
  /** This instance's name. */
  name: string;
  /** The database, without its password. */
  where: string;
  health(): { up: boolean; since: number; reason?: string; outages: number };
  /** Accounts whose newest tokens wait in this instance's spool for the database. */
  spooled(): number;
  /** The instances seen in the last 30 s. */
  instances(): Promise<InstanceView[]>;
}

/** The optional parts: each absent until its part of subgate exists or is enabled. */
export interface ManageSources {
  usage?: UsageSource;
  quota?: QuotaSource;
  keys?: KeySource;
  store?: StoreSource;
}
