#!/usr/bin/env bash
# The README's test command on a fresh machine: installs what the tests need, then runs them (`npm test`: type
# checks, mocha, every notebook in the smoke profile on the real CIFAR-100).
#   Debian packages (when root: lavapipe, nbconvert, chromium, pip, a compiler), npm ci, tfjs-node from PyPI's
#   TensorFlow wheel (cached), and the pinned JupyterLab of the browser tests (.venv-jupyter/).
# .ci/run calls this with the variables that turn skips into failures (TFJS_NODE=required, BROWSER_TESTS=required).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ]; then bash scripts/install-system-deps.sh; else echo "not root: skipping Debian packages (see README)" >&2; fi
npm ci --no-audit --no-fund
bash scripts/setup-tfjs-node.sh                 # tfjs-node on libtensorflow from PyPI's tensorflow-cpu (cached)
npx tsx scripts/start-jupyterlab.ts --install   # pinned JupyterLab from PyPI in .venv-jupyter/ (browser tests)
npm test
