/**
 * @module
 * A TCP proxy in front of PostgreSQL that can silently drop the connections that LISTEN, the way
 * a NAT or firewall forgets an idle connection: the socket stays open at both ends, and bytes
 * either way vanish. Other connections (statements) pass untouched.
 */

export interface SilentDropProxy {
  /** `databaseUrl` (any database on the same server) with the proxy's port in its place. */
  via(databaseUrl: string): string;
  /** From now on, what travels on every connection that has sent a LISTEN is dropped. */
  dropListeners(): number;
  close(): Promise<void>;
}

const LISTEN = new TextEncoder().encode("listen");

function mentionsListen(bytes: Uint8Array): boolean {
  outer: for (let i = 0; i + LISTEN.length <= bytes.length; i++) {
    for (let j = 0; j < LISTEN.length; j++) {
      if ((bytes[i + j] | 0x20) !== LISTEN[j]) continue outer;
    }
    return true;
  }
  return false;
}

interface Pair {
  listens: boolean;
  dropped: boolean;
  close(): void;
}

/** Proxies to the server of `serverUrl`. */
export function startSilentDropProxy(serverUrl: string): SilentDropProxy {
  const target = new URL(serverUrl);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const pairs = new Set<Pair>();
  const pump = async (from: Deno.Conn, to: Deno.Conn, pair: Pair, watch: boolean) => {
    const buffer = new Uint8Array(64 * 1024);
    try {
      while (true) {
        const n = await from.read(buffer);
        if (n === null) break;
        const chunk = buffer.subarray(0, n);
        if (watch && mentionsListen(chunk)) pair.listens = true;
        if (!pair.dropped) await to.write(chunk);
      }
    } catch {
      // Either side went away.
    }
    pair.close();
  };
  const accepting = (async () => {
    for await (const client of listener) {
      const server = await Deno.connect({
        hostname: target.hostname,
        port: Number(target.port),
      }).catch(() => undefined);
      if (!server) {
        client.close();
        continue;
      }
      let closed = false;
      const pair: Pair = {
        listens: false,
        dropped: false,
        close() {
          if (closed) return;
          closed = true;
          pairs.delete(pair);
          for (const conn of [client, server]) {
            try {
              conn.close();
            } catch { /* already closed */ }
          }
        },
      };
      pairs.add(pair);
      void pump(client, server, pair, true);
      void pump(server, client, pair, false);
    }
  })().catch(() => {});
  const port = String((listener.addr as Deno.NetAddr).port);
  return {
    via(databaseUrl) {
      const url = new URL(databaseUrl);
      url.port = port;
      return url.toString();
    },
    dropListeners() {
      let count = 0;
      for (const pair of pairs) {
        if (pair.listens && !pair.dropped) {
          pair.dropped = true;
          count++;
        }
      }
      return count;
    },
    async close() {
      listener.close();
      for (const pair of [...pairs]) pair.close();
      await accepting;
    },
  };
}
