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
export { generateText, streamText } from "npm:ai@7.0.173";
export { createOpenAI } from "npm:@ai-sdk/openai@4.0.118";
export { createAnthropic } from "npm:@ai-sdk/anthropic@4.0.105";
export { createGoogleGenerativeAI } from "npm:@ai-sdk/google@4.0.121";
