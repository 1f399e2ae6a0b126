#!/usr/bin/env bash
# A scripted neighbour for interference checks: busy loops that take CPU
# from whatever else runs, until killed or for a given time.
#
#   scripts/neighbour.sh all [SECONDS]   a loop per CPU this shell may use
#   scripts/neighbour.sh one [SECONDS]   a single loop (one CPU's worth)
#   scripts/neighbour.sh N   [SECONDS]   N loops
#
# Without SECONDS it runs until SIGTERM or SIGINT; either way its loops
# end with it. Each loop names itself `neighbour` (/proc/self/comm), which
# is how examples/machine_probe.rs tells the neighbour's CPU time from
# everyone else's.
set -euo pipefail

usage() {
  echo "usage: $0 all|one|N [SECONDS]" >&2
  exit 2
}

case "${1:-}" in
  all) loops=$(nproc) ;;
  one) loops=1 ;;
  '' | *[!0-9]*) usage ;;
  *) loops=$1 ;;
esac
seconds=${2:-}
if [[ -n $seconds && ! $seconds =~ ^[0-9]+([.][0-9]+)?$ ]]; then
  usage
fi

pids=()
stop() {
  if ((${#pids[@]})); then
    kill "${pids[@]}" 2>/dev/null || true
  fi
}
trap stop EXIT
trap 'exit 0' TERM INT

for ((i = 0; i < loops; i++)); do
  (
    printf neighbour >/proc/self/comm 2>/dev/null || true
    while :; do :; done
  ) &
  pids+=($!)
done
echo "neighbour: $loops busy loop(s), pids ${pids[*]}" >&2
if [[ -n $seconds ]]; then
  sleep "$seconds"
else
  wait
fi
