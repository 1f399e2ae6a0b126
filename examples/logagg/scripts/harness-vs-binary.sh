#!/usr/bin/env bash
# Runs configs/mergesort-v3.toml through this crate's cargo-bench harness
# and through the tuner binary, alternately (A B B A ...), then compares
# each harness run with the binary run next to it: `tuner compare` gives
# the change in time per operation with its interval and a verdict. Last,
# the medians over every process of each binary, wall and CPU time per
# operation (CPU time is the steadier of the two on a busy machine).
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

echo "== every process pooled: median per operation (harness / binary)"
for kind in binary harness; do
  for dir in "$out/$kind"-*/mergesort-v3/*/; do
    "$tuner" export "$dir/results.json" --format csv | sed "1!s/^/$kind,/;1s/^/binary,/"
  done
done | python3 -c '
import csv, statistics, sys
rows = [r for r in csv.DictReader(sys.stdin) if r["run_id"] != "run_id"]
def med(kind, threads, col):
    return statistics.median(float(r[col]) for r in rows
                             if r["binary"] == kind and r["threads"] == threads and r["status"] == "ok")
for threads in sorted({r["threads"] for r in rows}):
    for col, name in (("ns_per_op", "time"), ("cpu_ns_per_op", "CPU")):
        h, b = med("harness", threads, col), med("binary", threads, col)
        print(f"threads={threads} {name}/op: harness {h/1e6:.1f} ms, binary {b/1e6:.1f} ms, ratio {h/b:.3f}")
'
