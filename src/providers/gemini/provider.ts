import type { ProviderDescriptor } from "../provider.ts";

export const gemini: ProviderDescriptor = {
  id: "gemini",
  title: "Gemini (Code Assist)",
  fileTypes: ["gemini", "gemini-cli"],
  ownedBy: "google",
  models: ["gemini-3.1-pro-preview", "gemini-3-flash", "gemini-2.5-pro", "gemini-2.5-flash"],
};
