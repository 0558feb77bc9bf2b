#!/usr/bin/env bash
# `npm run test:stress`: the whole of `npm test` with `stress-ng --cpu 2` loading the machine beside it,
# as a busy Pi or a shared CI machine would: every test must wait for events, not times, and reserve
# every port it uses. stress-ng is stopped by its PID whatever the outcome.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-debian-packages.sh
stress-ng --cpu 2 --quiet &
load=$!
trap 'kill "$load" 2>/dev/null || true; wait "$load" 2>/dev/null || true' EXIT
status=0
# Tests that load the machine themselves (the Asterisk presses under load) take this load as theirs.
LAMPFIELD_LOADED='stress-ng --cpu 2' bash scripts/test.sh || status=$?
exit "$status"
