/**
 * Teams: three `subgate serve` processes sharing one PostgreSQL database. Refresh tokens that
 * work once are refreshed once per rotation across instances, through crashes and a database
 * restart; a rest one instance learns reaches the others; usage sums exactly; key changes and
 * limits hold for the team. Skipped (with the reason) where no PostgreSQL server is available:
 * `deno task test` starts one (tests/setup/run-tests.ts); or set SUBGATE_TEST_PG_URL.
 */
import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import { startPgServer, suiteServer } from "./helpers/postgres.ts";
import { startSilentDropProxy } from "./helpers/silent-drop-proxy.ts";
import { fileOf, sleep, type TeamWorld, until, withTeam } from "./helpers/team-world.ts";

const SERVER = suiteServer("teams");
const ignore = SERVER === undefined;

const EMAIL = "ada@example.com";
const EXPIRED = "2020-01-01T00:00:00Z";

/** Starts instances 0..count-1 together. */
async function startAll(world: TeamWorld, count = 3) {
  await Promise.all(Array.from({ length: count }, (_, index) => world.start(index)));
}

/** The instance holding the account's lease now, if any. */
async function leaseOwner(world: TeamWorld): Promise<string | undefined> {
  const [row] = await world.sql`SELECT lease_owner FROM subgate_accounts
    WHERE name = ${fileOf(EMAIL)} AND lease_id IS NOT NULL AND lease_until > now()`;
  return row?.lease_owner ?? undefined;
}

/** Waits until instances 1 and 2 show the account in `state`. */
function othersSee(world: TeamWorld, account: string, state: string, timeoutMs: number) {
  return until(
    async () => {
      const views = await Promise.all(
        [1, 2].map((index) =>
          fetch(`${world.instances[index].url}/manage/accounts/${account}`).then((r) => r.json())
        ),
      );
      return views.every((view) => view.account?.state === state);
    },
    timeoutMs,
    "the others to hear of the change",
  );
}

const indexOf = (owner: string) => owner.charCodeAt(owner.length - 1) - 97;

/** Requests from every instance, `perInstance` at a time each, for `ms`; their statuses. */
async function load(world: TeamWorld, ms: number, perInstance = 2): Promise<number[]> {
  const statuses: number[] = [];
  const end = Date.now() + ms;
  await Promise.all(
    world.instances.flatMap((_, index) =>
      Array.from({ length: perInstance }, async () => {
        while (Date.now() < end) statuses.push(await world.ask(index).catch(() => 0));
      })
    ),
  );
  return statuses;
}

Deno.test({
  name:
    "teams 1: tokens expiring every second under load on three instances: no reuse, the last token kept",
  ignore,
  fn: () =>
    withTeam({ serverUrl: SERVER!, tokens: { expiresIn: 1 } }, async (world) => {
      await world.addAccount(EMAIL, {
        access_token: "at-0",
        refresh_token: "rt-0",
        expired: EXPIRED,
      });
      await startAll(world);
      const statuses = await load(world, 5000);
      await Promise.all(world.instances.map((instance) => instance.stop()));
      assertEquals(world.tokens.reused, 0, "no refresh token used twice");
      assert(world.tokens.requests >= 5, `refreshed ${world.tokens.requests} times`);
      const ok = statuses.filter((status) => status === 200).length;
      assert(ok >= statuses.length * 0.9, `${ok} of ${statuses.length} requests served`);
      assertEquals(world.upstream.refused, 0, "no stale access token reached the upstream");
      const { record, row } = await world.account(EMAIL);
      assertEquals(record.refresh_token, world.tokens.current(), "the database has the last token");
      assertEquals(row.needs_login, false);
      for (const instance of world.instances) {
        assert(!instance.log().includes("rt-"), "no token logged");
        // A refresh keeps its answer twice (before and after its checks): both are its own.
        assert(!instance.log().includes("not stored"), "every refresh's tokens stored");
      }
    }),
});

Deno.test({
  name:
    "teams 2: kill -9 of the refresher while its commit is blocked: needs login, why, one reuse, no loop",
  ignore,
  fn: () =>
    withTeam({ serverUrl: SERVER!, refreshTimeout: 1 }, async (world) => {
      await world.addAccount(EMAIL, {
        access_token: "at-0",
        refresh_token: "rt-0",
        expired: EXPIRED,
      });
      // The test holds a lock on the receipt table: the refresher's commit waits for it.
      const blocker = await world.sql.reserve();
      await blocker`BEGIN`;
      await blocker`LOCK TABLE subgate_refresh_receipts IN EXCLUSIVE MODE`;
      await startAll(world);
      await until(() => world.tokens.requests === 1, 10_000, "the first refresh");
      const owner = await leaseOwner(world);
      assert(owner, "a lease names the refresher");
      await until(
        async () => {
          const waiting = await world.sql`SELECT 1 FROM pg_stat_activity
          WHERE wait_event_type = 'Lock' AND query ILIKE '%subgate_refresh_receipts%'`;
          return waiting.length > 0;
        },
        5000,
        "the refresher's commit to wait for the lock",
      );
      await world.instances[indexOf(owner)].stop("SIGKILL");
      await blocker`COMMIT`;
      blocker.release();
      await until(
        async () => (await world.account(EMAIL)).row.needs_login === true,
        15_000,
        "needs login",
      );
      const { row } = await world.account(EMAIL);
      assertMatch(
        String(row.last_error),
        /refresh refused \(invalid_grant\) after an interrupted refresh/,
      );
      await sleep(2500);
      assertEquals(world.tokens.reused, 1, "exactly one reuse");
      assertEquals(world.tokens.requests, 2, "no loop");
    }),
});

Deno.test({
  name:
    "teams 3: kill -9 while the token server hangs: another instance takes over after the lease",
  ignore,
  fn: () =>
    withTeam(
      { serverUrl: SERVER!, refreshTimeout: 1, tokens: { holdFirst: true } },
      async (world) => {
        await world.addAccount(EMAIL, {
          access_token: "at-0",
          refresh_token: "rt-0",
          expired: EXPIRED,
        });
        await startAll(world);
        await until(() => world.tokens.requests === 1, 10_000, "the first refresh");
        const owner = await leaseOwner(world);
        assert(owner, "a lease names the refresher");
        await world.instances[indexOf(owner)].stop("SIGKILL");
        await until(
          async () => (await world.account(EMAIL)).record.refresh_token === "rt-1",
          15_000,
          "another instance's refresh",
        );
        const { row } = await world.account(EMAIL);
        assertEquals(row.needs_login, false);
        assertEquals(world.tokens.reused, 0);
        const survivor = world.instances.findIndex((_, index) => index !== indexOf(owner));
        assertEquals(await world.ask(survivor), 200);
      },
    ),
});

/** Puts a fresh login's tokens in the database, as a person logging in again would. */
async function relogin(world: TeamWorld, round: number) {
  const { createTokenCipher } = await import("../src/store/token-crypto.ts");
  const { STORE_KEY } = await import("./helpers/team-world.ts");
  const cipher = await createTokenCipher(STORE_KEY);
  const { record } = await world.account(EMAIL);
  const refresh = `rt-login-${round}`;
  world.tokens.accept(refresh);
  const next: Record<string, unknown> = {
    ...record,
    access_token: `fixed-login-${round}`,
    refresh_token: refresh,
  };
  delete next.needs_login;
  delete next.last_error;
  const sealed = await cipher.seal(JSON.stringify(next), `account:${fileOf(EMAIL)}`);
  const [row] = await world.sql`UPDATE subgate_accounts SET sealed = ${sealed},
      generation = generation + 1, needs_login = false, last_error = NULL,
      refresh_interrupted = false, lease_id = NULL, lease_owner = NULL, lease_until = NULL
    WHERE name = ${fileOf(EMAIL)} RETURNING generation`;
  const payload = JSON.stringify({
    k: "account",
    i: "test",
    n: fileOf(EMAIL),
    g: Number(row.generation),
  });
  await world.sql`SELECT pg_notify('subgate', ${payload})`;
}

Deno.test({
  name:
    "teams 4: five kill -9 during a refresh storm: the database holds the last token, or says why not",
  ignore,
  fn: () =>
    withTeam({ serverUrl: SERVER!, refreshTimeout: 1, tokens: { expiresIn: 1 } }, async (world) => {
      await world.addAccount(EMAIL, {
        access_token: "at-0",
        refresh_token: "rt-0",
        expired: EXPIRED,
      });
      await startAll(world);
      let storming = true;
      const storm = Promise.all(world.instances.map(async (_, index) => {
        while (storming) await world.ask(index).catch(() => sleep(100));
      }));
      let needsLogin = 0;
      for (let round = 0; round < 5; round++) {
        await sleep(300 + Math.random() * 700);
        const owner = await leaseOwner(world);
        const victim = owner ? indexOf(owner) : Math.floor(Math.random() * 3);
        await world.instances[victim].stop("SIGKILL");
        // Consistent: with no refresh under way, the database has the token the server accepts;
        // or the account needs a login and says why.
        let verdict = "";
        await until(
          async () => {
            const before = world.tokens.current();
            const { record, row } = await world.account(EMAIL);
            const after = world.tokens.current();
            if (row.needs_login) {
              verdict = `needs login: ${row.last_error}`;
              return true;
            }
            const settled = row.lease_id === null &&
              (record.refresh_token === before || record.refresh_token === after);
            if (settled) verdict = "consistent";
            return settled;
          },
          10_000,
          `round ${round}: the database to settle`,
        );
        if (verdict !== "consistent") {
          assertMatch(
            verdict,
            /needs login: refresh refused \(invalid_grant\) after an interrupted refresh/,
          );
          needsLogin++;
          await relogin(world, round);
        }
        await world.start(victim);
      }
      storming = false;
      await storm;
      assert(world.tokens.requests >= 10, `refreshed ${world.tokens.requests} times`);
      // Every reuse is one a killed refresher left behind, and said so.
      assert(
        world.tokens.reused <= needsLogin,
        `${world.tokens.reused} reuses, ${needsLogin} reported`,
      );
    }),
});

Deno.test({
  name:
    "teams 5: PostgreSQL restarted mid-run: no reuse, notifications resume, serving never stops",
  ignore,
  async fn(t) {
    let server;
    try {
      server = await startPgServer();
    } catch (error) {
      t.step({ name: `skipped: ${(error as Error).message}`, ignore: true, fn() {} });
      return;
    }
    try {
      await withTeam({ serverUrl: server.url, tokens: { delayMs: 150 } }, async (world) => {
        await world.addAccount(EMAIL, {
          access_token: "at-0",
          refresh_token: "rt-0",
          expired: "2099-01-01T00:00:00Z",
        });
        await startAll(world);
        const account = encodeURIComponent(fileOf(EMAIL));
        let running = true;
        const statuses: number[] = [];
        const serving = Promise.all(world.instances.map(async (_, index) => {
          while (running) statuses.push(await world.ask(index).catch(() => 0));
        }));
        let turn = 0;
        const refreshing = (async () => {
          while (running) {
            const instance = world.instances[turn++ % 3];
            await fetch(`${instance.url}/manage/accounts/${account}/refresh`, { method: "POST" })
              .then((r) => r.body?.cancel()).catch(() => {});
            await sleep(250);
          }
        })();
        await sleep(1500);
        await server!.restart({ downMs: 1500 });
        await until(
          async () => {
            const states = await Promise.all(
              world.instances.map((instance) =>
                fetch(`${instance.url}/manage`).then((r) => r.json()).then((body) =>
                  body.store?.state
                )
              ),
            );
            return states.every((state) => state === "up");
          },
          15_000,
          "every instance to see the database again",
        );
        await sleep(1500);
        running = false;
        await Promise.all([serving, refreshing]);
        assert(statuses.length > 20, `${statuses.length} requests`);
        assertEquals(statuses.filter((status) => status !== 200), [], "every request served");
        assertEquals(world.tokens.reused, 0, "no refresh token used twice");
        await until(
          async () => (await world.account(EMAIL)).record.refresh_token === world.tokens.current(),
          10_000,
          "the database to hold the last token",
        );
        // Notifications resume: a change through one instance reaches the others.
        const disabled = await fetch(
          `${world.instances[0].url}/manage/accounts/${account}/disable`,
          {
            method: "POST",
          },
        );
        assertEquals(disabled.status, 200, await disabled.text());
        // Resumed, not timed: right after a restart each instance first re-reads everything.
        await othersSee(world, account, "disabled", 8000);
      });
    } finally {
      await server.stop();
    }
  },
});

Deno.test({
  name:
    "teams 5b: the listening connection silently dropped (a NAT forgets it): changes are heard again within seconds",
  ignore,
  async fn() {
    const proxy = startSilentDropProxy(SERVER!);
    try {
      await withTeam({ serverUrl: SERVER!, instanceStoreUrl: proxy.via }, async (world) => {
        await world.addAccount(EMAIL, {
          access_token: "at-0",
          refresh_token: "rt-0",
          expired: "2099-01-01T00:00:00Z",
        });
        await startAll(world);
        assertEquals(proxy.dropListeners(), 3, "each instance listens on one connection");
        const account = encodeURIComponent(fileOf(EMAIL));
        const disabled = await fetch(
          `${world.instances[0].url}/manage/accounts/${account}/disable`,
          { method: "POST" },
        );
        assertEquals(disabled.status, 200, await disabled.text());
        // Well inside the 30 s change poll, so only a listener that noticed its deafness passes.
        await othersSee(world, account, "disabled", 15_000);
        for (const index of [1, 2]) {
          assertMatch(world.instances[index].log(), /change feed went quiet; listening anew/);
        }
      });
    } finally {
      await proxy.close();
    }
  },
});

Deno.test({
  name:
    "teams 5c: a token answer that fails a check: its rotated token and the reason both reach the database",
  ignore,
  fn: () =>
    withTeam({
      serverUrl: SERVER!,
      tokens: { spoil: (answer) => ({ ...answer, token_type: "mac" }) },
    }, async (world) => {
      await world.addAccount(EMAIL, { access_token: "at-0", refresh_token: "rt-0" });
      await world.start(0);
      const account = encodeURIComponent(fileOf(EMAIL));
      const refreshed = await fetch(
        `${world.instances[0].url}/manage/accounts/${account}/refresh`,
        {
          method: "POST",
        },
      );
      assertEquals(refreshed.status, 200, await refreshed.text());
      assertEquals(world.tokens.requests, 1);
      const { record, row } = await world.account(EMAIL);
      assertEquals(record.refresh_token, world.tokens.current(), "the rotated token is kept");
      assertMatch(String(record.last_error), /the token answer failed a check/);
      assertMatch(String(row.last_error), /the token answer failed a check/);
      assertEquals(row.lease_id, null, "the lease is cleared");
    }),
});

Deno.test({
  name: "teams 6: a 429 with retry-after on one instance rests the account on the others",
  ignore,
  fn: () =>
    withTeam({ serverUrl: SERVER! }, async (world) => {
      const far = "2099-01-01T00:00:00Z";
      await world.addAccount("a@example.com", {
        access_token: "fixed-a",
        refresh_token: "rt-a",
        expired: far,
      });
      await world.addAccount("b@example.com", {
        access_token: "fixed-b",
        refresh_token: "rt-b",
        expired: far,
      });
      await startAll(world);
      world.upstream.limit("fixed-a", 60);
      const limited = () => world.upstream.calls.filter((token) => token === "fixed-a").length;
      for (let i = 0; i < 4 && limited() === 0; i++) assertEquals(await world.ask(0), 200);
      assertEquals(limited(), 1, "instance 0 met the limit once");
      const statuses = await Promise.all([1, 2].map(async (index) => {
        const out: number[] = [];
        for (let i = 0; i < 6; i++) out.push(await world.ask(index));
        return out;
      }));
      assertEquals(statuses.flat().filter((status) => status !== 200), []);
      assert(
        limited() <= 3,
        `the others sent ${limited() - 1} more requests to the resting account`,
      );
      const [rest] = await world.sql`SELECT kind, until > now() + interval '50 seconds' AS long
        FROM subgate_rests WHERE account_id = ${`file:${fileOf("a@example.com")}`}`;
      assertEquals(rest?.kind, "limit");
      assert(rest?.long, "rests until the upstream's retry-after");
    }),
});

Deno.test({
  name: "teams 7: usage summed over the three after SIGTERM equals what the upstream counted",
  ignore,
  fn: () =>
    withTeam({ serverUrl: SERVER! }, async (world) => {
      await world.addAccount(EMAIL, {
        access_token: "fixed-u",
        refresh_token: "rt-u",
        expired: "2099-01-01T00:00:00Z",
      });
      await startAll(world);
      await Promise.all(world.instances.map(async (_, index) => {
        for (let i = 0; i < 12; i++) await world.ask(index);
      }));
      await Promise.all(world.instances.map((instance) => instance.stop("SIGTERM")));
      const [sums] = await world.sql`SELECT sum(requests)::int AS requests,
          sum(input_tokens)::int AS input, sum(output_tokens)::int AS output
        FROM subgate_usage_hourly`;
      const [raw] = await world.sql`SELECT count(*)::int AS n,
          count(DISTINCT instance)::int AS instances FROM subgate_usage_requests`;
      assertEquals(world.upstream.usage.requests, 36);
      assertEquals(
        { requests: sums.requests, input: sums.input, output: sums.output },
        {
          requests: world.upstream.usage.requests,
          input: world.upstream.usage.input,
          output: world.upstream.usage.output,
        },
      );
      assertEquals([raw.n, raw.instances], [36, 3]);
    }),
});

Deno.test({
  name:
    "teams 8: a key revoked through one instance is refused by all within a second; limits hold",
  ignore,
  fn: () =>
    withTeam({ serverUrl: SERVER! }, async (world) => {
      await world.addAccount(EMAIL, {
        access_token: "fixed-k",
        refresh_token: "rt-k",
        expired: "2099-01-01T00:00:00Z",
      });
      await startAll(world);
      const manage = world.instances[0].url + "/manage/keys";
      const create = async (body: unknown) => {
        const response = await fetch(manage, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
        assertEquals(response.status, 201);
        return (await response.json()).key as string;
      };
      const temporary = await create({ name: "temporary" });
      const metered = await create({ name: "metered", limits: { "requests-per-minute": 6 } });
      await until(
        async () => {
          const statuses = await Promise.all(
            [0, 1, 2].map((i) => world.ask(i, { "x-api-key": temporary })),
          );
          return statuses.every((status) => status === 200);
        },
        3000,
        "every instance to accept the new key",
      );
      const revoked = await fetch(`${manage}/temporary`, { method: "DELETE" });
      assertEquals(revoked.status, 200);
      const took = Date.now();
      await until(
        async () => {
          const statuses = await Promise.all(
            [0, 1, 2].map((i) => world.ask(i, { "x-api-key": temporary })),
          );
          return statuses.every((status) => status === 401);
        },
        3000,
        "every instance to refuse the revoked key",
      );
      assert(Date.now() - took < 1000, `refused everywhere after ${Date.now() - took} ms`);

      // Twelve requests, one instance after another, within one minute: six pass. Paced a little
      // (an instance tells the others its count 50 ms after a request): a limit holds exactly
      // while the exchanges keep up.
      const second = new Date().getUTCSeconds();
      if (second > 45) await sleep((61 - second) * 1000);
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) {
        statuses.push(await world.ask(i % 3, { "x-api-key": metered }));
        await sleep(150);
      }
      const passed = statuses.filter((status) => status === 200).length;
      assertEquals(statuses.filter((s) => s !== 200 && s !== 429), []);
      assertEquals(passed, 6, `${passed} requests passed a limit of 6 across the team`);
    }),
});
