/**
 * @module
 * The Copilot editor plugins' login (`~/.config/github-copilot/`): a GitHub
 * token per host, which never expires, so nothing is written back.
 */
import { str, type VendorFile } from "../vendor-file.ts";
import type { Json } from "../../ir/json.ts";

export const copilotPluginFile: VendorFile = {
  tool: "copilot",
  title: "GitHub Copilot (editor plugins)",
  paths: [".config/github-copilot/apps.json", ".config/github-copilot/hosts.json"],
  singleUseRefresh: false,
  read(data) {
    const entry = Object.entries(data).find(([key]) => key.startsWith("github.com"))?.[1] as
      | Json
      | undefined;
    const token = str(entry?.oauth_token);
    if (!token) return undefined;
    return { access_token: token, hints: { login: entry?.user } };
  },
};
