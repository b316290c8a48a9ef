/**
 * Teams: the config shared through the database, and turns at the plan-quota endpoints. Real
 * `subgate serve` processes on one PostgreSQL database: a config saved through one instance's
 * `PUT /manage/config` is served by the others within a second (an api key it adds is demanded
 * there), an invalid one or a stale If-Match changes nothing anywhere, an instance started later
 * runs on it, its own file's shared settings stay overridden (with a warning) while its instance
 * keys stay its own, and a save while the database is down is a 503 while requests are served.
 * Three instances ask each login's usage endpoint as often as one would, and when the one that
 * asked is killed another takes over. Skipped (with the reason) without a PostgreSQL server:
 * `deno task test` starts one; or set SUBGATE_TEST_PG_URL.
 */
import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import { startPgServer, suiteServer } from "./helpers/postgres.ts";
import { sleep, type TeamWorld, until, withTeam } from "./helpers/team-world.ts";

const SERVER = suiteServer("team config");
const ignore = SERVER === undefined;

const FAR = "2099-01-01T00:00:00Z";
const TEAM_KEY = "sk-team-0123456789abcdefghij";

/** What `GET /manage/config` answers. */
interface ConfigAnswer {
  file: string;
  version: string;
  text: string;
  note?: string;
  shared?: { savedBy: string; savedVia: string; savedAt: string } | null;
  config: { requestRetry: number; providers: { claude?: { quotaPoll?: number } } };
}

/** What `PUT /manage/config` answers when it saved. */
interface SaveAnswer {
  saved: boolean;
  applied: boolean;
  version: string;
  shared?: boolean;
  leftOut?: string[];
  error?: { message: string; problems?: { path: string }[] };
}

/** One account's plan quota as `GET /manage/quota` lists it. */
interface QuotaView {
  accountId: string;
  readAt?: string;
  readBy?: string;
}

async function startAll(world: TeamWorld, count: number) {
  await Promise.all(Array.from({ length: count }, (_, index) => world.start(index)));
}

async function readConfig(world: TeamWorld, index: number): Promise<ConfigAnswer> {
  const response = await fetch(`${world.instances[index].url}/manage/config`);
  assertEquals(response.status, 200);
  return await response.json();
}

async function saveConfig(
  world: TeamWorld,
  index: number,
  text: string,
  ifMatch?: string,
): Promise<{ status: number; body: SaveAnswer }> {
  const response = await fetch(`${world.instances[index].url}/manage/config`, {
    method: "PUT",
    headers: ifMatch === undefined ? {} : { "if-match": ifMatch },
    body: text,
  });
  return { status: response.status, body: await response.json() };
}

/** Whether instance `index` demands the team key: refused without it, served with it. */
async function demandsKey(world: TeamWorld, index: number): Promise<boolean> {
  const bare = await world.ask(index);
  const keyed = await world.ask(index, { authorization: `Bearer ${TEAM_KEY}` });
  return bare === 401 && keyed === 200;
}

/** A login the team upstream serves without refreshing it (its token never expires). */
async function addFixedLogin(world: TeamWorld, name: string) {
  await world.addAccount(`${name}@example.com`, {
    access_token: `fixed-${name}`,
    refresh_token: `rt-${name}`,
    expired: FAR,
  });
}

const withKey = (text: string) => `${text}api-keys:\n  - name: team\n    key: ${TEAM_KEY}\n`;

Deno.test({
  name:
    "team config 1: a config saved on one instance is served by the others within a second; an invalid one and a stale If-Match change nothing",
  ignore,
  fn: () =>
    withTeam({ serverUrl: SERVER! }, async (world) => {
      await addFixedLogin(world, "ada");
      await startAll(world, 3);
      for (const index of [0, 1, 2]) assertEquals(await world.ask(index), 200);
      const before = await readConfig(world, 0);
      assertEquals(before.shared, null, "no shared config yet");
      assertMatch(before.note ?? "", /no shared config yet/i);

      const saved = await saveConfig(world, 0, withKey(before.text), before.version);
      assertEquals(saved.status, 200, JSON.stringify(saved.body));
      assertEquals([saved.body.saved, saved.body.applied, saved.body.shared], [true, true, true]);
      const savedAt = Date.now();
      await until(
        async () => (await demandsKey(world, 1)) && (await demandsKey(world, 2)),
        1000,
        "the api key to be demanded on the other two within a second",
      );
      assert(Date.now() - savedAt <= 1000, `applied after ${Date.now() - savedAt} ms`);
      assert(await demandsKey(world, 0), "and on the one it was saved through");

      const onB = await readConfig(world, 1);
      assertEquals(onB.version, saved.body.version);
      assertEquals(onB.shared?.savedBy, "node-a");
      assert(!onB.text.includes(TEAM_KEY), "the key is redacted in the text");
      assert(onB.text.includes("<redacted:"), "as a placeholder");

      // An invalid text: refused, nothing saved, nothing changed anywhere.
      const invalid = onB.text.replace("request-retry: 3", "request-retry: 999");
      const refused = await saveConfig(world, 1, invalid, onB.version);
      assertEquals(refused.status, 400);
      assertEquals(refused.body.error?.problems?.[0]?.path, "request-retry");
      const [row] = await world.sql`SELECT generation::int AS g FROM subgate_config`;
      assertEquals(row.g, 1, "the database keeps the saved config");
      await sleep(300);
      for (const index of [0, 1, 2]) {
        const now = await readConfig(world, index);
        assertEquals(now.version, saved.body.version);
        assertEquals(now.config.requestRetry, 3);
        assert(await demandsKey(world, index));
      }

      // A stale If-Match: B saves first, C's edit of what it read before is refused.
      const onC = await readConfig(world, 2);
      const first = await saveConfig(
        world,
        1,
        onB.text.replace("request-retry: 3", "request-retry: 2"),
        onB.version,
      );
      assertEquals(first.status, 200, JSON.stringify(first.body));
      const stale = await saveConfig(
        world,
        2,
        onC.text.replace("request-retry: 3", "request-retry: 1"),
        onC.version,
      );
      assertEquals(stale.status, 412);
      await until(
        async () => (await readConfig(world, 2)).config.requestRetry === 2,
        1000,
        "C to run on B's save",
      );
      const [after] = await world.sql`SELECT generation::int AS g, saved_by FROM subgate_config`;
      assertEquals([after.g, after.saved_by], [2, "node-b"]);
      for (const instance of world.instances) {
        assert(!instance.log().includes(TEAM_KEY), "no key logged");
      }
    }),
});

Deno.test({
  name:
    "team config 2: an instance started later runs on the shared config; its file's shared settings are overridden with a warning, its instance keys stay its own",
  ignore,
  fn: () =>
    withTeam({ serverUrl: SERVER! }, async (world) => {
      await addFixedLogin(world, "ada");
      await startAll(world, 2);
      const before = await readConfig(world, 0);
      // Instance keys in the submitted text are left out of the shared one.
      const text = `instance-name: not-shared\n${withKey(before.text)}`;
      const saved = await saveConfig(world, 0, text, before.version);
      assertEquals(saved.status, 200, JSON.stringify(saved.body));
      assertEquals(saved.body.leftOut, ["instance-name"]);
      await until(() => demandsKey(world, 1), 1000, "B to demand the key");
      assert(!(await readConfig(world, 1)).text.includes("not-shared"));

      const late = await world.start(2);
      assert(await demandsKey(world, 2), "the later instance runs on the shared config");
      assertMatch(late.log(), /running on the team's shared config/);
      const instances = await fetch(`${late.url}/manage/instances`).then((r) => r.json());
      const names = instances.instances.map((instance: { name: string }) => instance.name).sort();
      assertEquals(names, ["node-a", "node-b", "node-c"], "each keeps its own name");

      // An edit of its own file: the shared settings stay the team's, with a warning naming them.
      const own = await readConfig(world, 2);
      const file = await Deno.readTextFile(own.file);
      await Deno.writeTextFile(own.file, file.replace("request-retry: 3", "request-retry: 7"));
      await late.waitForLog(/shared settings are ignored.*keys=request-retry/, 5000);
      await sleep(200);
      assertEquals((await readConfig(world, 2)).config.requestRetry, 3);
      assert(await demandsKey(world, 2), "the shared api key still in force");
    }),
});

Deno.test({
  name: "team config 3: with the database down a save is a 503 and requests are still served",
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
      await withTeam({ serverUrl: server.url }, async (world) => {
        await addFixedLogin(world, "ada");
        await startAll(world, 2);
        const before = await readConfig(world, 0);
        const restarted = server!.restart({ downMs: 4000 });
        await sleep(1000);
        const refused = await saveConfig(world, 0, withKey(before.text), before.version);
        assertEquals(refused.status, 503, JSON.stringify(refused.body));
        assertEquals(await world.ask(1), 200, "requests are served meanwhile");
        assertEquals(await world.ask(0), 200);
        await restarted;
        // Once it is back, the same save goes through and reaches the other instance.
        await until(
          async () =>
            (await saveConfig(world, 0, withKey(before.text), before.version)).status === 200,
          15_000,
          "a save once the database is back",
        );
        await until(() => demandsKey(world, 1), 5000, "B to run on it");
      });
    } finally {
      await server.stop();
    }
  },
});

/** Each login's calls of the usage endpoint so far. */
const callsOf = (world: TeamWorld, name: string) =>
  world.upstream.quotaCalls.filter((token) => token === `fixed-${name}`).length;

async function quotaOf(world: TeamWorld, index: number, name: string): Promise<QuotaView> {
  const body = await fetch(`${world.instances[index].url}/manage/quota`).then((r) => r.json());
  return body.accounts.find((view: QuotaView) => view.accountId.includes(name)) ?? {};
}

Deno.test({
  name:
    "team config 4: three instances ask each login's quota endpoint once per poll period, and another takes over when the asking one is killed",
  ignore,
  fn: () =>
    withTeam({ serverUrl: SERVER! }, async (world) => {
      await startAll(world, 3);
      // A 2 s pace (the shared config's), so periods pass within a test.
      const before = await readConfig(world, 0);
      const text = before.text.replace("  claude:\n", "  claude:\n    quota-poll: 2s\n");
      assertEquals((await saveConfig(world, 0, text, before.version)).status, 200);
      await until(
        async () =>
          (await Promise.all([0, 1, 2].map((index) => readConfig(world, index)))).every((view) =>
            view.config.providers.claude?.quotaPoll === 2
          ),
        1000,
        "every instance to run on the 2 s pace",
      );
      await addFixedLogin(world, "ada");
      await addFixedLogin(world, "bob");
      await until(
        () => callsOf(world, "ada") > 0 && callsOf(world, "bob") > 0,
        10_000,
        "the first polls",
      );

      // 10 s at a 2 s pace (each a fifth earlier or later): about 5 polls per login, not 15.
      const start = { ada: callsOf(world, "ada"), bob: callsOf(world, "bob") };
      await sleep(10_000);
      for (const name of ["ada", "bob"] as const) {
        const polls = callsOf(world, name) - start[name];
        assert(polls >= 3 && polls <= 7, `${name}: ${polls} polls in 10 s`);
      }

      // Which instance asked is shown; kill it, and another asks in its place.
      const asker = (await quotaOf(world, 0, "ada")).readBy;
      assert(asker && /^node-[abc]$/.test(asker), `read by ${asker}`);
      const killed = asker.charCodeAt(asker.length - 1) - 97;
      const alive = [0, 1, 2].filter((index) => index !== killed);
      await world.instances[killed].stop("SIGKILL");
      const atKill = callsOf(world, "ada");
      // A kill between two polls leaves nothing behind; one during a poll, a claim of 30 s.
      await until(() => callsOf(world, "ada") > atKill, 35_000, "another instance to ask");
      await until(
        async () => {
          const view = await quotaOf(world, alive[0], "ada");
          return view.readBy !== undefined && view.readBy !== asker;
        },
        5000,
        "the reading to name the new asker",
      );
      const resumed = callsOf(world, "ada");
      await sleep(6000);
      const polls = callsOf(world, "ada") - resumed;
      assert(polls >= 2 && polls <= 5, `ada: ${polls} polls in 6 s on the two left`);
    }),
});
