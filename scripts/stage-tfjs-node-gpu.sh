#!/usr/bin/env bash
# Packs @tensorflow/tfjs-node-gpu, as `bash scripts/setup-tfjs-node.sh --gpu` built it, for the offline GPU host
# (issue 13): one xz archive of a folder `tfgpu/` split into parts that each fit one device call beside the
# working tree, as .gpu/tfgpu-01/, .gpu/tfgpu-02/, ... On the host, scripts/remote-tfjs-node-gpu.sh joins them
# once all have arrived, unpacks them to /tmp/gpu/tfgpu and runs a command with NODE_PATH and LD_LIBRARY_PATH set,
# so the bundled runners' `require("@tensorflow/tfjs-node-gpu")` finds the package (docs/gpu-host.md).
#
#   bash scripts/stage-tfjs-node-gpu.sh [--full] [--arch 90] [--part-bytes N]
#   bash scripts/stage-tfjs-node-gpu.sh --from-archive FILE [--out DIR] [--part-bytes N]   # only split FILE (tests)
#
# What goes in (tfgpu/node_modules/@tensorflow/tfjs-node-gpu/):
#   - package.json, deps/SOURCE.json and the compiled addon lib/napi-v8/tfjs_binding.node;
#   - dist/index.js: the package's JavaScript and its dependencies (the @tensorflow/tfjs union, protobuf, ...)
#     bundled into one file by esbuild, with node-pre-gyp replaced by a lookup of ../lib/napi-v8/tfjs_binding.node;
#   - deps/lib/: libtensorflow_cc.so.2 and libtensorflow_framework.so.2 (symbol tables stripped), and the CUDA 12
#     libraries that TensorFlow 2.21 dlopens before it registers a GPU (tsl DsoLoader::TryDlopenCUDALibraries:
#     cudart, cublas, cublasLt, cufft, cusolver, cusparse, cudnn), with what those need in turn (cuDNN 9's
#     sub-libraries for convolutions, nvrtc for its runtime-compiled engines);
#   - every CUDA fat binary in them cut down to the host's GPU (sm_90: H100/H200) by scripts/prune-fatbins.py:
#     the other architectures' kernels are most of these libraries and compress badly.
# Without --full, cuFFT, cuSOLVER and cuSPARSE are empty stand-ins with their sonames: TensorFlow only checks that
# they open, and resolves their functions when an FFT, a linear-algebra solver or a sparse op runs, which
# TensorFlow.js' training never asks for; cuDNN's RNN/attention library (libcudnn_adv) is left out for the same
# reason. --full packs the real ones (pruned; cuFFT's fat binaries cannot be pruned, one container per
# architecture), about 6 more parts. MANIFEST.json in the archive lists what is real and what is a stand-in.
#
# The archive is kept in the cache ($XDG_CACHE_HOME or ~/.cache, cifar100-ssl/tfgpu-stage/) and rebuilt only when
# the set-up or what goes in changed; compressing took 27 minutes on 2 shared cores (xz -9, 2.2 GB in, 369 MB out).
set -euo pipefail
cd "$(dirname "$0")/.."

ARCH=90
FULL=0
# One device call carries at most 64 MiB (67.1 MB) with the working tree (about 7 MB) and .gpu/remote.sh.
PART_BYTES=55000000
# Bump when what goes into the archive changes (the cache key covers the inputs, not this script's text).
FORMAT=1
FROM_ARCHIVE=""
OUT=.gpu
while [ $# -gt 0 ]; do
  case "$1" in
    --full) FULL=1 ;;
    --arch) ARCH=$2; shift ;;
    --part-bytes) PART_BYTES=$2; shift ;;
    --from-archive) FROM_ARCHIVE=$2; shift ;;
    --out) OUT=$2; shift ;;
    -h | --help) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "stage-tfjs-node-gpu: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

fail() { echo "stage-tfjs-node-gpu: $*" >&2; exit 1; }
log() { echo "stage-tfjs-node-gpu: $*" >&2; }

variant="sm$ARCH-$([ "$FULL" = 1 ] && echo full || echo min)"
if [ -n "$FROM_ARCHIVE" ]; then
  [ -s "$FROM_ARCHIVE" ] || fail "$FROM_ARCHIVE is missing or empty"
  archive=$FROM_ARCHIVE variant=given
else
pkg_dir=node_modules/@tensorflow/tfjs-node-gpu
addon=$pkg_dir/lib/napi-v8/tfjs_binding.node
[ -f "$addon" ] && [ -f "$pkg_dir/deps/SOURCE.json" ] && [ -e "$pkg_dir/deps/lib/libcudart.so.12" ] ||
  fail "$pkg_dir has no GPU build: run \`bash scripts/setup-tfjs-node.sh --gpu\` first"
tf_lib=$(dirname "$(readlink -f "$pkg_dir/deps/lib/libtensorflow_cc.so.2")")
cuda_lib=$(dirname "$(readlink -f "$pkg_dir/deps/lib/libcudart.so.12")")
git check-ignore -q .gpu/tfgpu-01 || fail ".gpu/ is not ignored by git here"
for tool in xz tar sha256sum split strip gcc python3; do command -v $tool >/dev/null || fail "$tool is needed"; done

# The CUDA libraries: always, and only with --full (the rest are stand-ins or left out).
CUDA_LIBS=(libcudart.so.12 libcublas.so.12 libcublasLt.so.12
  libcudnn.so.9 libcudnn_graph.so.9 libcudnn_ops.so.9 libcudnn_cnn.so.9 libcudnn_heuristic.so.9
  libcudnn_engines_precompiled.so.9 libcudnn_engines_runtime_compiled.so.9
  libnvrtc.so.12 libnvrtc-builtins.so.12.5)
FULL_LIBS=(libcufft.so.11 libcusolver.so.11 libcusparse.so.12 libnvJitLink.so.12 libcudnn_adv.so.9)
STUBS=(libcufft.so.11 libcusolver.so.11 libcusparse.so.12)
if [ "$FULL" = 1 ]; then CUDA_LIBS+=("${FULL_LIBS[@]}"); STUBS=(); fi

cache="${XDG_CACHE_HOME:-$HOME/.cache}/cifar100-ssl/tfgpu-stage"
mkdir -p "$cache"
key=$( { cat "$pkg_dir/deps/SOURCE.json"; sha256sum "$addon" scripts/prune-fatbins.py; echo "format $FORMAT $variant ${CUDA_LIBS[*]} ${STUBS[*]}";
  for l in "${CUDA_LIBS[@]}"; do stat -c '%n %s %Y' "$cuda_lib/$l"; done; } | sha256sum | cut -c1-16)
archive="$cache/tfgpu-$variant-$key.tar.xz"

if [ ! -s "$archive" ]; then
  work="$cache/work"
  rm -rf "$work"
  tree="$work/tfgpu"
  p="$tree/node_modules/@tensorflow/tfjs-node-gpu"
  mkdir -p "$p/dist" "$p/lib/napi-v8" "$p/deps/lib"
  cp "$pkg_dir/package.json" "$p/package.json"
  cp "$pkg_dir/deps/SOURCE.json" "$p/deps/SOURCE.json"
  cp "$addon" "$p/lib/napi-v8/tfjs_binding.node"

  log "bundling the package's JavaScript (esbuild)"
  node - "$pkg_dir/dist/index.js" "$p/dist/index.js" <<'JS'
const esbuild = require("esbuild");
const [entry, outfile] = process.argv.slice(2);
// node-pre-gyp only finds the addon from package.json's "binary" field; on the host it sits at a fixed place.
const preGyp = {
  name: "node-pre-gyp-lookup",
  setup(build) {
    build.onResolve({ filter: /^@mapbox\/node-pre-gyp$/ }, () => ({ path: "node-pre-gyp", namespace: "shim" }));
    build.onLoad({ filter: /.*/, namespace: "shim" }, () => ({
      contents: `const path = require("path");
module.exports = { find: (packageJson) => path.join(path.dirname(packageJson), "lib", "napi-v8", "tfjs_binding.node") };`,
      loader: "js",
    }));
  },
};
esbuild.build({ entryPoints: [entry], outfile, bundle: true, platform: "node", target: "node20", format: "cjs",
  plugins: [preGyp], logLevel: "error" }).catch((e) => { console.error(e.message); process.exit(1); });
JS

  log "libtensorflow (stripped) and the CUDA libraries, fat binaries cut to sm_$ARCH"
  manifest="$work/manifest.jsonl"
  : >"$manifest"
  for l in libtensorflow_cc.so.2 libtensorflow_framework.so.2; do
    nice python3 scripts/prune-fatbins.py --arch "$ARCH" "$tf_lib/$l" "$work/$l" >>"$manifest"
    strip --strip-all -o "$p/deps/lib/$l" "$work/$l"
    rm "$work/$l"
  done
  for l in "${CUDA_LIBS[@]}"; do
    [ -f "$cuda_lib/$l" ] || fail "$cuda_lib/$l is missing (setup-tfjs-node.sh --gpu unpacks it from TensorFlow's CUDA wheels)"
    nice python3 scripts/prune-fatbins.py --arch "$ARCH" "$cuda_lib/$l" "$p/deps/lib/$l" >>"$manifest"
  done
  for l in "${STUBS[@]}"; do
    # An empty library under the real soname: it opens, and has none of the functions.
    gcc -shared -nostdlib -Wl,-soname,"$l" -o "$p/deps/lib/$l" -x c /dev/null
  done
  python3 - "$manifest" "$tree/MANIFEST.json" "$ARCH" "$FULL" "${STUBS[*]:-}" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
stubs = [s for s in sys.argv[5].split() if s]
json.dump({"arch": f"sm_{sys.argv[3]}", "full": sys.argv[4] == "1", "libraries": rows, "stand_ins": stubs,
           "left_out": [] if sys.argv[4] == "1" else ["libcudnn_adv.so.9", "libnvJitLink.so.12"]},
          open(sys.argv[2], "w"), indent=1)
PY
  du -sh "$tree" >&2
  log "compressing (xz -9 with the x86 filter, 2 threads; about 30 minutes on 2 shared cores)"
  tar -C "$work" --owner=0 --group=0 --sort=name -cf - tfgpu |
    nice xz -T2 --x86 --lzma2=preset=9 -c >"$archive.partial"
  mv "$archive.partial" "$archive"
  rm -rf "$work"
  # Older archives of other keys are no longer wanted.
  find "$cache" -maxdepth 1 -name 'tfgpu-*.tar.xz' ! -name "$(basename "$archive")" -delete
else
  log "reusing $archive"
fi
fi

# Split into parts, one folder each (.gpu/remote.sh copies every carried .gpu/<part>/ to /tmp/gpu/stage/).
rm -rf "$OUT"/tfgpu-[0-9][0-9] "$OUT/tfgpu-split"
mkdir -p "$OUT/tfgpu-split"
split -b "$PART_BYTES" -d -a 2 --numeric-suffixes=1 "$archive" "$OUT/tfgpu-split/tfgpu.tar.xz.part-"
parts=("$OUT"/tfgpu-split/tfgpu.tar.xz.part-*)
count=${#parts[@]}
[ "$count" -le 99 ] || fail "$count parts: more than two digits"
sums="$OUT/tfgpu-split/SHA256SUMS"
{
  echo "# tfgpu $variant parts $count archive $(basename "$archive") bytes $(stat -c %s "$archive")"
  (cd "$(dirname "$archive")" && sha256sum "$(basename "$archive")") | sed 's/  .*/  tfgpu.tar.xz/'
  (cd "$OUT/tfgpu-split" && sha256sum tfgpu.tar.xz.part-*)
} >"$sums"
for f in "${parts[@]}"; do
  n=${f##*part-}
  mkdir -p "$OUT/tfgpu-$n"
  mv "$f" "$OUT/tfgpu-$n/"
  cp "$sums" "$OUT/tfgpu-$n/SHA256SUMS"
done
rm -rf "$OUT/tfgpu-split"
echo "staged $count parts of at most $PART_BYTES bytes ($(stat -c %s "$archive") bytes in all, $variant):"
for d in "$OUT"/tfgpu-[0-9][0-9]; do echo "  $d  $(stat -c %s "$d"/tfgpu.tar.xz.part-*) bytes"; done
