import type { ProviderDescriptor } from "../provider.ts";

export const claude: ProviderDescriptor = {
  id: "claude",
  title: "Claude (Pro/Max)",
  fileTypes: ["claude", "anthropic"],
  ownedBy: "anthropic",
  models: [
    "claude-opus-4-6",
    "claude-sonnet-4-6",
    "claude-opus-4-5-20251101",
    "claude-sonnet-4-5-20250929",
    "claude-haiku-4-5-20251001",
  ],
};
