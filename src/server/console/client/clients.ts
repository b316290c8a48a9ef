/// <reference lib="dom" />
/**
 * @module
 * The Clients page: a key typed into its field is written into the snippets
 * in place of `<key>`, in this page only (never sent or stored).
 */

const PLACEHOLDER = "<key>";

export function startClients() {
  const input = document.getElementById("fill-key") as HTMLInputElement | null;
  if (!input) return;
  const snippets = [...document.querySelectorAll<HTMLElement>("[data-snippet]")];
  const originals = new Map(snippets.map((snippet) => [snippet, snippet.textContent ?? ""]));
  input.addEventListener("input", () => {
    const key = input.value.trim() || PLACEHOLDER;
    for (const [snippet, text] of originals) {
      snippet.textContent = text.replaceAll(PLACEHOLDER, key);
    }
  });
}
