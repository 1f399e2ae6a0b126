#!/usr/bin/env bash
# Re-renders every committed example report from its results.json (no
# re-run); review what changed with `git diff reports/`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
for results in reports/*/*/results.json; do
    target/release/tuner report "$results" >/dev/null
done
git status --short reports/
