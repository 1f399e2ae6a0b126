#!/usr/bin/env bash
# The change-point detector on simulated histories with the between-run
# noise of the committed real history (src/history/simulation.rs): the
# three steps of 200-run histories, nightly false alerts (the long,
# ignored simulation included) and the delay to find a step at the end.
# Release build: the nightly simulation checks ~9,000 growing series.
set -euo pipefail
cd "$(dirname "$0")/.."
nice -n 10 cargo test --release --lib history::simulation -- --include-ignored --nocapture --test-threads 1
