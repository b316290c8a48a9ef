/**
 * @module
 * The embedded default configuration: subgate runs on these with no file.
 */
import type { Config } from "./config-types.ts";

export const DEFAULT_PORT = 8317;
export const DEFAULT_AUTH_DIR = "~/.subgate";
export const CONFIG_FILE_NAME = "config.yaml";

/** Defaults before paths are expanded (`authDir` keeps its `~`). */
export function defaultConfig(): Config {
  return {
    host: "127.0.0.1",
    port: DEFAULT_PORT,
    authDir: DEFAULT_AUTH_DIR,
    apiKeys: [],
    trustedProxies: [],
    logLevel: "info",
    bodyLimit: 32 * 1024 * 1024,
    upstreamBodyLimit: 64 * 1024 * 1024,
    sseEventLimit: 16 * 1024 * 1024,
    requestRetry: 3,
    // A plain (non-streaming) answer only starts when the model has finished: allow minutes.
    upstreamTimeout: 600,
    // A client sends its request head in milliseconds; half a minute is generous on any link.
    clientHeaderTimeout: 30,
    // Longer than the keep-alive of the clients in use (undici 4 s, httpx 5 s), and an upload
    // that sends nothing for a minute has stalled.
    clientIdleTimeout: 60,
    apiKeyEntries: {},
    openaiCompatibility: [],
    providers: {},
    routing: { strategy: "round-robin", sessionAffinity: false },
    cors: { allowOrigins: [] },
    usage: { retention: 30 * 86400 },
    tokenEncryption: false,
    refreshTimeout: 30,
  };
}
