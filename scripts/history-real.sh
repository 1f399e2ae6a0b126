#!/usr/bin/env bash
# The real history example (reports/history/README.md): two histories of
# 20 runs each of reports/history/real/history-spin.toml, measured
# interleaved on this machine, each run added with a scripted first-parent
# chain of commits:
#
#   with-change.sqlite  runs 1–11 by this checkout's tuner; runs 12–20 by
#                       a build whose spin loop does 3% more steps at the
#                       point under change (buffering=line): a known +3%
#                       code change at "commit" 12
#   no-change.sqlite    20 runs by this checkout's tuner
#
# then checks both, writes both sites and trims the run folders to their
# reports. The changed build is made by patching experiments/src/selfcheck.rs
# for one `cargo build` and restoring it (a trap restores it on any exit).
#
# Usage: scripts/history-real.sh [RUNS_PER_HISTORY] [CHANGE_AT]
# Takes about 10 minutes on 2 cores (two release builds of the tuner
# crate, 40 runs of about 8 s).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
runs=${1:-20}
change_at=${2:-12}
out=reports/history/real
work=$(mktemp -d)
selfcheck=experiments/src/selfcheck.rs
cp "$selfcheck" "$work/selfcheck.rs.orig"
trap 'cp "$work/selfcheck.rs.orig" "$root/$selfcheck"; rm -rf "$work"' EXIT

echo "== building this checkout's tuner, then the changed one"
nice -n 10 cargo build --release --quiet --bin tuner
target=${CARGO_TARGET_DIR:-target}
cp "$target/release/tuner" "$work/tuner-base"
python3 - "$selfcheck" <<'EOF'
import sys
path = sys.argv[1]
text = open(path).read()
old_ctx = "        _ctx: &Context,\n    ) -> Result<Box<dyn Workload>, String> {"
old_steps = '            steps: params.int("steps") as u64,'
assert old_ctx in text and old_steps in text, "selfcheck.rs changed: update the patch"
text = text.replace(old_ctx, "        ctx: &Context,\n    ) -> Result<Box<dyn Workload>, String> {")
text = text.replace(old_steps, '''            steps: if matches!(ctx.buffering, tuner_api::Buffering::Line) {
                params.int("steps") as u64 * 103 / 100
            } else {
                params.int("steps") as u64
            },''')
open(path, "w").write(text)
EOF
nice -n 10 cargo build --release --quiet --bin tuner
cp "$target/release/tuner" "$work/tuner-changed"
cp "$work/selfcheck.rs.orig" "$selfcheck"

rm -rf "$out/runs" "$out/with-change.sqlite" "$out/no-change.sqlite" "$out/site-with-change" "$out/site-no-change"
cd "$out"
# A fake first-parent chain: commit i's parent is commit i-1.
commit() { printf '%s-%02d' "$1" "$2" | sha1sum | cut -c1-12; }
echo "== $runs runs per history, the change from run $change_at on; load: $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq 1 "$runs"); do
    for history in with-change no-change; do
        exe=$work/tuner-base
        message="run $i: nothing changed"
        if [ "$history" = with-change ] && [ "$i" -ge "$change_at" ]; then
            exe=$work/tuner-changed
            message="run $i: the spin loop at buffering=line does 3% more steps"
            [ "$i" -eq "$change_at" ] && message="run $i: make the spin loop at buffering=line do 3% more steps <b>(the change)</b>"
        fi
        "$exe" run history-spin.toml --quiet >"$work/run.log"
        dir=$(sed -n 's/^report: \(.*\)\/report.md$/\1/p' "$work/run.log")
        "$work/tuner-base" history add "$dir" --db "$history.sqlite" \
            --commit "$(commit "$history" "$i")" --parent "$(commit "$history" $((i - 1)))" \
            --message "$message" --cargo-lock "$root/Cargo.lock" >/dev/null
        # The database holds the raw values: keep only what the site links.
        rm -f "$dir/results.json" "$dir/journal.jsonl"
    done
    echo "run $i of $runs done; load: $(cut -d' ' -f1-3 /proc/loadavg)"
done
# Checked on CPU time per operation: the spin loop is one busy thread, and
# on a machine shared with other builds its wall time is mostly waiting.
# The wall-time check is printed too.
for history in with-change no-change; do
    echo "== tuner history check --db $out/$history.sqlite --metric cpu"
    "$work/tuner-base" history check --db "$history.sqlite" --metric cpu --output "check-$history.md" | tee "check-$history.txt"
    echo "== tuner history check --db $out/$history.sqlite (wall time)"
    "$work/tuner-base" history check --db "$history.sqlite" | tee "check-$history-wall.txt"
    "$work/tuner-base" history site --db "$history.sqlite" --metric cpu -o "site-$history" >/dev/null
done
ls -l ./*.sqlite
