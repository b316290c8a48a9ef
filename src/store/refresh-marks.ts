/**
 * @module
 * The marks a refresh leaves in an account file: `refresh_in_flight` while a
 * token request is out (left behind only by a process that died waiting for
 * the answer), and what the account says about such an interrupted refresh.
 */

/** Set in the file while a token request is out. */
export const IN_FLIGHT_KEY = "refresh_in_flight";

/** What the account says after a refresh was cut short by a crash. */
export const INTERRUPTED =
  "a refresh was interrupted (the process stopped while the token server answered): " +
  "log in again if the next refresh is refused";
