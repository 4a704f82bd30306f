#!/usr/bin/env bash
# One call on the GPU host (docs/gpu-host.md): runs the lines of .gpu/job-lines through scripts/full-runs.sh, starting
# them or resuming them from their checkpoints, and sends back the results, the logs and the unfinished runs'
# checkpoints.
#
#   bash .gpu/remote.sh bash scripts/gpu-batch.sh      (CALL_BUDGET: seconds of training, CALL_LIMIT: hard stop)
#
# Why the checkpoints travel: /tmp on the host lasts only while the host is held, and a host was given back between
# two calls that followed each other (2026-12-03), losing three FixMatch runs at epoch 20 of 30. Every call now
# returns one ckpt-N.tgz per unfinished run (the lent tool brings back at most 8 files of 16 MiB; one run's
# checkpoint is about 13 MB). On a fresh host, carry them in as .gpu/ckpt/ in a staging call (remote.sh keeps them
# in /tmp/gpu/stage/ckpt) and this script restores them before the runs resume.
set -u
results=${RESULTS_DIR:-/tmp/results} ckpt=${CHECKPOINT_DIR:-/tmp/ckpt} stage=${STAGE_DIR:-/tmp/gpu/stage}
logs=${LOG_DIR:-/tmp/logs} out=${OUT:?OUT is the folder whose files come back}
export RESULTS_DIR=$results CHECKPOINT_DIR=$ckpt
# The results so far (.gpu/state/state.tgz, rebuilt here from the committed and returned results before the call).
[ -e "$results" ] || { mkdir -p "$results" && tar xzf .gpu/state/state.tgz -C "$results" --strip-components=1; }
if [ ! -e "$ckpt" ] && compgen -G "$stage/ckpt/ckpt-*.tgz" >/dev/null; then
  mkdir -p "$ckpt"
  for f in "$stage"/ckpt/ckpt-*.tgz; do tar xzf "$f" -C "$ckpt"; echo "restored $(tar tzf "$f" | head -1)"; done
fi
mkdir -p "$logs"
(while true; do echo "$(date +%s) $(nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader 2>/dev/null)" >> "$logs/util.txt"; sleep 15; done) >/dev/null 2>&1 &
sampler=$!
JOB_LINES="$(cat .gpu/job-lines)" timeout "${CALL_LIMIT:-585}" bash scripts/full-runs.sh "${CALL_BUDGET:-555}" "$logs"
kill $sampler
tar czf "$out/results.tgz" -C "$(dirname "$results")" "$(basename "$results")" -C "$(dirname "$logs")" "$(basename "$logs")"
# Unfinished runs: a checkpoint folder full/<id>/seed-<n> without its result file.
n=0
for dir in "$ckpt"/full/*/seed-*; do
  [ -d "$dir" ] || continue
  id=$(basename "$(dirname "$dir")") seed=$(basename "$dir")
  [ -e "$results/$id/$seed.json" ] && continue
  n=$((n + 1)); tar czf "$out/ckpt-$n.tgz" -C "$ckpt" "full/$id/$seed"
  echo "checkpoint of unfinished $id $seed: ckpt-$n.tgz ($(du -h "$out/ckpt-$n.tgz" | cut -f1))"
done
[ "$n" -le 7 ] || echo "warning: $n unfinished runs, but only 7 checkpoint files come back per call: run fewer lines at once" >&2
