import type { ProviderDescriptor } from "../provider.ts";

export const copilot: ProviderDescriptor = {
  id: "copilot",
  title: "GitHub Copilot",
  fileTypes: ["copilot", "github-copilot"],
  ownedBy: "github-copilot",
  models: ["gpt-4.1", "gpt-5-mini", "claude-sonnet-4.5", "gemini-2.5-pro"],
};
