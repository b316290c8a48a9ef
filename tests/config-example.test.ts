import { assert, assertEquals } from "./helpers/assert.ts";
import { CONFIG_SPEC } from "../src/config/schema.ts";
import { validateYaml } from "../src/config/validate.ts";
import { runSubgate, withTempHome } from "./helpers/subgate-process.ts";

const example = await Deno.readTextFile(new URL("../config.example.yaml", import.meta.url));

/** The example with its commented-out entries switched on. */
function uncommented(text: string): string {
  return text.split("\n").map((line) => line.replace(/^#(\s{2,}\S)/, "$1"))
    .map((line) => line.replace(/^(\w[\w-]*): (\[\]|\{\})$/, "$1:")).join("\n");
}

Deno.test("config.example.yaml loads as it is", () =>
  withTempHome(async (home) => {
    await Deno.writeTextFile(`${home}/example.yaml`, example);
    const result = await runSubgate(["accounts", "--config", `${home}/example.yaml`], { home });
    assertEquals(result.code, 0, result.stderr);
    assertEquals(result.stderr, "");
  }));

Deno.test("config.example.yaml documents every key, and its commented examples are valid", () => {
  if (CONFIG_SPEC.kind !== "object") throw new Error("top level is an object");
  for (const key of Object.keys(CONFIG_SPEC.fields)) {
    assert(new RegExp(`^${key}:`, "m").test(example), `config.example.yaml lacks ${key}`);
  }
  const full = uncommented(example);
  const { problems, warnings } = validateYaml(full, CONFIG_SPEC);
  assertEquals(problems, []);
  assertEquals(warnings, []);
  for (
    const field of ["authorize-url", "token-url", "device-url", "client-id", "excluded-models"]
  ) {
    assert(full.includes(`${field}:`), `the example shows ${field}`);
  }
});
