/**
 * @module
 * The npm packages only the tests use, pinned here rather than in deno.json's
 * import map: Deno installs every package of the import map on a first run,
 * and `deno task start` should fetch only what subgate itself needs.
 */
export { default as OpenAI } from "npm:openai@7.57.0";
export { default as Anthropic } from "npm:@anthropic-ai/sdk@1.13.0";
export { GoogleGenAI } from "npm:@google/genai@3.3.0";
export { default as Provider } from "npm:oidc-provider@9.13.3";
export {
  type BrowserContext,
  chromium,
  type Page,
  type Request as PageRequest,
  type Response as PageResponse,
} from "npm:playwright-core@1.65.1";
