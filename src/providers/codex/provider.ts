import type { ProviderDescriptor } from "../provider.ts";

export const codex: ProviderDescriptor = {
  id: "codex",
  title: "ChatGPT (Codex)",
  fileTypes: ["codex", "openai"],
  ownedBy: "openai",
  models: ["gpt-5.5", "gpt-5.4", "gpt-5.4-mini", "gpt-5.3-codex", "gpt-5.2-codex"],
};
