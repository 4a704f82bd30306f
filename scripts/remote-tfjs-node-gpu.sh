#!/usr/bin/env bash
# Runs ON the GPU host (issue 13), after .gpu/remote.sh: `bash .gpu/remote.sh bash scripts/remote-tfjs-node-gpu.sh [CMD...]`.
# .gpu/remote.sh has copied every carried .gpu/tfgpu-NN/ part (made by scripts/stage-tfjs-node-gpu.sh) into
# /tmp/gpu/stage/. Once all parts named in their SHA256SUMS are there, this joins and checks them, unpacks the
# archive to /tmp/gpu/tfgpu (once; /tmp lasts while the host stays up) and deletes the parts; then it runs CMD with
#   NODE_PATH=/tmp/gpu/tfgpu/node_modules        (the bundled runners' require("@tensorflow/tfjs-node-gpu"))
#   LD_LIBRARY_PATH=<package>/deps/lib:...        (libtensorflow and the CUDA 12 libraries TensorFlow dlopens)
#   TF_FORCE_GPU_ALLOW_GROWTH=true                 (GPU memory taken as needed, not all at the start)
# Without CMD it only reports; with CMD `check` it runs scripts/tfjs-node-gpu-check.cjs (GPU found? conv2d and
# matMul on the GPU agree with the cpu backend? a timing). While parts are missing it names them and, with a CMD,
# exits 3 without running it (without one, 0: a staging call that carries one part is no failure).
#   TFGPU_STAGE (default /tmp/gpu/stage) and TFGPU_ROOT (default /tmp/gpu) move the folders (tests use them).
set -euo pipefail
stage=${TFGPU_STAGE:-/tmp/gpu/stage}
root=${TFGPU_ROOT:-/tmp/gpu}
dest="$root/tfgpu"
say() { echo "tfgpu: $*" >&2; }

if [ ! -e "$dest/.ready" ]; then
  sums=$(ls "$stage"/tfgpu-[0-9][0-9]/SHA256SUMS 2>/dev/null | head -n 1 || true)
  if [ -z "$sums" ]; then
    say "NOT YET: no tfgpu part has arrived (carry .gpu/tfgpu-01 ... with .gpu/remote.sh)"
    exit $(($# > 0 ? 3 : 0))
  fi
  header=$(head -n 1 "$sums")
  count=$(echo "$header" | sed -n 's/.* parts \([0-9]*\) .*/\1/p')
  missing="" have=0
  for n in $(printf '%02d ' $(seq 1 "$count")); do
    if [ -s "$stage/tfgpu-$n/tfgpu.tar.xz.part-$n" ]; then have=$((have + 1)); else missing="$missing tfgpu-$n"; fi
  done
  if [ -n "$missing" ]; then
    say "NOT YET: $have of $count parts here, still missing:$missing"
    exit $(($# > 0 ? 3 : 0))
  fi
  # Every part carries the same SHA256SUMS; parts of another staging (other archive) must not be mixed in.
  for n in $(printf '%02d ' $(seq 1 "$count")); do
    if ! cmp -s "$sums" "$stage/tfgpu-$n/SHA256SUMS"; then
      say "part tfgpu-$n belongs to another staging ($(head -n 1 "$stage/tfgpu-$n/SHA256SUMS")), not to: $header"
      exit 4
    fi
  done
  say "all $count parts here; checking and unpacking to $dest"
  (
    cd "$stage"
    grep ' tfgpu.tar.xz.part-' "$sums" | while read -r sum name; do
      n=${name##*part-}
      echo "$sum  tfgpu-$n/$name"
    done | sha256sum --check --quiet -
  ) || { say "a part is damaged (sha256 differs): stage it again"; exit 4; }
  whole=$(grep ' tfgpu.tar.xz$' "$sums" | cut -d' ' -f1)
  rm -rf "$dest" "$root/tfgpu.partial" "$root/tfgpu.tar.xz"
  mkdir -p "$root/tfgpu.partial"
  for n in $(printf '%02d ' $(seq 1 "$count")); do cat "$stage/tfgpu-$n/tfgpu.tar.xz.part-$n"; done >"$root/tfgpu.tar.xz"
  got=$(sha256sum "$root/tfgpu.tar.xz" | cut -d' ' -f1)
  [ "$got" = "$whole" ] || { say "the joined archive's sha256 $got differs from $whole"; exit 4; }
  xz -dc -T0 "$root/tfgpu.tar.xz" | tar -x -C "$root/tfgpu.partial"
  rm -rf "$root/tfgpu.tar.xz" "$stage"/tfgpu-[0-9][0-9]
  mv "$root/tfgpu.partial/tfgpu" "$dest"
  rmdir "$root/tfgpu.partial"
  touch "$dest/.ready"
  say "unpacked ($(du -sh "$dest" | cut -f1)); parts removed from $stage"
fi

lib="$dest/node_modules/@tensorflow/tfjs-node-gpu/deps/lib"
export NODE_PATH="$dest/node_modules${NODE_PATH:+:$NODE_PATH}"
export LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# TensorFlow would otherwise take almost all GPU memory at its start, leaving none to a WebGPU process beside it.
export TF_FORCE_GPU_ALLOW_GROWTH="${TF_FORCE_GPU_ALLOW_GROWTH:-true}"
say "ready: NODE_PATH=$NODE_PATH LD_LIBRARY_PATH=$LD_LIBRARY_PATH ($(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["arch"], "full" if m["full"] else "stand-ins: " + " ".join(m["stand_ins"]))' "$dest/MANIFEST.json" 2>/dev/null || echo 'no MANIFEST.json'))"
[ $# -gt 0 ] || exit 0
if [ "$1" = check ]; then
  shift
  exec node "$(dirname "$0")/tfjs-node-gpu-check.cjs" "$@"
fi
exec "$@"
