#!/bin/sh
# Starts JupyterLab on notebooks/ with this repository's "TypeScript (tslab)" kernel spec
# (jupyter/kernels/tslab), which runs the tslab of node_modules/ (`npm ci` first).
#
#   npm run jupyter [-- jupyter-lab options...]
#
# Other frontends find the kernel spec the same way: export JUPYTER_PATH=<repo>/jupyter.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
export JUPYTER_PATH="$root/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"

if ! command -v jupyter-lab >/dev/null 2>&1; then
  echo "jupyter-lab is not on PATH. Install JupyterLab (e.g. \`pip install jupyterlab\`), then run" >&2
  echo "  npm run jupyter" >&2
  echo "or start any Jupyter frontend yourself with" >&2
  echo "  JUPYTER_PATH=\"$JUPYTER_PATH\" jupyter lab --notebook-dir=\"$root/notebooks\"" >&2
  exit 1
fi
cd "$root/notebooks"
exec jupyter-lab "$@"
