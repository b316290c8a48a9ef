/**
 * @module
 * The gate a request passes once the pipeline knows its model, before any
 * account is tried: the client key's policy (its model allowlist, its limits)
 * decides there, so a refusal names the model and comes back in the client's
 * dialect with the one `request refused` log line every refusal gets.
 */
import type { UpstreamAction } from "../upstreams/upstream.ts";

export interface Admission {
  /** The client key's name, when keys are configured. */
  clientKey?: string;
  model: string;
  action: UpstreamAction;
}

/** Returns to admit; throws an `ApiErrorException` (403, 429, …) to refuse. */
export type Admit = (request: Admission) => void;
