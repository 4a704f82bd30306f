#!/usr/bin/env bash
# Debian packages the project needs beyond Node 20 (run as root, or it prints what to install):
#   mesa-vulkan-drivers + libvulkan1 from bookworm-backports: Mesa 25 lavapipe, a Vulkan driver on the CPU, so Dawn
#     (WebGPU) has an adapter on machines without a GPU (stock bookworm Mesa 22 gives none);
#   jupyter-nbconvert: static HTML export of executed notebooks (npm run notebooks -- --html);
#   chromium: the headless browser of the browser tests (test/browser/, driven by npm's playwright-core);
#   python3-venv: the virtual environment of JupyterLab from PyPI (scripts/start-jupyterlab.ts --install);
#   python3-pip, g++, make: scripts/setup-tfjs-node.sh downloads TensorFlow's wheel with pip and compiles tfjs-node's addon.
set -euo pipefail
packages_backports="mesa-vulkan-drivers libvulkan1"
packages="jupyter-nbconvert chromium python3-venv python3-pip g++ make"
if [ "$(id -u)" != 0 ]; then
  echo "install-system-deps: not root; install these yourself:" >&2
  echo "  apt-get install -t bookworm-backports $packages_backports && apt-get install $packages" >&2
  exit 1
fi
if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    > /etc/apt/sources.list.d/bookworm-backports.sources
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq -t bookworm-backports $packages_backports >/dev/null
apt-get install -y -qq $packages >/dev/null
echo "install-system-deps: $(dpkg-query -W -f='${Package} ${Version}\n' mesa-vulkan-drivers jupyter-nbconvert chromium | tr '\n' ';')"
