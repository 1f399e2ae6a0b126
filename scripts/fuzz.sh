#!/usr/bin/env bash
# Fuzzes tuner's two readers of untrusted input with cargo-fuzz (libFuzzer):
# `config` (any UTF-8 text through config validation and the dry run) and
# `results` (any bytes as results.json and as a journal, then report,
# export and compare on whatever loads). Each target runs SECONDS (default
# 60), seeded with the shipped configs and tests/corpus; a panic, a hang
# over 10 s or more than 2 GiB of memory is a failure, saved under
# fuzz/artifacts/<target>/ (replay: cargo +nightly fuzz run <target> <file>).
#
#     scripts/fuzz.sh [SECONDS]
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
# Built without a sanitizer (FUZZ_SANITIZER=address to add one): the code
# under test is safe Rust, where the findings are panics, hangs and memory
# blow-ups, and ASan would halve the executions per second. Debug
# assertions are on, so integer overflow panics as it does in debug builds.
set -uo pipefail

seconds=${1:-60}
sanitizer=${FUZZ_SANITIZER:-none}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root/fuzz" || exit 2

if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: needs cargo-fuzz on nightly: rustup toolchain install nightly && cargo install cargo-fuzz" >&2
    exit 2
fi

mkdir -p corpus/config corpus/results
cp -n "$root"/configs/*.toml "$root"/configs/compare/*.toml "$root"/configs/commands/*.toml "$root"/configs/gate/*.toml "$root"/tests/corpus/configs/* corpus/config/
cp -n "$root"/tests/corpus/results/* corpus/results/

status=0
for target in config results; do
    echo "== fuzzing $target for ${seconds}s"
    nice -n 10 cargo +nightly fuzz run --sanitizer "$sanitizer" --debug-assertions "$target" \
        "corpus/$target" -- \
        -dict="$target.dict" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 || status=1
done
if [ "$status" -ne 0 ]; then
    echo "fuzz.sh: a target failed; see fuzz/artifacts/" >&2
fi
exit "$status"
