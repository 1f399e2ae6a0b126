#!/usr/bin/env bash
# The history's speed targets (reports/history/README.md): `tuner history
# add` of 1,000 runs in ≤ 10 s, and `check` over 100,000 process rows in
# ≤ 1 s. Makes one real run of configs/selfcheck.toml with 20 processes
# per point (5 points: 100 processes a run), writes 1,000 copies of it
# with their own run ids and values (a +2% step from copy 500 on, and
# noise, at every point but the reference), adds them in one command and
# times add, check and site.
#
# Usage: scripts/history-bench.sh [COPIES]   (KEEP=1 keeps the work folder)
set -euo pipefail
cd "$(dirname "$0")/.."
copies=${1:-1000}
nice -n 10 cargo build --release --quiet --bin tuner
target=${CARGO_TARGET_DIR:-target}
case $target in /*) ;; *) target=$PWD/$target ;; esac
tuner=$target/release/tuner
work=$(mktemp -d)
if [ -n "${KEEP:-}" ]; then echo "work folder: $work"; else trap 'rm -rf "$work"' EXIT; fi
sed -e 's/^processes = .*/processes = 20/' -e "s|^\[measure\]|[report]\ndir = \"$work/reports\"\n\n[measure]|" \
    configs/selfcheck.toml >"$work/selfcheck.toml"
"$tuner" run "$work/selfcheck.toml" --quiet >/dev/null
python3 - "$work" "$copies" <<'PY'
import json, glob, os, random, sys
work, copies = sys.argv[1], int(sys.argv[2])
src = glob.glob(f"{work}/reports/selfcheck/*/results.json")[0]
base = json.load(open(src))
rng = random.Random(1)
for k in range(copies):
    r = json.loads(json.dumps(base))
    r["run_id"] = f"bench-{k:04d}"
    r["environment"]["date"] = f"2026-01-01T00:{k // 60 % 60:02d}:{k % 60:02d}Z"
    step = 1.02 if k >= copies // 2 else 1.0
    factors = [1.0] + [step * (1 + rng.gauss(0, 0.005)) for _ in r["points"][1:]]
    for run in r["runs"]:
        if run["outcome"]["status"] == "ok":
            for s in run["outcome"]["samples"]:
                s["ns"] = int(s["ns"] * factors[run["point"]])
    d = f"{work}/copies/{k:04d}"
    os.makedirs(d)
    json.dump(r, open(f"{d}/results.json", "w"))
PY
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
TIMEFORMAT='%R s'
echo "== tuner history add of $copies runs"
time "$tuner" history add "$work"/copies/* --db "$work/bench.sqlite" --commit bench --cargo-lock Cargo.lock | tail -1
sqlite3 "$work/bench.sqlite" "SELECT COUNT(*) || ' runs, ' || (SELECT COUNT(*) FROM processes) || ' process rows' FROM runs" 2>/dev/null || true
echo "$(stat -c %s "$work/bench.sqlite") bytes"
echo "== tuner history check"
time "$tuner" history check --db "$work/bench.sqlite" | head -3
echo "== tuner history site"
time "$tuner" history site --db "$work/bench.sqlite" -o "$work/site"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
