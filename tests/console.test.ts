/**
 * The web console in a real browser (Debian's Chromium through playwright-core), against a
 * subgate with a management key, Claude logins in every state on a local Anthropic API that
 * reports plan quota in its headers, and a local OAuth server for a device login: sign in; the
 * accounts with their states and quota bars; disabling one takes it out of the pool; a device
 * login added from the page; a key created and used; that request in the live tail and the usage
 * chart; an invalid config refused at its line; every page at phone and desktop widths without
 * console errors or sideways scrolling.
 */
import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import { browserTest, withBrowser } from "./helpers/browser.ts";
import { MANAGEMENT_KEY, withConsoleWorld } from "./helpers/console-world.ts";
import type { Page } from "./helpers/npm.ts";

const row = (id: string) => `tr[data-account-row="${id}"]`;
const ADA = "file:claude-ada@example.com.json";

/** The page's text of a selector, once it matches. */
async function textOf(page: Page, selector: string): Promise<string> {
  await page.waitForSelector(selector);
  return await page.innerText(selector);
}

browserTest(
  "the web console, signed in with the management key, from a real browser",
  (t) =>
    withConsoleWorld((world) =>
      withBrowser(async (page) => {
        const url = world.server.url;
        const pageErrors: string[] = [];
        page.on("pageerror", (error) => pageErrors.push(error.message));

        await t.step(
          "sign in: the key goes in a form, the session in an http-only cookie",
          async () => {
            assertMatch(
              world.server.log(),
              new RegExp(`listening on ${url} .*console=${url}/ui/`),
            );
            await page.goto(`${url}/ui/accounts`);
            assertEquals(new URL(page.url()).pathname, "/ui/login");
            await page.fill("#management-key", "not-the-key");
            await page.click("button[type=submit]");
            assertMatch(await textOf(page, "#sign-in-error"), /Wrong management key/);
            await page.fill("#management-key", MANAGEMENT_KEY);
            await page.click("button[type=submit]");
            await page.waitForSelector("#accounts-table");
            assertEquals(new URL(page.url()).pathname, "/ui/accounts", "back where it was going");
            assert(!page.url().includes(MANAGEMENT_KEY));
            const cookies = await page.context().cookies();
            assertEquals(cookies.length, 1);
            assertEquals([cookies[0].httpOnly, cookies[0].sameSite], [true, "Strict"]);
            assert(
              !cookies[0].value.includes(MANAGEMENT_KEY),
              "the cookie holds a session, not the key",
            );
          },
        );

        await t.step(
          "accounts: each state, and quota bars read from the answers' headers",
          async () => {
            const state = (id: string) => textOf(page, `${row(id)} [data-state]`);
            assertEquals(await state(ADA), "ready");
            assertEquals(await state("file:claude-grace@example.com.json"), "resting");
            assertEquals(await state("file:claude-bob@example.com.json"), "disabled");
            assertEquals(await state("file:claude-lin@example.com.json"), "needs login");
            assertEquals(await state("config:claude-api-key[0]"), "ready");
            const meter = (id: string, window: string) =>
              page.getAttribute(
                `${row(id)} [data-window="${window}"] [role=meter]`,
                "aria-valuenow",
              );
            assertEquals(await meter(ADA, "5h"), "42");
            assertEquals(await meter(ADA, "7d"), "18");
            assertEquals(await meter("file:claude-grace@example.com.json", "5h"), "100");
            assertMatch(
              await textOf(page, `${row("file:claude-grace@example.com.json")} .state`),
              /back in 2h \d+m \(5h window spent\)/,
            );
            assertMatch(
              await textOf(page, `${row(ADA)} [data-window="5h"] .reset`),
              /resets in 3h/,
            );
          },
        );

        await t.step("disabling an account takes it out of the pool", async () => {
          await page.click(`${row(ADA)} button[data-action=disable]`);
          await page.waitForSelector(`${row(ADA)} [data-state=disabled]`);
          assertMatch(await textOf(page, ".toast.ok"), /ada@example\.com is disabled/);
          const before = world.claude.served.length;
          for (let i = 0; i < 3; i++) {
            const answer = await world.ask();
            assertEquals(answer.status, 200);
            await answer.body?.cancel();
          }
          const served = world.claude.served.slice(before);
          assert(!served.includes("ada"), `ada served after being disabled: ${served}`);
          assert(served.includes("config"), "the requests landed on the config key instead");
        });

        await t.step(
          "with the keyboard: skip to content, test an account, delete one (asked first)",
          async () => {
            await page.reload();
            await page.keyboard.press("Tab");
            assertEquals(
              await page.evaluate("document.activeElement.textContent"),
              "Skip to content",
            );
            const config = row("config:claude-api-key[0]");
            await page.focus(`${config} button[data-action=test]`);
            await page.keyboard.press("Enter");
            assertMatch(
              await textOf(page, ".toast.ok >> text=/Test of/"),
              /Test of claude-api-key\[0\].* passed: 200 in \d+ ms/,
            );
            const lin = row("file:claude-lin@example.com.json");
            const asked: string[] = [];
            page.once("dialog", (dialog) => {
              asked.push(dialog.message());
              dialog.dismiss();
            });
            await page.click(`${lin} button[data-action=delete]`);
            assertMatch(asked[0], /^Delete lin@example\.com\?/);
            assert(await page.isVisible(lin), "kept when the question is dismissed");
            page.once("dialog", (dialog) => dialog.accept());
            await page.click(`${lin} button[data-action=delete]`);
            await page.waitForSelector(lin, { state: "detached" });
            assertMatch(
              await textOf(page, ".toast.ok >> text=/deleted/"),
              /lin@example\.com is deleted/,
            );
            await Deno.stat(`${world.authDir}/claude-lin@example.com.json`).then(
              () => {
                throw new Error("the account file is still there");
              },
              () => {},
            );
          },
        );

        await t.step("a device login added from the page goes live", async () => {
          await page.selectOption("#login-provider", "kimi");
          assert(await page.isChecked('#login-flows input[value="device"]'));
          await page.click("#login-start");
          const code = await textOf(page, ".user-code");
          assertMatch(await textOf(page, ".login-panel"), /expires in \d+m/);
          await world.oauth.approveDevice(code);
          await page.waitForSelector(".login-panel .badge.done", { timeout: 20_000 });
          assertMatch(await page.innerText(".login-panel"), /Kimi Code account ada@example\.com/);
          await page.waitForSelector(`${row("file:kimi-ada@example.com.json")} [data-state=ready]`);
        });

        let key = "";
        await t.step("a key created in the page, shown once, answers /v1/messages", async () => {
          await page.goto(`${url}/ui/keys`);
          await page.fill("#key-name", "e2e");
          await page.fill("#key-models", "claude-*");
          await page.click("#create-key-button");
          key = await textOf(page, "#new-key-value");
          assertMatch(key, /^sg-/);
          await page.waitForSelector('#keys-table tr[data-key="e2e"]');
          const answer = await world.ask({ key });
          assertEquals(answer.status, 200);
          await answer.body?.cancel();
          await page.reload();
          assert(!(await page.content()).includes(key), "never shown again");
        });

        await t.step("the request in the live tail and in the usage chart", async () => {
          await page.goto(`${url}/ui/requests`);
          await page.waitForSelector("#tail-status[data-state=live]");
          await page.fill("#filter-key", "e2e");
          const answer = await world.ask({ key, model: "claude-sonnet-4-6" });
          await answer.body?.cancel();
          await page.waitForSelector("#requests-body tr.fresh");
          const rows = await page.$$eval("#requests-body tr", (trs) =>
            trs.map((tr) => tr.textContent));
          assertEquals(rows.length, 2, "the key's two requests (listed, then live)");
          assertMatch(rows[0]!, /e2e.*claude-sonnet-4-6.*200/);

          await page.goto(`${url}/ui/usage?range=24h&group=key&metric=requests`);
          await page.waitForSelector("[data-chart=usage] canvas");
          assertMatch(await page.innerText("[data-chart=usage] .u-legend"), /e2e/);
          assertEquals(
            await textOf(page, '#usage-table tr[data-group="e2e"] td:nth-child(2)'),
            "2",
          );
        });

        await t.step("an invalid config is refused, its problem shown at its line", async () => {
          await page.goto(`${url}/ui/config`);
          const file = `${world.authDir}/config.yaml`;
          const before = await Deno.readTextFile(file);
          const text = await page.inputValue("#config-text");
          const edited = text.replace("strategy: round-robin", "strategy: busiest");
          const line = edited.split("\n").findIndex((l) =>
            l.includes("busiest")
          ) + 1;
          await page.fill("#config-text", edited);
          await page.click("#config-save");
          const problem = await textOf(page, `#config-problems li[data-problem-line="${line}"]`);
          assertMatch(problem, new RegExp(`line ${line}: routing\\.strategy: .*busiest`));
          assertEquals(
            await page.getAttribute(`#config-gutter span:nth-child(${line})`, "class"),
            "bad",
          );
          assertMatch(await textOf(page, ".toast.bad"), /Config not saved/);
          assertEquals(await Deno.readTextFile(file), before, "nothing written");
          // Choosing the problem selects its line in the editor.
          await page.click(`#config-problems li[data-problem-line="${line}"] button`);
          const selected = await page.$eval("#config-text", (area) => {
            const text = area as unknown as {
              value: string;
              selectionStart: number;
              selectionEnd: number;
            };
            return text.value.slice(text.selectionStart, text.selectionEnd);
          });
          assertEquals(selected.trim(), "strategy: busiest");
        });

        await t.step(
          "every page at phone and desktop widths: no console errors, no sideways scroll",
          async () => {
            const problems: string[] = [];
            page.on("console", (message) => {
              if (message.type() === "error") problems.push(`${page.url()}: ${message.text()}`);
            });
            const pages = [
              "/ui/",
              "/ui/accounts",
              "/ui/usage",
              "/ui/keys",
              "/ui/requests",
              "/ui/config",
              "/ui/clients",
            ];
            for (const [width, height] of [[390, 844], [1280, 800]]) {
              await page.setViewportSize({ width, height });
              for (const path of pages) {
                await page.goto(`${url}${path}`, { waitUntil: "load" });
                await page.waitForSelector("main h1");
                const overflow = await page.evaluate(
                  "document.documentElement.scrollWidth - document.documentElement.clientWidth",
                );
                if ((overflow as number) > 1) {
                  problems.push(`${path} at ${width}px scrolls sideways by ${overflow}px`);
                }
              }
            }
            assertEquals(problems, []);
            assertEquals(pageErrors, [], "no script failed on any page");
          },
        );
      })
    ),
);
