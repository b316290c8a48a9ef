/**
 * @module
 * Runs a provider's login: browser (loopback callback, PKCE), manual paste
 * (`code#state` from the provider's page) or device code, then identifies the
 * account and writes its file (`save-login.ts`). Nothing here knows a
 * provider: each one's quirks are data and hooks in its `LoginSpec`.
 */
import { browserLogin } from "./browser-login.ts";
import { deviceLogin } from "./device-login.ts";
import type { LoginOptions, LoginResult } from "./login-options.ts";
import { manualLogin } from "./manual-login.ts";

export type { LoginFlow, LoginOptions, LoginResult } from "./login-options.ts";

export async function runLogin(options: LoginOptions): Promise<LoginResult> {
  switch (options.flow) {
    case "device":
      return await deviceLogin(options);
    case "manual":
      return await manualLogin(options);
    case "browser":
      return await browserLogin(options);
  }
}
