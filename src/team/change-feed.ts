/**
 * @module
 * The change feed's listening end: `LISTEN subgate` on a connection of its own, checked by a
 * ping this instance sends itself. The package re-listens when the connection drops, but a
 * reconnect that outlasts the connect timeout fails the pending LISTEN for good; so when a ping
 * goes unheard while the database answers, the listening connection is thrown away and opened
 * anew. Every (re)start of listening runs `onListen` (the caller re-reads what it missed).
 */
import type { Logger } from "../log/logger.ts";
import { connect, type Sql, type Tx } from "./connect.ts";

/** A ping unheard for this long, while statements succeed, means the listener is dead. */
export const PING_DEADLINE_MS = 2000;

export interface ChangeFeedOptions {
  url: string;
  channel: string;
  /** This instance's id: its own pings carry it. */
  id: string;
  /** The instance's name, shown in `pg_stat_activity`. */
  name: string;
  /** A notification's payload (pings excluded). */
  onNotify: (payload: string) => void;
  /** Called each time listening (re)starts. */
  onListen: () => void;
  log: Logger;
}

export interface ChangeFeed {
  /** Sends this instance a ping through `db`; heard within the deadline while the feed works. */
  ping(db: Tx): Promise<void>;
  /**
   * Throws the listener away and listens anew (in the background) when a ping sent before the
   * deadline is unheard. Call it only while the database answers.
   */
  check(): void;
  close(): Promise<void>;
}

export async function openChangeFeed(options: ChangeFeedOptions): Promise<ChangeFeed> {
  const { channel, id, log } = options;
  const pingPayload = JSON.stringify({ k: "ping", i: id });
  let sentAt = 0;
  let heardAt = 0;
  const onNotify = (payload: string) => {
    if (payload === pingPayload) heardAt = Date.now();
    else options.onNotify(payload);
  };
  const onListen = () => {
    heardAt = Date.now();
    options.onListen();
  };
  const open = async () => {
    const sql: Sql = await connect(options.url, { instance: options.name, max: 1 });
    const listener = await sql.listen(channel, onNotify, onListen);
    return { sql, listener };
  };
  let current = await open();
  let renewing: Promise<void> | undefined;
  let closed = false;

  const renew = async () => {
    log.warn("the shared database's change feed went quiet; listening anew");
    const old = current;
    await old.sql.end({ timeout: 0 }).catch(() => {});
    current = await open();
    if (closed) await current.sql.end({ timeout: 0 }).catch(() => {});
  };

  return {
    async ping(db) {
      await db`SELECT pg_notify(${channel}, ${pingPayload})`;
      if (sentAt <= heardAt) sentAt = Date.now();
    },
    check() {
      const unheard = sentAt > heardAt && Date.now() - sentAt >= PING_DEADLINE_MS;
      if (!unheard || closed || renewing) return;
      renewing = renew().catch(() => {
        // Still unreachable for listening: the next check tries again.
      }).finally(() => {
        renewing = undefined;
        sentAt = 0;
      });
    },
    async close() {
      closed = true;
      await current.listener.unlisten().catch(() => {});
      await current.sql.end({ timeout: 2 }).catch(() => {});
    },
  };
}
