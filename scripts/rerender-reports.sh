#!/usr/bin/env bash
# Re-renders every committed example report from its results.json (no
# re-run), tuner's own and the logagg example's; review what changed with
# `git diff`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
find reports examples/logagg/reports -name results.json -print0 |
    while IFS= read -r -d '' results; do
        target/release/tuner report "$results" >/dev/null
    done
git status --short reports/ examples/logagg/reports/
