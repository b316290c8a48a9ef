/**
 * @module
 * What the config's `providers.<name>` section may change of a login
 * provider. It lives here, below the config, so a provider's upstream adapter
 * reads its own override without knowing the config; the config loads it.
 */

/** Overrides for a login provider (`providers.<name>`): endpoints, refresh lead, models. */
export interface ProviderOverride {
  baseUrl?: string;
  /** A second API the provider needs (GitHub's REST API for Copilot). */
  apiUrl?: string;
  authorizeUrl?: string;
  tokenUrl?: string;
  deviceUrl?: string;
  /** Where the provider shows the code to paste in the manual login. */
  manualRedirectUrl?: string;
  /** Expected `iss` of the provider's id_tokens. */
  issuer?: string;
  clientId?: string;
  /** Seconds before expiry to refresh tokens. */
  refreshLead?: number;
  /** Seconds between two polls of each login's usage endpoint (the provider's pace when absent). */
  quotaPoll?: number;
  /** The models this provider's logins serve, replacing the built-in list (wildcards route). */
  models?: string[];
  /** Models none of this provider's logins serve (wildcards allowed). */
  excludedModels?: string[];
  headers: Record<string, string>;
}
