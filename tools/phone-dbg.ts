import { withBrowser } from "../tests/helpers/browser.ts";
import { MANAGEMENT_KEY, withConsoleWorld } from "../tests/helpers/console-world.ts";
await withConsoleWorld(async (world) => {
  await withBrowser(async (page) => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${world.server.url}/ui/`);
    await page.fill("#management-key", MANAGEMENT_KEY);
    await page.click("button[type=submit]");
    await page.waitForSelector("#overview");
    for (const p of ["", "accounts", "usage", "keys", "requests", "config", "clients"]) {
      await page.goto(`${world.server.url}/ui/${p}`);
      await page.waitForTimeout(300);
      await page.screenshot({ path: `/tmp/phone-${p || "overview"}.png`, fullPage: true });
    }
  });
}, { history: true });
