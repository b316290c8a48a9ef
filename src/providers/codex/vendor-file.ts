/**
 * @module
 * Codex CLI's own login (`~/.codex/auth.json`): the tokens under `tokens`,
 * expiry read from the access token.
 */
import { jwtExpiry, str, type VendorFile } from "../vendor-file.ts";
import type { Json } from "../../ir/json.ts";

export const codexCliFile: VendorFile = {
  tool: "codex",
  title: "Codex CLI",
  paths: [".codex/auth.json"],
  singleUseRefresh: true,
  read(data) {
    const tokens = data.tokens as Json | undefined;
    const access = str(tokens?.access_token);
    if (!tokens || !access) return undefined;
    return {
      access_token: access,
      refresh_token: str(tokens.refresh_token),
      id_token: str(tokens.id_token),
      expired: jwtExpiry(access),
      hints: { account_id: tokens.account_id },
    };
  },
  write(data, tokens, now) {
    const next: Json = { ...(data.tokens as Json), access_token: tokens.access_token };
    if (tokens.refresh_token) next.refresh_token = tokens.refresh_token;
    if (tokens.id_token) next.id_token = tokens.id_token;
    return { ...data, tokens: next, last_refresh: new Date(now).toISOString() };
  },
};
