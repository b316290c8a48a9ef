/**
 * @module
 * The device-code login: the provider's device protocol (RFC 8628, or the
 * provider's own through `login.device.start`) hands out a code; this shows
 * it, opens the browser where it can, and waits at the provider's pace until
 * the person approves, the code expires or the login times out.
 */
import { LoginError } from "../oauth/login-error.ts";
import type { DeviceAuthorization, ExchangeResult } from "../oauth/login-spec.ts";
import { startRfc8628Device } from "../oauth/rfc8628-device.ts";
import type { LoginOptions, LoginResult } from "./login-options.ts";
import { openBrowser } from "./open-browser.ts";
import { createProgress, type Progress } from "./progress.ts";
import { saveLogin } from "./save-login.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits `seconds`, ticking the progress line with the time left until `deadline`. */
async function pause(
  progress: Progress | undefined,
  seconds: number,
  deadline: number,
  signal?: AbortSignal,
): Promise<void> {
  const waitUntil = Date.now() + seconds * 1000;
  while (Date.now() < waitUntil) {
    signal?.throwIfAborted();
    progress?.tick(Math.max(0, (deadline - Date.now()) / 1000));
    await sleep(Math.min(250, waitUntil - Date.now()));
  }
  signal?.throwIfAborted();
}

export interface ApprovalWait {
  /** A progress line for a person at a terminal; none for a login run by the server. */
  progress?: Progress;
  /** Ends the wait (a cancelled login, a server stopping): the wait rejects with its reason. */
  signal?: AbortSignal;
}

/** Polls until the person approves; `poll` throws when they refuse or the code expires. */
export async function waitForApproval(
  device: DeviceAuthorization,
  timeoutMs: number,
  wait: ApprovalWait = {},
): Promise<ExchangeResult> {
  const deadline = Date.now() + Math.min(device.expiresIn * 1000, timeoutMs);
  let interval = device.interval;
  const progress = wait.progress;
  try {
    while (true) {
      await pause(progress, interval, deadline, wait.signal);
      const answer = await device.poll();
      if (typeof answer === "object") return answer;
      // RFC 8628: add 5 seconds to the interval on every slow_down.
      if (answer === "slow_down") interval += 5;
      if (Date.now() >= deadline) throw device.timedOut();
    }
  } finally {
    progress?.done();
  }
}

export async function deviceLogin(options: LoginOptions): Promise<LoginResult> {
  const { spec, endpoints, provider } = options;
  if (!spec.device) {
    throw new LoginError(
      provider,
      "device",
      `${options.title} has no device login; use the browser login (with --no-browser on a headless machine)`,
    );
  }
  const start = spec.device.start ?? startRfc8628Device;
  const device = await start({ provider, spec, endpoints });
  options.say(`Open ${device.verificationUri} and enter the code:\n\n  ${device.userCode}\n`);
  if (!options.noBrowser && await openBrowser(device.openUri)) {
    options.say("(Opened your browser.)");
  }
  const approved = await waitForApproval(device, options.timeoutMs, {
    progress: createProgress("Waiting for approval"),
  });
  return await saveLogin(options, approved.tokens, approved.idTokenClaims);
}
