import type { ProviderDescriptor } from "../provider.ts";

export const kimi: ProviderDescriptor = {
  id: "kimi",
  title: "Kimi Code",
  fileTypes: ["kimi"],
  ownedBy: "moonshot",
  models: ["kimi-k2.6", "kimi-k2.5", "kimi-k2-thinking", "kimi-k2"],
};
