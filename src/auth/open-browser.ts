/**
 * @module
 * Opens a URL in the user's browser with the platform's opener: the only
 * program subgate may run (`run` in the permission set lists just these).
 */

function opener(): { command: string; args: (url: string) => string[] } {
  switch (Deno.build.os) {
    case "darwin":
      return { command: "open", args: (url) => [url] };
    case "windows":
      return { command: "explorer.exe", args: (url) => [url] };
    default:
      return { command: "xdg-open", args: (url) => [url] };
  }
}

/** True when the opener started; false when there is none (headless, no permission). */
export async function openBrowser(url: string): Promise<boolean> {
  const { command, args } = opener();
  const permission = await Deno.permissions.query({ name: "run", command });
  if (permission.state !== "granted") return false;
  try {
    const child = new Deno.Command(command, {
      args: args(url),
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    // xdg-open may stay running while the browser starts: wait briefly, not for it to end.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const status = await Promise.race([
      child.status,
      new Promise<undefined>((resolve) => timer = setTimeout(() => resolve(undefined), 3000)),
    ]);
    clearTimeout(timer);
    // explorer.exe exits 1 even when it opened the page.
    return status === undefined || status.success || Deno.build.os === "windows";
  } catch {
    return false;
  }
}
