#!/usr/bin/env bash
# Trains the full-profile experiments of Exercises 3-6 on the GPU host, several processes at once.
#
#   bash scripts/full-runs.sh SECONDS [LOG_DIR]      (node on PATH; RESULTS_DIR and CHECKPOINT_DIR set)
#   RUNNER="npx tsx scripts/experiments.ts" RUN_PROFILE=smoke bash scripts/full-runs.sh 600   (the same, here)
#   ONLY=ex6 bash scripts/full-runs.sh 555   (only the lines that mention ex6)
#   RUNNER="node .gpu/app/ablate-contrastive.cjs --epochs 8" JOB_LINES="jitter;colour" bash scripts/full-runs.sh 555
#
# Why at once: one TF.js process leaves the GPU idle between its kernel launches (about 0.2 ms of host work per
# launch, docs/perf-notes.md), so the GPU has room for other processes; the host has a core per process.
# Each line of JOBS runs in its own process, in order, every seed of its experiments (or, with "--replicate K" in
# the line, the K-th); experiments that share a pretraining stage share a line. A line starting with "@<id>/seed-<n>"
# needs that result (and the weights of that run) from another line: it waits for the result file instead of
# training it a second time (the one-class network's outliers, Exercise 1's network that students start from). Every process pauses (checkpointed) before SECONDS have
# passed; running the same command again resumes them. Results record DEVICE_SHARED_BY, since their wall time
# is that of a shared GPU.
set -u
budget=${1:?usage: full-runs.sh SECONDS [LOG_DIR]}
logs=${2:-/tmp/full-run-logs}
runner=${RUNNER:-node .gpu/app/experiments.cjs}
profile=${RUN_PROFILE:-full}
: "${RESULTS_DIR:?set RESULTS_DIR}" "${CHECKPOINT_DIR:?set CHECKPOINT_DIR}"

JOBS=(
  "ex5-oneclass ex5-selftrain-confidence-t0.5"
  "ex3-autoencoder-frozen ex3-autoencoder-finetuned"
  "ex4-joint"
  "ex6-contrastive-frozen ex6-contrastive-finetuned"
  "ex6-contrastive-joint"
  "@ex5-oneclass/seed-206 ex5-autoencoder-finetuned"
  "@ex5-oneclass/seed-206 ex5-joint"
  "@ex5-oneclass/seed-206 ex6-outliers-contrastive-finetuned"
  "@ex5-oneclass/seed-206 ex6-outliers-contrastive-joint"
)
# JOB_LINES="a b;c" replaces the lines above (for example the ablation variants of scripts/ablate-contrastive.ts).
if [ -n "${JOB_LINES:-}" ]; then IFS=';' read -r -a JOBS <<< "$JOB_LINES"; fi
if [ -n "${ONLY:-}" ]; then
  kept=(); for line in "${JOBS[@]}"; do [[ $line == *"$ONLY"* ]] && kept+=("$line"); done; JOBS=("${kept[@]}")
fi
export DEVICE_SHARED_BY=${#JOBS[@]}
deadline=$(($(date +%s) + budget))
mkdir -p "$logs"

run_group() {
  local n=$1 line=$2
  if [[ $line == @* ]]; then
    local needed=${line%% *}
    line=${line#* }
    local file="$RESULTS_DIR/$([ "$profile" = full ] || echo "$profile/")${needed#@}.json"
    until [ -e "$file" ]; do
      if [ "$(date +%s)" -ge $((deadline - 30)) ]; then echo "[$n] ${needed#@} not finished; $line not started"; return 0; fi
      sleep 5
    done
  fi
  local left=$((deadline - $(date +%s)))
  # shellcheck disable=SC2086
  $runner $line --profile "$profile" --time-budget "$left" 2>&1 | grep --line-buffered -v '^Warning' > "$logs/$n.log"
  echo "[$n] $line: $(grep -E 'test accuracy|paused' "$logs/$n.log" | tr '\n' ' ')"
}

for i in "${!JOBS[@]}"; do run_group "$i" "${JOBS[$i]}" & done
wait
