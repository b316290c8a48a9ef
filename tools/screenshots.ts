/**
 * `deno task screenshots`: a PNG of each web console page at desktop width (1280 px) in
 * `docs/screenshots/`, and the overview in dark mode, taken with Debian's Chromium from a
 * subgate seeded by `tests/helpers/console-world.ts` (four Claude logins in different states, a
 * config key, a week of usage history, a few live requests). Everything runs on loopback.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { withBrowser } from "../tests/helpers/browser.ts";
import { MANAGEMENT_KEY, withConsoleWorld } from "../tests/helpers/console-world.ts";
import type { Page } from "../tests/helpers/npm.ts";

const OUT = fileURLToPath(new URL("../docs/screenshots/", import.meta.url));

async function shoot(page: Page, name: string) {
  // Countdowns and charts settle; the status area's messages go.
  await page.waitForTimeout(400);
  await page.evaluate('document.getElementById("status").replaceChildren(); scrollTo(0, 0)');
  const path = join(OUT, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`wrote docs/screenshots/${name}.png`);
}

await Deno.mkdir(OUT, { recursive: true });
await withConsoleWorld(async (world) => {
  // Some live traffic for the overview and the requests page: models, keys, a failure.
  for (let i = 0; i < 12; i++) {
    const model = i % 3 === 0 ? "claude-haiku-4-5" : "claude-sonnet-4-6";
    await (await world.ask({ model })).body?.cancel();
  }
  await (await world.ask({ model: "gpt-unknown-model" })).body?.cancel();
  await withBrowser(async (page) => {
    await page.setViewportSize({ width: 1280, height: 860 });
    await page.goto(`${world.server.url}/ui/`);
    await page.fill("#management-key", MANAGEMENT_KEY);
    await page.click("button[type=submit]");
    await page.waitForSelector("#overview");
    await page.waitForSelector("[data-chart] canvas");
    await shoot(page, "overview");

    await page.goto(`${world.server.url}/ui/accounts`);
    await page.selectOption("#login-provider", "kimi");
    await page.click("#login-start");
    await page.waitForSelector(".user-code");
    await shoot(page, "accounts");

    await page.goto(`${world.server.url}/ui/usage?range=7d&group=model&metric=tokens`);
    await page.waitForSelector("[data-chart] canvas");
    await shoot(page, "usage");

    await page.goto(`${world.server.url}/ui/keys`);
    await page.fill("#key-name", "ci");
    await page.fill("#key-models", "claude-*");
    await page.fill("#key-rpm", "60");
    await page.click("#create-key-button");
    await page.waitForSelector("#new-key-value");
    await shoot(page, "keys");

    await page.goto(`${world.server.url}/ui/requests`);
    await page.waitForSelector("#tail-status[data-state=live]");
    await (await world.ask()).body?.cancel();
    await page.waitForTimeout(300);
    await shoot(page, "requests");

    await page.goto(`${world.server.url}/ui/config`);
    const text = await page.inputValue("#config-text");
    await page.fill("#config-text", text.replace("strategy: round-robin", "strategy: busiest"));
    await page.click("#config-check");
    await page.waitForSelector("#config-problems li");
    await shoot(page, "config");

    await page.goto(`${world.server.url}/ui/clients`);
    await shoot(page, "clients");

    await page.emulateMedia({ colorScheme: "dark" });
    await page.goto(`${world.server.url}/ui/`);
    await page.waitForSelector("[data-chart] canvas");
    await shoot(page, "overview-dark");
  });
}, { history: true });
