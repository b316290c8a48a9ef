/// <reference lib="dom" />
/**
 * @module
 * The buttons marked `data-action`: an account's test, token refresh,
 * disable, enable and delete, reading quota again, revoking a key. Each asks
 * the management API (`data-url`), says what it is doing and what came of it,
 * and then refreshes the page's live parts. Deleting and revoking ask first.
 */
import { formatLatency } from "../format.ts";
import { act, call, refreshRegions } from "./core.ts";

interface TestAnswer {
  test: { ok: boolean; status: number; latencyMs: number; error?: string; model?: string };
}

interface RefreshAnswer {
  outcome: "refreshed" | "fresh" | "needs-login" | "failed";
  reason?: string;
}

const OUTCOMES: Record<RefreshAnswer["outcome"], string> = {
  refreshed: "token refreshed",
  fresh: "token still fresh, nothing to do",
  "needs-login": "it needs a new login",
  failed: "refresh failed",
};

async function run(button: HTMLButtonElement) {
  const { action, url, label } = button.dataset;
  if (!url) return;
  const name = label ?? "";
  let done: unknown;
  switch (action) {
    case "test":
      done = await act(
        button,
        `Testing ${name}…`,
        () => call<TestAnswer>("POST", url, { json: {} }),
        ({ test }) =>
          test.ok
            ? `Test of ${name} passed: ${test.status} in ${formatLatency(test.latencyMs)}.`
            : [
              `Test of ${name} failed: ${test.status}${test.error ? `, ${test.error}` : ""}.`,
              "bad",
            ],
      );
      break;
    case "refresh":
      done = await act(
        button,
        `Refreshing the token of ${name}…`,
        () => call<RefreshAnswer>("POST", url),
        (answer) => {
          const said = `${name}: ${OUTCOMES[answer.outcome]}${
            answer.reason ? ` (${answer.reason})` : ""
          }.`;
          return answer.outcome === "refreshed" || answer.outcome === "fresh"
            ? said
            : [said, "bad"];
        },
      );
      break;
    case "disable":
    case "enable":
      done = await act(
        button,
        `${action === "disable" ? "Disabling" : "Enabling"} ${name}…`,
        () => call("POST", url),
        () =>
          action === "disable"
            ? `${name} is disabled: no request goes to it until it is enabled.`
            : `${name} is enabled again.`,
      );
      break;
    case "delete":
      if (
        !confirm(
          `Delete ${name}?\n\nIts account file is removed from the auth dir; logging in again ` +
            `adds it back.`,
        )
      ) return;
      done = await act(
        button,
        `Deleting ${name}…`,
        () => call<{ note?: string }>("DELETE", url),
        (answer) => `${name} is deleted.${answer.note ? ` ${answer.note}` : ""}`,
      );
      break;
    case "revoke":
      if (!confirm(`Revoke the key ${name}?\n\nClients using it are refused from now on.`)) {
        return;
      }
      done = await act(
        button,
        `Revoking ${name}…`,
        () => call("DELETE", url),
        () => `The key ${name} is revoked.`,
      );
      break;
    case "read-quota":
      done = await act(
        button,
        "Reading every account's quota…",
        () => call("POST", url),
        () => "Quota read again.",
      );
      break;
    default:
      return;
  }
  if (done !== undefined) await refreshRegions();
}

export function startActions() {
  document.addEventListener("click", (event) => {
    const button = (event.target as Element).closest<HTMLButtonElement>("button[data-action]");
    if (button && !button.disabled) run(button);
  });
}
