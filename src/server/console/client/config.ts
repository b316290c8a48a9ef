/// <reference lib="dom" />
/**
 * @module
 * The config editor: a text area with line numbers. "Check" asks the
 * server's validator without saving (`PUT /manage/config?dry-run=1`);
 * "Save" writes (`PUT /manage/config`, `If-Match` the version it was read
 * at). Problems are listed with their line, the line's number is marked,
 * and choosing a problem selects its line.
 */
import { act, ApiFailure, call, el, refreshRegions, toast } from "./core.ts";

interface Problem {
  path: string;
  line: number;
  message: string;
}

interface CheckAnswer {
  valid: boolean;
  changed: boolean;
  warnings?: Problem[];
  restartNeeded?: string[];
}

interface SaveAnswer {
  saved: boolean;
  applied: boolean;
  version?: string;
  warnings?: Problem[];
  restartNeeded?: string[];
  note?: string;
}

function problemsOf(error: unknown): Problem[] | undefined {
  if (!(error instanceof ApiFailure)) return undefined;
  const body = error.body as { error?: { problems?: Problem[] } } | undefined;
  return body?.error?.problems;
}

export function startConfig() {
  const text = document.getElementById("config-text") as HTMLTextAreaElement | null;
  const gutter = document.getElementById("config-gutter");
  const list = document.getElementById("config-problems");
  if (!text || !gutter || !list) return;
  const checkButton = document.getElementById("config-check") as HTMLButtonElement;
  const saveButton = document.getElementById("config-save") as HTMLButtonElement;
  let marks = new Map<number, "bad" | "warn">();

  const drawGutter = () => {
    const lines = text.value.split("\n").length;
    if (gutter.children.length !== lines) {
      gutter.replaceChildren(
        ...Array.from({ length: lines }, (_, i) => el("span", {}, String(i + 1))),
      );
    }
    [...gutter.children].forEach((span, i) => {
      const mark = marks.get(i + 1);
      span.className = mark ?? "";
    });
    gutter.scrollTop = text.scrollTop;
  };

  const selectLine = (line: number) => {
    const lines = text.value.split("\n");
    const index = Math.min(Math.max(line, 1), lines.length) - 1;
    const start = lines.slice(0, index).reduce((sum, l) => sum + l.length + 1, 0);
    text.focus();
    text.setSelectionRange(start, start + lines[index].length);
    const lineHeight = parseFloat(getComputedStyle(text).lineHeight) || 20;
    text.scrollTop = Math.max(0, index * lineHeight - text.clientHeight / 3);
    drawGutter();
  };

  const show = (problems: Problem[], warnings: Problem[] = []) => {
    marks = new Map();
    for (const warning of warnings) if (warning.line) marks.set(warning.line, "warn");
    for (const problem of problems) if (problem.line) marks.set(problem.line, "bad");
    const item = (problem: Problem, kind: "bad" | "warn") => {
      const where = [problem.line ? `line ${problem.line}` : "", problem.path]
        .filter(Boolean).join(": ");
      const button = el(
        "button",
        { type: "button", "data-line": String(problem.line) },
        `${where ? `${where}: ` : ""}${problem.message}`,
      );
      if (problem.line) button.addEventListener("click", () => selectLine(problem.line));
      return el("li", { class: kind, "data-problem-line": String(problem.line) }, button);
    };
    list.replaceChildren(
      ...problems.map((p) => item(p, "bad")),
      ...warnings.map((w) => item(w, "warn")),
    );
    drawGutter();
  };

  /** The config's own spelling of a key the API names in camelCase (`authDir`: `auth-dir`). */
  const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  const restartNote = (keys?: string[]) =>
    keys?.length ? ` ${keys.map(kebab).join(", ")}: applied at the next start.` : "";

  const check = () =>
    act(
      checkButton,
      "Checking the config…",
      async () => {
        try {
          return await call<CheckAnswer>("PUT", "/manage/config?dry-run=1", {
            text: text.value,
            headers: { "if-match": text.dataset.version ?? "" },
          });
        } catch (error) {
          const problems = problemsOf(error);
          if (problems) show(problems);
          throw error;
        }
      },
      (answer) => {
        show([], answer.warnings);
        return answer.changed
          ? `No problems: the config can be saved.${restartNote(answer.restartNeeded)}`
          : "No problems, and no changes to save.";
      },
    );

  const save = () =>
    act(
      saveButton,
      "Saving the config…",
      async () => {
        try {
          return await call<SaveAnswer>("PUT", "/manage/config", {
            text: text.value,
            headers: { "if-match": text.dataset.version ?? "" },
          });
        } catch (error) {
          const problems = problemsOf(error);
          if (problems) show(problems);
          if (error instanceof ApiFailure && error.status === 412) {
            throw new ApiFailure(
              `${error.message} (Copy your edit, reload the page, and apply it again.)`,
              412,
            );
          }
          throw error;
        }
      },
      (answer) => {
        show([], answer.warnings);
        if (answer.version) text.dataset.version = answer.version;
        if (!answer.saved) return answer.note ?? "Nothing to save.";
        refreshRegions(["config-current"]);
        return answer.applied
          ? `Saved and applied.${restartNote(answer.restartNeeded)}`
          : [`Saved. ${answer.note ?? ""}`, "info"];
      },
    );

  text.addEventListener("input", () => {
    if (marks.size) {
      marks = new Map();
      list.replaceChildren();
    }
    drawGutter();
  });
  text.addEventListener("scroll", () => gutter.scrollTop = text.scrollTop);
  text.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key === "s") {
      event.preventDefault();
      save();
    } else if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
      event.preventDefault();
      check();
    }
  });
  checkButton.addEventListener("click", () => check());
  saveButton.addEventListener("click", () => save());
  if (text.readOnly) {
    saveButton.disabled = true;
    checkButton.disabled = true;
    toast("The config file is not valid YAML, so it is not shown: fix it by hand.", "bad");
  }
  drawGutter();
}
