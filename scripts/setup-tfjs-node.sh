#!/usr/bin/env bash
# Makes @tensorflow/tfjs-node a working backend without its install script, which would download libtensorflow and a
# prebuilt addon from a host outside the package registries (unreachable here, so npm never runs it: see .npmrc).
# Instead:
#   1. libtensorflow comes from PyPI's TensorFlow wheel (pinned version and sha256, checked by pip --require-hashes
#      and again here): its libtensorflow_cc.so.2 exports TensorFlow's C API, libtensorflow_framework.so.2 the rest,
#      and the wheel carries the C headers;
#   2. the addon (tfjs_binding.node, N-API 8) is compiled from the package's own sources against them with node-gyp
#      (npm's own copy) and the headers of the installed Node (--nodedir, so nothing is downloaded);
#   3. both are kept in a cache ($XDG_CACHE_HOME or ~/.cache, then cifar100-ssl/tfjs-node/<key>/), so a second run,
#      for example after every `npm ci` (which empties node_modules), only links them into
#      node_modules/@tensorflow/<package>/deps/lib and copies the addon (about a second).
# Then `require('@tensorflow/tfjs-node')` works and lib/backend.ts picks it where no CUDA GPU is usable.
#
#   bash scripts/setup-tfjs-node.sh          # CPU: tensorflow-cpu wheel -> @tensorflow/tfjs-node
#   bash scripts/setup-tfjs-node.sh --gpu    # CUDA: tensorflow wheel + its CUDA 12 wheels -> @tensorflow/tfjs-node-gpu
#
# Needs: node_modules from `npm ci` (the JavaScript of the package, installed with scripts off), python3 with pip,
# g++ and make (scripts/install-system-deps.sh installs them), about 1.7 GB of disk for the cache (4 GB with --gpu).
set -euo pipefail
cd "$(dirname "$0")/.."

TFJS_NODE_VERSION=4.22.0
TF_VERSION=2.21.0
NAPI_VERSION=8 # the highest N-API version tfjs-node's addon is built for; Node 20 provides 9
WHEEL_TAGS=(--python-version 3.11 --implementation cp --abi cp311 --platform manylinux_2_27_x86_64)
# sha256 of the wheels on PyPI (see https://pypi.org/project/tensorflow-cpu/2.21.0/#files).
CPU_WHEEL=tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl
CPU_WHEEL_SHA256=2b847d217b02ee7731ed91431daf3250daa0196c3c94614d23be27232e6e5b6c
GPU_WHEEL=tensorflow-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl
GPU_WHEEL_SHA256=9056fbc9ba04235810b71ae6cbd958a196e8804fb53bbcffbf3e23b56155f124

variant=cpu
for arg in "$@"; do
  case "$arg" in
    --gpu) variant=gpu ;;
    -h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup-tfjs-node: unknown argument $arg (use --gpu or nothing)" >&2; exit 2 ;;
  esac
done
if [ "$variant" = cpu ]; then
  pkg=@tensorflow/tfjs-node; pypi_name=tensorflow-cpu; wheel=$CPU_WHEEL; wheel_sha256=$CPU_WHEEL_SHA256
else
  pkg=@tensorflow/tfjs-node-gpu; pypi_name=tensorflow; wheel=$GPU_WHEEL; wheel_sha256=$GPU_WHEEL_SHA256
fi

partial="" # the cache folder being filled, removed when the set-up fails
fail() {
  if [ -n "$partial" ]; then rm -rf "$partial"; fi
  echo "setup-tfjs-node: $*" >&2
  exit 1
}
log() { echo "setup-tfjs-node: $*"; }

pkg_dir=node_modules/$pkg
[ -f "$pkg_dir/package.json" ] || fail "$pkg_dir is missing: run \`npm ci\` first (it installs the package's JavaScript with scripts off)"
installed=$(node -p "require('./$pkg_dir/package.json').version")
[ "$installed" = "$TFJS_NODE_VERSION" ] || fail "$pkg is $installed in node_modules, this script builds $TFJS_NODE_VERSION (package-lock.json pins it)"

cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/cifar100-ssl/tfjs-node"
key="tfjs-node-$TFJS_NODE_VERSION-$pypi_name-$TF_VERSION-${wheel_sha256:0:12}-napi$NAPI_VERSION"
cache="$cache_root/$key"
mkdir -p "$cache_root"
exec 9>"$cache_root/.lock"
flock 9 # one set-up at a time per cache (two checkouts, or CI beside a developer)

# Links the cached libtensorflow and copies the cached addon into the package, under the names binding.gyp links
# and the addon's rpath ($ORIGIN/../../deps/lib) finds.
link_into_package() {
  local from=$1
  rm -rf "$pkg_dir/deps" "$pkg_dir/lib/napi-v$NAPI_VERSION"
  mkdir -p "$pkg_dir/deps/lib" "$pkg_dir/lib/napi-v$NAPI_VERSION"
  ln -s "$from/include" "$pkg_dir/deps/include"
  ln -s "$from/lib/libtensorflow_cc.so.2" "$pkg_dir/deps/lib/libtensorflow_cc.so.2"
  ln -s "$from/lib/libtensorflow_framework.so.2" "$pkg_dir/deps/lib/libtensorflow_framework.so.2"
  ln -s libtensorflow_cc.so.2 "$pkg_dir/deps/lib/libtensorflow.so"
  ln -s libtensorflow_framework.so.2 "$pkg_dir/deps/lib/libtensorflow_framework.so"
  ln -s libtensorflow_cc.so.2 "$pkg_dir/deps/lib/libtensorflow.so.2.9.1" # the file whose presence stops install.js downloading
  if [ -d "$from/cuda/lib" ]; then
    for so in "$from"/cuda/lib/*.so*; do ln -s "$so" "$pkg_dir/deps/lib/$(basename "$so")"; done
  fi
  if [ -f "$from/tfjs_binding.node" ]; then cp "$from/tfjs_binding.node" "$pkg_dir/lib/napi-v$NAPI_VERSION/"; fi
  cp "$from/SOURCE.json" "$pkg_dir/deps/SOURCE.json"
}

build() {
  local tmp="$cache_root/$key.partial"
  rm -rf "$tmp"
  partial=$tmp
  mkdir -p "$tmp/wheel" "$tmp/lib"
  command -v python3 >/dev/null || fail "python3 is needed (pip downloads the wheel, node-gyp runs on it): apt-get install python3-pip"
  python3 -m pip --version >/dev/null 2>&1 || fail "pip is needed to download $pypi_name from PyPI: apt-get install python3-pip (or bash scripts/install-system-deps.sh)"
  command -v g++ >/dev/null && command -v make >/dev/null || fail "g++ and make are needed to compile the addon: apt-get install g++ make (or bash scripts/install-system-deps.sh)"
  local node_prefix
  node_prefix=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
  [ -f "$node_prefix/include/node/node_api.h" ] || fail "Node's headers are not in $node_prefix/include/node (node-gyp would try to download them); install Node 20 with its headers"
  local node_gyp
  node_gyp="$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js"
  [ -f "$node_gyp" ] || fail "npm's node-gyp is not at $node_gyp"

  log "downloading $pypi_name==$TF_VERSION ($wheel, sha256 $wheel_sha256) from PyPI"
  printf '%s==%s --hash=sha256:%s\n' "$pypi_name" "$TF_VERSION" "$wheel_sha256" >"$tmp/requirements.txt"
  if ! python3 -m pip download --quiet --no-deps --only-binary=:all: "${WHEEL_TAGS[@]}" --require-hashes \
    -r "$tmp/requirements.txt" -d "$tmp/wheel" >"$tmp/pip.log" 2>&1; then
    fail "could not download $pypi_name==$TF_VERSION from PyPI (is the registry reachable from here? pip's index: ${PIP_INDEX_URL:-$(python3 -m pip config get global.index-url 2>/dev/null || echo https://pypi.org/simple)}); pip said: $(grep -v '^\s*$' "$tmp/pip.log" | tail -n 2 | tr '\n' ' ')"
  fi
  [ -f "$tmp/wheel/$wheel" ] || fail "pip downloaded $(ls "$tmp/wheel"), expected $wheel"
  echo "$wheel_sha256  $tmp/wheel/$wheel" | sha256sum --check --quiet - || fail "sha256 of $wheel differs from the pinned $wheel_sha256"

  log "extracting libtensorflow and the C headers"
  python3 - "$tmp/wheel/$wheel" "$tmp" <<'PY'
import os, shutil, sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
libs = {"tensorflow/libtensorflow_cc.so.2", "tensorflow/libtensorflow_framework.so.2"}
headers = ("tensorflow/include/tensorflow/c/", "tensorflow/include/tensorflow/core/platform/ctstring",
           "tensorflow/include/tsl/platform/ctstring", "tensorflow/include/xla/tsl/c/")
with zipfile.ZipFile(wheel) as z:
    for info in z.infolist():
        name = info.filename
        if name.endswith("/"):
            continue
        if name in libs:
            dest = os.path.join(out, "lib", os.path.basename(name))
        elif name.startswith(headers) and name.endswith(".h"):
            dest = os.path.join(out, "include", name[len("tensorflow/include/"):])
        else:
            continue
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with z.open(info) as src, open(dest, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
missing = [l for l in libs if not os.path.exists(os.path.join(out, "lib", os.path.basename(l)))]
if missing:
    sys.exit(f"the wheel lacks {missing}")
PY
  rm -rf "$tmp/wheel"
  if [ "$variant" = gpu ]; then fetch_cuda_wheels "$tmp"; fi
  printf '{"package": "%s", "version": "%s", "libtensorflow": "%s %s", "wheel": "%s", "sha256": "%s", "napi": %s}\n' \
    "$pkg" "$TFJS_NODE_VERSION" "$pypi_name" "$TF_VERSION" "$wheel" "$wheel_sha256" "$NAPI_VERSION" >"$tmp/SOURCE.json"

  log "compiling the addon against them (node-gyp, Node headers from $node_prefix; about a minute)"
  link_into_package "$tmp"
  if ! (cd "$pkg_dir" && node "$node_gyp" rebuild --nodedir="$node_prefix" \
    --module_name=tfjs_binding --module_path="$PWD/lib/napi-v$NAPI_VERSION" --napi_build_version=$NAPI_VERSION \
    >"$tmp/build.log" 2>&1); then
    tail -n 20 "$tmp/build.log" >&2
    cp "$tmp/build.log" "$cache_root/build.log"
    rm -rf "$pkg_dir/deps" "$pkg_dir/build"
    fail "compiling the addon failed (log: $cache_root/build.log)"
  fi
  cp "$pkg_dir/lib/napi-v$NAPI_VERSION/tfjs_binding.node" "$tmp/tfjs_binding.node"
  rm -rf "$pkg_dir/build"
  rm -rf "$cache"
  mv "$tmp" "$cache"
  partial=""
}

# The CUDA 12 libraries of TensorFlow's `and-cuda` extra, at the versions TF 2.21 was built with (the extra's
# lower bounds), from NVIDIA's nvidia-*-cu12 wheels on PyPI; their shared libraries are unpacked into cuda/lib and
# linked beside libtensorflow in deps/lib. Untested here (no GPU on the CPU machines): issue 13, part 4 checks how
# libtensorflow finds them on the GPU host (deps/lib is in the RUNPATH of libtensorflow_cc.so.2 through $ORIGIN;
# if TensorFlow's loader does not look there, LD_LIBRARY_PATH=<package>/deps/lib does).
CUDA_WHEELS=(
  "nvidia-cublas-cu12==12.5.3.2 --hash=sha256:ca070ad70e9fa6654084575d01bd001f30cc4665e33d4bb9fc8e0f321caa034b"
  "nvidia-cuda-cupti-cu12==12.5.82 --hash=sha256:bde77a5feb66752ec61db2adfe47f56b941842825b4c7e2068aff27c9d107953"
  "nvidia-cuda-nvcc-cu12==12.5.82 --hash=sha256:b03e545b8e8c3ce7ebcd7fc44063180ff52ff01d064ece2127ed90a04ef12cd0"
  "nvidia-cuda-nvrtc-cu12==12.5.82 --hash=sha256:3dbd97b0104b4bfbc3c4f8c79cd2496307c89c43c29a9f83125f1d76296ff3fd"
  "nvidia-cuda-runtime-cu12==12.5.82 --hash=sha256:3e79a060e126df40fd3a068f3f787eb000fa51b251ec6cd97d09579632687115"
  "nvidia-cudnn-cu12==9.3.0.75 --hash=sha256:9ad9c6929ebb5295eb4a1728024666d1c88283373e265a0c5c883e6f9d5cd76d"
  "nvidia-cufft-cu12==11.2.3.61 --hash=sha256:9a6e8df162585750f61983a638104a48c756aa13f9f48e19ab079b38e3c828b8"
  "nvidia-curand-cu12==10.3.6.82 --hash=sha256:2823fb27de4e44dbb22394a6adf53aa6e1b013aca0f8c22867d1cfae58405536"
  "nvidia-cusolver-cu12==11.6.3.83 --hash=sha256:93cfafacde4428b71778eeb092ec615a02a3d05404da1bcf91c53e3fa1bce42b"
  "nvidia-cusparse-cu12==12.5.1.3 --hash=sha256:016df8e993c437e8301e62739f01775cba988fd5253cd4c64173f8e8d2f8e752"
  "nvidia-nccl-cu12==2.27.7 --hash=sha256:de5ba5562f08029a19cb1cd659404b18411ed0d6c90ac5f52f30bf99ad5809aa"
  "nvidia-nvjitlink-cu12==12.5.82 --hash=sha256:f9b37bc5c8cf7509665cb6ada5aaa0ce65618f2332b7d3e78e9790511f111212"
)
fetch_cuda_wheels() {
  local tmp=$1
  log "downloading TensorFlow's CUDA 12 libraries (${#CUDA_WHEELS[@]} nvidia-*-cu12 wheels, about 3 GB)"
  printf '%s\n' "${CUDA_WHEELS[@]}" >"$tmp/cuda-requirements.txt"
  mkdir -p "$tmp/cuda-wheels" "$tmp/cuda/lib"
  if ! python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.11 --implementation cp --abi cp311 \
    --platform manylinux_2_27_x86_64 --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2010_x86_64 --platform manylinux_2_12_x86_64 --require-hashes \
    -r "$tmp/cuda-requirements.txt" -d "$tmp/cuda-wheels" >"$tmp/pip-cuda.log" 2>&1; then
    fail "could not download the CUDA 12 wheels from PyPI; pip said: $(grep -v '^\s*$' "$tmp/pip-cuda.log" | tail -n 2 | tr '\n' ' ')"
  fi
  python3 - "$tmp/cuda-wheels" "$tmp/cuda/lib" <<'PY'
import os, re, shutil, sys, zipfile
wheels, out = sys.argv[1], sys.argv[2]
for name in sorted(os.listdir(wheels)):
    with zipfile.ZipFile(os.path.join(wheels, name)) as z:
        for info in z.infolist():
            if re.match(r"nvidia/[^/]+/lib/[^/]+\.so(\.\d+)*$", info.filename):
                with z.open(info) as src, open(os.path.join(out, os.path.basename(info.filename)), "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
PY
  rm -rf "$tmp/cuda-wheels"
}

if [ ! -f "$cache/SOURCE.json" ] || [ ! -f "$cache/tfjs_binding.node" ]; then
  build
else
  log "using the cache $cache"
fi
link_into_package "$cache"

# The proof: load it, start the backend, run one op.
check=$(node -e "
  const tf = require('$pkg');
  const b = tf.backend();
  const x = tf.tensor([1, 2, 3]);
  const y = x.square().sum().dataSync()[0];
  console.log(JSON.stringify({ backend: tf.getBackend(), tensorflow: tf.version['tfjs-node'] && b.binding.TF_Version, sum: y }));
" 2>"$cache_root/check.err") || { tail -n 5 "$cache_root/check.err" >&2; fail "$pkg does not load after the set-up"; }
echo "$check" | grep -q '"backend":"tensorflow"' && echo "$check" | grep -q '"sum":14' || fail "$pkg loaded but gave $check"
log "$pkg $TFJS_NODE_VERSION ready on libtensorflow $TF_VERSION from PyPI's $pypi_name ($check)"
