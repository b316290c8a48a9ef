/**
 * Teams: three `subgate serve` processes sharing one PostgreSQL database. Refresh tokens that
 * work once are refreshed once per rotation across instances, through crashes and a database
 * restart; a rest one instance learns reaches the others; usage sums exactly; key changes and
 * limits hold for the team. Skipped (with the reason) where no PostgreSQL server is available:
 * `deno task test` starts one (tests/setup/run-tests.ts); or set SUBGATE_TEST_PG_URL.
 */
import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import { testPgUrl } from "./helpers/postgres.ts";
import { fileOf, sleep, type TeamWorld, until, withTeam } from "./helpers/team-world.ts";

const SERVER = testPgUrl();
const ignore = SERVER === undefined;
if (ignore) {
  console.warn(
    "teams tests skipped: no PostgreSQL server (SUBGATE_TEST_PG_URL is unset; `deno task test` " +
      "starts one when PostgreSQL is installed: apt-get install postgresql)",
  );
}

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
