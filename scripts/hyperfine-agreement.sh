#!/bin/sh
# tuner against hyperfine on the same command and machine, back to back:
# for a ~6 ms and a ~200 ms run of examples/commands/c-churn, hyperfine
# (no shell, -N) and tuner (a [command] config, one timed execution per
# process) take turns in ABBA order, RUNS timings each per turn, and the
# medians of all timings per tool are compared: once as they run, once
# with both pinned to one CPU (taskset), which takes the scheduler's
# placement of fresh processes out of the comparison. Writes the tables
# to reports/commands/hyperfine.md (or $OUT).
#
# Needs: cc, hyperfine (Debian: `apt-get install gcc hyperfine`) and a
# release build of tuner (`cargo build --release`, or TUNER=<binary>).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
tuner=${TUNER:-$root/target/release/tuner}
runs=${RUNS:-30}
out=${OUT:-$root/reports/commands/hyperfine.md}
dir=$root/examples/commands/c-churn
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

cc -O2 -pthread -o "$dir/churn" "$dir/churn.c"

# The timings of a hyperfine JSON export, in ns, one per line.
hyperfine_ns() {
    tr -d ' \n' <"$1" | sed 's/.*"times":\[\([^]]*\)\].*/\1/' | tr ',' '\n' |
        awk '{ printf "%.0f\n", $1 * 1e9 }'
}

# The per-process ns/op of a tuner run folder, one per line.
tuner_ns() {
    "$tuner" export --format csv "$1/results.json" |
        awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "ns_per_op") c = i; next } { print $c }'
}

median() {
    sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

ms() { awk -v ns="$1" 'BEGIN { printf "%.3f ms", ns / 1e6 }'; }

hyperfine_turn() { # label rounds turn
    (cd "$dir" && $pin hyperfine -N --style none --warmup 3 --runs "$runs" \
        --export-json "$work/$1-h$3.json" "./churn 1 $2 1000" >/dev/null)
    hyperfine_ns "$work/$1-h$3.json" >>"$work/$1-hyperfine.ns"
}

tuner_turn() { # label rounds turn
    cat >"$work/$1-$3.toml" <<EOF
[experiment]
name = "$1-$3"
[command]
argv = ["./churn", "1", "$2", "1000"]
cwd = "$dir"
warmup = 1
[measure]
processes = $runs
[report]
dir = "$work/reports"
EOF
    $pin "$tuner" run "$work/$1-$3.toml" --quiet >/dev/null
    tuner_ns "$work/reports/$1-$3"/* >>"$work/$1-tuner.ns"
}

{
    echo "# tuner and hyperfine on the same commands"
    echo
    echo "Made by \`scripts/hyperfine-agreement.sh\` on $(date -u +%Y-%m-%dT%H:%M:%SZ):"
    echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') ($(nproc) logical CPUs),"
    echo "$(hyperfine --version), tuner $("$tuner" --version | cut -d' ' -f2)."
    echo "Each tool timed each command $((2 * runs)) times in turns (hyperfine, tuner, tuner, hyperfine;"
    echo "hyperfine \`-N --warmup 3 --runs $runs\`, tuner one timed execution per process after one untimed)."
} >"$work/table.md"

# One table: both tools as they run ($pin empty), or pinned.
table() { # title
    {
        printf '\n## %s\n\nLoad average before: %s.\n\n' "$1" "$(cut -d' ' -f1-3 /proc/loadavg)"
        echo "| command | hyperfine median | tuner median | tuner − hyperfine |"
        echo "|---|--:|--:|--:|"
    } >>"$work/table.md"
    for spec in "6ms:150000" "200ms:6000000"; do
        label=${spec%%:*}
        rounds=${spec#*:}
        rm -f "$work/$label-hyperfine.ns" "$work/$label-tuner.ns"
        rm -rf "$work/reports"
        hyperfine_turn "$label" "$rounds" 1
        tuner_turn "$label" "$rounds" 1
        tuner_turn "$label" "$rounds" 2
        hyperfine_turn "$label" "$rounds" 2
        h=$(median <"$work/$label-hyperfine.ns")
        t=$(median <"$work/$label-tuner.ns")
        diff=$(awk -v h="$h" -v t="$t" 'BEGIN { printf "%+.1f%%", (t - h) / h * 100 }')
        echo "| \`churn 1 $rounds 1000\` | $(ms "$h") | $(ms "$t") | $diff |" >>"$work/table.md"
    done
}

pin=""
table "As they run"
cpu=${PIN_CPU-1} # PIN_CPU= (empty) leaves the pinned table out
if [ -n "$cpu" ]; then
    pin="taskset -c $cpu"
    table "Both pinned to CPU $cpu"
    cat >>"$work/table.md" <<'EOF'

Pinned, both tools share one CPU with whatever else runs there. Unpinned,
hyperfine's loop keeps a CPU busy, so the scheduler moves other busy
processes off it, while tuner starts fresh processes for every timing,
which the scheduler may place beside another busy process: on a loaded
machine that adds a scheduler slice or more to short commands.
EOF
fi
printf '\nLoad average at the end: %s.\n' "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$work/table.md"

mkdir -p "$(dirname "$out")"
cp "$work/table.md" "$out"
cat "$out"
