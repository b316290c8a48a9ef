/**
 * @module
 * A small tmpfs, for a disk that fills or turns read-only under a test (root on Linux only).
 */

/** Whether this machine lets the tests mount one. */
export const canMount = Deno.build.os === "linux" && Deno.uid() === 0;

/** Mounts a tmpfs of `size` on `dir`; its unmount, or undefined where the machine refuses. */
export async function mountTmpfs(
  dir: string,
  size: string,
): Promise<(() => Promise<void>) | undefined> {
  const mounted = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", `size=${size},mode=0700`, "tmpfs", dir],
    stderr: "null",
    stdout: "null",
  }).output().catch(() => undefined);
  if (!mounted?.success) return undefined;
  return async () => {
    await new Deno.Command("umount", { args: ["-l", dir], stderr: "null" }).output();
  };
}
