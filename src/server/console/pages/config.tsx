/**
 * @module
 * Config: the config file in an editor (secrets as `<redacted:N>`
 * placeholders, which saving fills back from the file), checked by the
 * server's validator as you ask (`PUT /manage/config?dry-run=1`) with each
 * problem marked at its line, saved only when it passes; and the config in
 * force, secrets redacted. In teams mode the text is the config the
 * instances share (saved in the database, applied by every instance).
 */
import type { ApiGet } from "../api.ts";
import { Problem, Section } from "../layout.tsx";

interface ConfigAnswer {
  file: string;
  exists: boolean;
  version: string;
  text?: string;
  note?: string;
  /** Teams mode: the shared config's save (null before the first), absent otherwise. */
  shared?: { savedBy: string; savedVia: string; savedAt: string } | null;
  config: unknown;
}

/** Where the text comes from and when saved changes apply. */
function Origin({ config }: { config: ConfigAnswer }) {
  if (config.shared !== undefined) {
    return (
      <p>
        {config.shared
          ? `The team's shared config, saved through ${config.shared.savedBy} at ${config.shared.savedAt}. `
          : "No shared config yet: saving this text shares it with every instance. "}
        Saved changes apply on every instance within a second; host, port and the other instance
        keys come from each instance's own file (here <code>{config.file}</code>).
      </p>
    );
  }
  return (
    <p>
      <code>{config.file}</code>
      {config.exists ? "" : " (not there yet: saving creates it)"}. Saved changes apply at once, but
      for host, port and auth-dir, which take a restart.
    </p>
  );
}

export async function configPage(api: ApiGet) {
  const answer = await api<ConfigAnswer>("/manage/config");
  if (!answer.ok) {
    return (
      <>
        <div class="page-head">
          <h1>Config</h1>
        </div>
        <Problem message={answer.message} status={answer.status} />
      </>
    );
  }
  const config = answer.body;
  const text = config.text ?? "";
  const lines = Math.max(1, text.split("\n").length);
  return (
    <>
      <div class="page-head">
        <div>
          <h1>Config</h1>
          <Origin config={config} />
        </div>
      </div>
      <Section
        id="config-editor"
        title="Edit"
        wide
        actions={
          <>
            <button type="button" class="btn" id="config-check">Check</button>
            <button type="button" class="btn primary" id="config-save">Save</button>
          </>
        }
      >
        {/* In teams mode the note says what the head above says, unless the text is withheld. */}
        {config.note && (config.shared === undefined || config.text === undefined) && (
          <p class="notice warn">{config.note}</p>
        )}
        <p class="muted small">
          Secrets show as{" "}
          <code>&lt;redacted:N&gt;</code>: leave them as they are to keep them, or write a new
          value. Ctrl+S saves; Ctrl+Enter checks.
        </p>
        <div class="editor">
          <div class="gutter" id="config-gutter" aria-hidden="true">
            {Array.from({ length: lines }, (_, i) => <span key={i}>{i + 1}</span>)}
          </div>
          <textarea
            id="config-text"
            name="config"
            spellcheck={false}
            autocomplete="off"
            autocapitalize="off"
            aria-label="config.yaml"
            aria-describedby="config-result"
            data-version={config.version}
            readonly={config.text === undefined}
          >
            {/* A leading newline is dropped by the HTML parser: this one, not the text's. */}
            {`\n${text}`}
          </textarea>
        </div>
        <div id="config-result" aria-live="polite">
          <ul class="problems" id="config-problems"></ul>
        </div>
      </Section>
      <Section id="config-current" title="In force" wide>
        <details>
          <summary>The config the server runs with (JSON, secrets redacted)</summary>
          <pre id="config-json">{JSON.stringify(config.config, null, 2)}</pre>
        </details>
      </Section>
    </>
  );
}
