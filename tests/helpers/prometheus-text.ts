/**
 * @module
 * A strict parser of Prometheus's text exposition format (version 0.0.4), for
 * checking what `/metrics` serves the way a Prometheus server would read it:
 * every line must be a HELP, a TYPE, a comment or a sample of the grammar;
 * a family's TYPE comes before its samples and its lines are not interleaved
 * with another family's; a sample's labels are unique; no sample repeats;
 * counters are not negative; a histogram has `le` buckets that only grow, a
 * `+Inf` bucket equal to its `_count`, and a `_sum`. npm's parsers accept
 * garbage lines (`parse-prometheus-text-format` reads "a b c" as a sample),
 * so this one is written here from the format's description.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  help?: string;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const TYPES = ["counter", "gauge", "histogram", "summary", "untyped"];

function fail(line: number, text: string, why: string): never {
  throw new Error(`line ${line}: ${why}: ${JSON.stringify(text)}`);
}

function parseValue(text: string): number | undefined {
  if (text === "NaN") return NaN;
  if (text === "+Inf" || text === "Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) ? Number(text) : undefined;
}

/** `{a="b",c="d"}` at the start of `text`: the labels and what follows. */
function parseLabels(text: string, line: number): [Record<string, string>, string] {
  const labels: Record<string, string> = {};
  let rest = text.slice(1);
  while (true) {
    rest = rest.replace(/^ */, "");
    if (rest.startsWith("}")) return [labels, rest.slice(1)];
    const name = LABEL_NAME.exec(rest)?.[0];
    if (!name) fail(line, text, "a label name was expected");
    if (name in labels) fail(line, text, `label ${name} repeats`);
    rest = rest.slice(name.length).replace(/^ */, "");
    if (!rest.startsWith('="')) fail(line, text, `label ${name} needs ="value"`);
    rest = rest.slice(2);
    let value = "";
    while (true) {
      if (rest === "") fail(line, text, "a label value is not closed");
      const char = rest[0];
      if (char === '"') break;
      if (char === "\n") fail(line, text, "a raw newline in a label value");
      if (char === "\\") {
        const escaped = rest[1];
        if (escaped === "n") value += "\n";
        else if (escaped === "\\" || escaped === '"') value += escaped;
        else fail(line, text, `unknown escape \\${escaped} in a label value`);
        rest = rest.slice(2);
        continue;
      }
      value += char;
      rest = rest.slice(1);
    }
    labels[name] = value;
    rest = rest.slice(1).replace(/^ */, "");
    if (rest.startsWith(",")) rest = rest.slice(1);
    else if (!rest.startsWith("}")) fail(line, text, "labels must be separated by commas");
  }
}

/** The family a sample name belongs to, given the families declared so far. */
function familyOf(name: string, families: Map<string, Family>): string {
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    const base = name.slice(0, -suffix.length);
    if (name.endsWith(suffix) && families.get(base)?.type === "histogram") return base;
  }
  for (const suffix of ["_sum", "_count"]) {
    const base = name.slice(0, -suffix.length);
    if (name.endsWith(suffix) && families.get(base)?.type === "summary") return base;
  }
  return name;
}

function checkHistogram(family: Family): void {
  const series = new Map<string, Sample[]>();
  for (const sample of family.samples) {
    const { le: _le, ...rest } = sample.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    series.set(key, [...series.get(key) ?? [], sample]);
  }
  for (const [key, samples] of series) {
    const buckets = samples.filter((s) => s.name === `${family.name}_bucket`);
    const count = samples.find((s) => s.name === `${family.name}_count`);
    const sum = samples.find((s) => s.name === `${family.name}_sum`);
    const where = `histogram ${family.name}${key}`;
    if (!count || !sum) throw new Error(`${where} lacks _count or _sum`);
    if (buckets.some((b) => b.labels.le === undefined)) {
      throw new Error(`${where}: bucket without le`);
    }
    const ordered = buckets.map((b) => ({ le: parseValue(b.labels.le)!, value: b.value }))
      .sort((a, b) => a.le - b.le);
    if (ordered.at(-1)?.le !== Infinity) throw new Error(`${where} lacks the +Inf bucket`);
    for (let i = 1; i < ordered.length; i++) {
      if (ordered[i].value < ordered[i - 1].value) throw new Error(`${where}: buckets shrink`);
    }
    if (ordered.at(-1)!.value !== count.value) throw new Error(`${where}: +Inf bucket != _count`);
  }
}

/** Parses exposition text; throws on the first line or family that breaks the format. */
export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const finished = new Set<string>();
  const seen = new Set<string>();
  let current: string | undefined;
  const enter = (name: string, line: number, raw: string) => {
    if (current === name) return;
    if (finished.has(name)) fail(line, raw, `the lines of ${name} are not together`);
    if (current) finished.add(current);
    current = name;
  };
  const lines = text.split("\n");
  if (text !== "" && !text.endsWith("\n")) throw new Error("the text must end with a newline");
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === "") return;
    if (raw.startsWith("#")) {
      const match = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(raw);
      if (!match) return; // a plain comment
      const [, keyword, name, rest = ""] = match;
      if (METRIC_NAME.exec(name)?.[0] !== name) fail(line, raw, "not a metric name");
      enter(name, line, raw);
      const family = families.get(name) ?? { name, type: "untyped" as const, samples: [] };
      families.set(name, family);
      if (keyword === "HELP") {
        if (family.help !== undefined) fail(line, raw, "a second HELP");
        if (/\\[^n\\]/.test(rest)) fail(line, raw, "unknown escape in HELP");
        family.help = rest.replace(/\\n/g, "\n").replace(/\\\\/g, "\\");
      } else {
        if (!TYPES.includes(rest.trim())) fail(line, raw, "unknown TYPE");
        if (family.samples.length) fail(line, raw, "TYPE after samples");
        if ((family as { typed?: boolean }).typed) fail(line, raw, "a second TYPE");
        (family as { typed?: boolean }).typed = true;
        family.type = rest.trim() as Family["type"];
      }
      return;
    }
    const name = METRIC_NAME.exec(raw)?.[0];
    if (!name) fail(line, raw, "a sample must start with a metric name");
    let rest = raw.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith("{")) [labels, rest] = parseLabels(rest, line);
    const parts = rest.trim().split(/\s+/);
    if (!rest.startsWith(" ") || parts.length < 1 || parts.length > 2) {
      fail(line, raw, "a sample is name{labels} value [timestamp]");
    }
    const value = parseValue(parts[0]);
    if (value === undefined) fail(line, raw, "not a number");
    if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1])) fail(line, raw, "bad timestamp");
    const familyName = familyOf(name, families);
    enter(familyName, line, raw);
    const family = families.get(familyName) ??
      { name: familyName, type: "untyped" as const, samples: [] };
    families.set(familyName, family);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) fail(line, raw, "a repeated sample");
    seen.add(key);
    if (family.type === "counter" && !(value >= 0)) fail(line, raw, "a counter below zero");
    family.samples.push({ name, labels, value });
  });
  for (const family of families.values()) {
    if (family.type === "histogram") checkHistogram(family);
  }
  return families;
}

/** The sum of the samples named `name` whose labels include `labels`; undefined when none. */
export function sampleSum(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const matches = [...families.values()].flatMap((family) => family.samples).filter((sample) =>
    sample.name === name &&
    Object.entries(labels).every(([key, value]) => sample.labels[key] === value)
  );
  return matches.length ? matches.reduce((sum, sample) => sum + sample.value, 0) : undefined;
}
