/**
 * @module
 * The three shapes an error takes on the wire: OpenAI's (both OpenAI APIs),
 * Anthropic's and Google's. Every answer, errors included, goes back in the
 * shape of the client that asked.
 */
export type ErrorFormat = "openai" | "anthropic" | "gemini";
