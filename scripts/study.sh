#!/usr/bin/env bash
# The main job on a fresh machine: system packages (when root), npm ci, tfjs-node's set-up, every experiment of the study (results
# already committed for the same configuration are reused, an experiment without any is trained; missing seeds of the
# others are listed for a GPU run), then every notebook
# executed in place and exported to static HTML under artifacts/html/.
#   bash scripts/study.sh            # PROFILE=full by default; PROFILE=smoke for a quick CPU run
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ]; then bash scripts/install-system-deps.sh; else echo "not root: skipping Debian packages (see README)" >&2; fi
npm ci --no-audit --no-fund
bash scripts/setup-tfjs-node.sh   # tfjs-node on libtensorflow from PyPI (cached after the first run); see README, Backends
export PROFILE="${PROFILE:-full}"
# --reuse-partial: what the notebooks render; experiments without any result train, missing seeds are only listed.
npm run experiments -- all --profile "$PROFILE" --reuse-partial
if [ "$PROFILE" = full ]; then
  npm run notebooks -- --html
else
  npm run notebooks -- --out "artifacts/notebooks-$PROFILE" --html --html-dir "artifacts/html-$PROFILE"
fi
