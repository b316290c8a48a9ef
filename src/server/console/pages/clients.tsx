/**
 * @module
 * Clients: copy-paste setup for Claude Code, Codex CLI, Gemini CLI and the
 * SDKs, with this server's address (as the browser reached it) filled in,
 * and `subgate run` / `subgate env`, which do it all. A key typed into the
 * page fills the snippets in the browser only; it is never sent anywhere.
 */
import type { Child } from "hono/jsx";
import type { ClientKeyView } from "../../manage/sources.ts";
import type { ApiGet } from "../api.ts";
import { CopyButton, Section } from "../layout.tsx";

function Snippet(props: { id: string; children: string; label: string }) {
  return (
    <div class="code">
      <pre><code id={props.id} data-snippet aria-label={props.label}>{props.children}</code></pre>
      <CopyButton target={props.id} />
    </div>
  );
}

function Client(props: { id: string; title: string; children: Child }) {
  return (
    <Section id={props.id} title={props.title} wide>
      {props.children}
    </Section>
  );
}

export async function clientsPage(api: ApiGet, origin: string) {
  const keys = await api<{ keys: ClientKeyView[] }>("/manage/keys");
  // On this machine `subgate run` finds the running server by itself; elsewhere it is told.
  const local = /^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/.test(origin);
  const url = local ? "" : ` --url ${origin}`;
  const hasKeys = keys.ok && keys.body.keys.length > 0;
  const key = "<key>";
  return (
    <>
      <div class="page-head">
        <div>
          <h1>Clients</h1>
          <p>
            Point your tools at <code>{origin}</code>.
          </p>
        </div>
      </div>
      <Section id="client-key" title="Your key" wide>
        <p>
          {hasKeys
            ? (
              <>
                Clients must send one of the{" "}
                <a href="/ui/keys">client keys</a>. Paste one here to fill it into the snippets
                below: it stays in this page.
              </>
            )
            : (
              <>
                This server has no client keys, so clients on this machine may send any value (the
                snippets keep <code>{key}</code>; any non-empty text works).
              </>
            )}
        </p>
        <div class="inline-form">
          <div class="field">
            <label for="fill-key">Key for the snippets</label>
            <input
              type="password"
              id="fill-key"
              autocomplete="off"
              placeholder="sg-…"
              size={40}
            />
          </div>
        </div>
      </Section>
      <Client id="client-run" title="The quickest: subgate run">
        <p>
          <code>subgate run</code>{" "}
          starts an agent CLI on this server with everything it needs set (its own session key when
          the server has keys, revoked when the client exits)
          {local ? "; on this machine it finds this server by itself" : ""}:
        </p>
        <Snippet id="snippet-run" label="subgate run">
          {`subgate run${url} claude
subgate run${url} codex exec "explain this repo"
subgate run${url} gemini -p "summarise README.md"
subgate run${url} --model gpt-5.4 claude   # every request served by gpt-5.4`}
        </Snippet>
        <p>
          <code>subgate env &lt;client&gt;</code>{" "}
          prints the same settings as shell lines, for a shell of your own:
        </p>
        <Snippet id="snippet-env" label="subgate env">
          {`eval "$(subgate env${url} claude)"`}
        </Snippet>
      </Client>
      <Client id="client-claude" title="Claude Code">
        <Snippet id="snippet-claude" label="Claude Code">
          {`export ANTHROPIC_BASE_URL=${origin}
export ANTHROPIC_AUTH_TOKEN=${key}
export ANTHROPIC_API_KEY=
claude`}
        </Snippet>
      </Client>
      <Client id="client-codex" title="Codex CLI">
        <p>
          In <code>~/.codex/config.toml</code>, with the key in <code>SUBGATE_API_KEY</code>:
        </p>
        <Snippet id="snippet-codex" label="Codex CLI config.toml">
          {`model_provider = "subgate"
model = "gpt-5.4"

[model_providers.subgate]
name = "subgate"
base_url = "${origin}/v1"
wire_api = "responses"
env_key = "SUBGATE_API_KEY"`}
        </Snippet>
        <Snippet id="snippet-codex-env" label="Codex CLI key">
          {`export SUBGATE_API_KEY=${key}
codex`}
        </Snippet>
      </Client>
      <Client id="client-gemini" title="Gemini CLI">
        <Snippet id="snippet-gemini" label="Gemini CLI">
          {`export GOOGLE_GEMINI_BASE_URL=${origin}
export GEMINI_API_KEY=${key}
gemini`}
        </Snippet>
        <p>
          With the API-key login selected in <code>~/.gemini/settings.json</code>{" "}
          (<code>{`{"security": {"auth": {"selectedType": "gemini-api-key"}}}`}</code>), or Gemini
          CLI refuses the base URL; <code>subgate run gemini</code> does this for you.
        </p>
      </Client>
      <Client id="client-sdks" title="SDKs">
        <Snippet id="snippet-sdk-ts" label="TypeScript SDKs">
          {`import OpenAI from "openai";
const openai = new OpenAI({ baseURL: "${origin}/v1", apiKey: "${key}" });

import Anthropic from "@anthropic-ai/sdk";
const anthropic = new Anthropic({ baseURL: "${origin}", apiKey: "${key}" });

import { GoogleGenAI } from "@google/genai";
const google = new GoogleGenAI({ apiKey: "${key}", httpOptions: { baseUrl: "${origin}" } });

// Vercel AI SDK
import { createOpenAI } from "@ai-sdk/openai";
const provider = createOpenAI({ baseURL: "${origin}/v1", apiKey: "${key}" });`}
        </Snippet>
        <Snippet id="snippet-sdk-py" label="Python SDKs">
          {`from openai import OpenAI
openai = OpenAI(base_url="${origin}/v1", api_key="${key}")

from anthropic import Anthropic
anthropic = Anthropic(base_url="${origin}", api_key="${key}")`}
        </Snippet>
        <Snippet id="snippet-curl" label="curl">
          {`curl ${origin}/v1/messages \\
  -H "x-api-key: ${key}" -H "anthropic-version: 2023-06-01" \\
  -d '{"model": "claude-sonnet-4-6", "max_tokens": 64, "messages": [{"role": "user", "content": "Hi"}]}'`}
        </Snippet>
      </Client>
    </>
  );
}
