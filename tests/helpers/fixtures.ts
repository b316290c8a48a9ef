/**
 * @module
 * Account files as CLIProxyAPI writes them, with fake tokens that look real
 * enough for redaction to be tested.
 */

export const CLAUDE_ACCESS = "sk-ant-oat01-TESTACCESSTOKENxxxxxxxxxxxxxxxx";
export const CLAUDE_REFRESH = "sk-ant-ort01-TESTREFRESHTOKENyyyyyyyyyyyyyyy";

export function claudeFile(email = "ada@example.com", expired = "2099-01-01T00:00:00Z") {
  return JSON.stringify(
    {
      type: "claude",
      access_token: CLAUDE_ACCESS,
      refresh_token: CLAUDE_REFRESH,
      id_token: "",
      last_refresh: "2026-11-20T10:00:00Z",
      email,
      account_uuid: "8c1d0f7e-0000-4000-8000-000000000001",
      organization_uuid: "8c1d0f7e-0000-4000-8000-000000000002",
      organization_name: "Ada's org",
      expired,
    },
    null,
    2,
  );
}

export const CODEX_ACCESS = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJlc2lnbmF0dXJl";

export function codexFile(email = "grace@example.com") {
  return JSON.stringify({
    type: "codex",
    id_token: CODEX_ACCESS,
    access_token: CODEX_ACCESS,
    refresh_token: "rt_TESTREFRESHzzzzzzzzzzzzzzzz",
    account_id: "acc-1234",
    last_refresh: "2026-11-20T10:00:00Z",
    email,
    expired: "2099-01-01T00:00:00Z",
  });
}

/** Writes an account file with owner-only permissions, as subgate and CLIProxyAPI do. */
export async function writeAccount(path: string, text: string, mode = 0o600): Promise<void> {
  await Deno.writeTextFile(path, text, { mode });
  if (Deno.build.os !== "windows") await Deno.chmod(path, mode);
}
