import type { ProviderDescriptor } from "../provider.ts";

export const qwen: ProviderDescriptor = {
  id: "qwen",
  title: "Qwen Code",
  fileTypes: ["qwen"],
  ownedBy: "qwen",
  models: ["qwen3-coder-plus", "qwen3-coder-flash"],
};
