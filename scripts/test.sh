#!/usr/bin/env bash
# `npm test`: everything a change must pass. Installs what the tests need when it is missing (the
# Debian packages of scripts/debian-packages.txt, as root; the npm packages), then runs the type check,
# linter and formatter check, then every test (the integration tests start their own Kamailio and sipp
# phones on 127.0.0.1), and ends with one plain line "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-debian-packages.sh

if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund
fi

echo "== type check, lint, format"
npx tsc -p .
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --check .; exit 1; }

echo "== tests"
mkdir -p test-artifacts
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=test-artifacts/vitest.json || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync("test-artifacts/vitest.json", "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
'
exit "$status"
