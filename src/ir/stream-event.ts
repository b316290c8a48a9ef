/**
 * @module
 * The canonical stream lifecycle. Decoders turn an upstream's events into
 * these; encoders turn these into the client's events. Every block has an
 * `index` (its position in the answer) so interleaved blocks reassemble.
 */
import type { ApiError } from "../errors/api-error.ts";
import type { ProviderData } from "./message.ts";
import type { StopReason, Usage } from "./response.ts";

export type StreamEvent =
  | { type: "start"; id: string; model: string; created?: number; usage?: Partial<Usage> }
  | { type: "text-start"; index: number; providerData?: ProviderData }
  | { type: "text-delta"; index: number; text: string }
  | { type: "text-end"; index: number }
  /**
   * `origin` (on reasoning and tool-call starts and on signatures) names the dialect of the
   * upstream that produced them; the translation stage stamps it. Encoders hand a signature
   * back raw only to clients of that dialect, since no other provider accepts it.
   */
  | {
    type: "reasoning-start";
    index: number;
    id?: string;
    redacted?: boolean;
    encrypted?: string;
    origin?: string;
  }
  | { type: "reasoning-delta"; index: number; text: string }
  /** A signature or encrypted content, usually at the end of a reasoning block. */
  | {
    type: "reasoning-signature";
    index: number;
    signature?: string;
    encrypted?: string;
    origin?: string;
  }
  | { type: "reasoning-end"; index: number }
  | {
    type: "tool-call-start";
    index: number;
    id: string;
    name: string;
    signature?: string;
    origin?: string;
  }
  | { type: "tool-call-delta"; index: number; argumentsDelta: string }
  | { type: "tool-call-end"; index: number }
  /** Usage known so far (cumulative, not a delta). */
  | { type: "usage"; usage: Partial<Usage> }
  | { type: "finish"; stopReason: StopReason; stopSequence?: string; usage?: Partial<Usage> }
  /** A failure after the stream began: the client gets its dialect's stream error. */
  | { type: "error"; error: ApiError };
