/// <reference lib="dom" />
/**
 * @module
 * The console's script, one module for every page (`deno task console:assets` bundles it into
 * `assets.gen.ts`): the shared parts start everywhere, each page's part finds its own elements
 * and does nothing on the other pages.
 */
import { startAccounts } from "./accounts.ts";
import { startActions } from "./actions.ts";
import { startCharts } from "./charts.ts";
import { startClients } from "./clients.ts";
import { startConfig } from "./config.ts";
import { startCore } from "./core.ts";
import { startKeys } from "./keys.ts";
import { startRequests } from "./requests.ts";

startCore();
startActions();
startCharts();
startAccounts();
startKeys();
startRequests();
startConfig();
startClients();
