/// <reference lib="dom" />
/**
 * @module
 * Creating a client key: the form's fields become `POST /manage/keys`; the
 * new key is shown once, with a copy button, until the person dismisses it.
 */
import { act, call, el, refreshRegions, toast } from "./core.ts";

interface Created {
  key: string;
  name: string;
  note?: string;
}

function bodyOf(form: HTMLFormElement): Record<string, unknown> | string {
  const data = new FormData(form);
  const text = (name: string) => String(data.get(name) ?? "").trim();
  const name = text("name");
  if (!name) return "Give the key a name: it names the key in usage figures and logs.";
  const body: Record<string, unknown> = { name };
  const models = text("models").split(/[\s,]+/).filter(Boolean);
  if (models.length) body.models = models;
  const limits: Record<string, number> = {};
  for (const limit of ["requests-per-minute", "requests-per-day", "tokens-per-day"]) {
    const value = text(limit);
    if (!value) continue;
    const amount = Number(value);
    if (!Number.isInteger(amount) || amount < 1) {
      return `${limit.replaceAll("-", " ")}: a whole number of at least 1.`;
    }
    limits[limit] = amount;
  }
  if (Object.keys(limits).length) body.limits = limits;
  const expires = text("expires");
  if (expires) body.expires = `${expires}T00:00:00Z`;
  return body;
}

function showKey(place: HTMLElement, created: Created) {
  const code = el("code", { id: "new-key-value" }, created.key);
  const copy = el(
    "button",
    { type: "button", class: "btn small copy", "data-copy-target": "new-key-value" },
    "Copy",
  );
  const done = el("button", { type: "button", class: "btn small quiet" }, "Done");
  done.addEventListener("click", () => place.replaceChildren());
  place.replaceChildren(
    el(
      "div",
      { class: "notice ok", role: "status" },
      el("strong", {}, `Key ${created.name} created. `),
      "Copy it now: it is not shown again.",
    ),
    el("div", { class: "secret" }, code, copy, done),
  );
  copy.focus();
}

export function startKeys() {
  const form = document.getElementById("create-key-form") as HTMLFormElement | null;
  const place = document.getElementById("new-key");
  if (!form || !place) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = bodyOf(form);
    const nameInput = form.elements.namedItem("name") as HTMLInputElement;
    if (typeof body === "string") {
      toast(body, "bad");
      if (!nameInput.value.trim()) {
        nameInput.setAttribute("aria-invalid", "true");
        nameInput.focus();
      }
      return;
    }
    nameInput.removeAttribute("aria-invalid");
    const button = form.querySelector<HTMLButtonElement>("button[type=submit]");
    const created = await act(
      button,
      `Creating the key ${body.name}…`,
      () => call<Created>("POST", "/manage/keys", { json: body }),
      (answer) => `Key ${answer.name} created.`,
    );
    if (!created) return;
    form.reset();
    showKey(place, created);
    await refreshRegions();
  });
}
