#!/usr/bin/env bash
# Runs configs/mergesort-v3.toml through this crate's cargo-bench harness
# and through the tuner binary, alternately (A B B A ...), then compares
# each harness run with the binary run next to it: `tuner compare` gives
# the change in time per operation with its interval and a verdict.
#
#     examples/logagg/scripts/harness-vs-binary.sh [pairs]   # default 2
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
root="$(cd "$here/../.." && pwd)"
pairs="${1:-2}"

cargo build --release --manifest-path "$root/Cargo.toml" -p tuner
harness="$(cd "$here" && cargo bench --bench tune --no-run --message-format=json 2>/dev/null |
  sed -n 's/.*"executable":"\([^"]*\/deps\/tune-[^"]*\)".*/\1/p' | tail -1)"
tuner="$root/target/release/tuner"
out="$(mktemp -d)"
echo "harness: $harness"
echo "binary:  $tuner"
echo "runs in: $out"

run() { # run <binary> <label> <n>
  local dir="$out/$2-$3"
  mkdir -p "$dir"
  sed "s|^dir = .*|dir = \"$dir\"|" "$here/configs/mergesort-v3.toml" >"$dir/config.toml"
  CI=true "$1" run "$dir/config.toml" --quiet >/dev/null
  ls -d "$dir"/mergesort-v3/*/ | head -1
}

for i in $(seq 1 "$pairs"); do
  if ((i % 2)); then
    b="$(run "$tuner" binary "$i")"; h="$(run "$harness" harness "$i")"
  else
    h="$(run "$harness" harness "$i")"; b="$(run "$tuner" binary "$i")"
  fi
  echo "== pair $i: harness against binary"
  "$tuner" compare "$b/results.json" "$h/results.json"
done
