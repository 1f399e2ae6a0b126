#!/bin/bash
# A tuner run split across a Slurm job array, then merged.
#
#     CONFIG=$PWD/configs/mergesort.toml TUNER=$PWD/target/release/tuner sbatch deploy/slurm/tuner-array.sh
#
# Each array task runs `tuner run "$CONFIG" --shard auto`: the shard's
# index and count come from SLURM_ARRAY_TASK_ID (less _MIN, over _STEP)
# and SLURM_ARRAY_TASK_COUNT, so resizing the array is all it takes. The
# machine is the node (host name and hashed /etc/machine-id), so shards
# that share a node are compared as one machine. The array's first task
# submits the merge, which starts when every task has ended, however
# (afterany): missing shards are named in its report.
#
# Every array job works in a folder of its own, runs/<array job id>/, so
# shards of different runs never mix.
#SBATCH --job-name=tuner-shards
#SBATCH --array=0-5
#SBATCH --cpus-per-task=2
#SBATCH --exclusive
#SBATCH --time=02:00:00
#SBATCH --output=tuner-%A_%a.out
set -euo pipefail

: "${CONFIG:?set CONFIG to the absolute path of a tuner config}"
TUNER=${TUNER:-tuner}
RUN_DIR=${RUN_DIR:-$PWD/runs/$SLURM_ARRAY_JOB_ID}

mkdir -p "$RUN_DIR"
if [ "$SLURM_ARRAY_TASK_ID" = "${SLURM_ARRAY_TASK_MIN:-0}" ]; then
    sbatch --dependency="afterany:$SLURM_ARRAY_JOB_ID" --job-name=tuner-merge \
        --output="$RUN_DIR/merge.out" \
        --wrap="cd '$RUN_DIR' && '$TUNER' merge reports/*/*-shard-* -o merged"
fi
cd "$RUN_DIR"
exec "$TUNER" run "$CONFIG" --shard auto
