#!/usr/bin/env bash
# Debian packages the project needs beyond Node 20 (run as root, or it prints what to install):
#   mesa-vulkan-drivers + libvulkan1 from bookworm-backports: Mesa 25 lavapipe, a Vulkan driver on the CPU, so Dawn
#     (WebGPU) has an adapter on machines without a GPU (stock bookworm Mesa 22 gives none);
#   jupyter-nbconvert: static HTML export of executed notebooks (npm run notebooks -- --html);
#   chromium: the headless browser of the browser tests (test/browser/, driven by npm's playwright-core);
#   python3-venv: the virtual environment of JupyterLab from PyPI (scripts/start-jupyterlab.ts --install);
#   python3-pip, g++, make: scripts/setup-tfjs-node.sh downloads TensorFlow's wheel with pip and compiles tfjs-node's addon.
# When another apt or dpkg process holds its lock (unattended upgrades on a fresh machine), it waits for it, saying
# which process it waits for, up to APT_LOCK_TIMEOUT seconds (default 600), instead of failing at once.
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
lock_timeout=${APT_LOCK_TIMEOUT:-600}
deadline=$(( $(date +%s) + lock_timeout ))

# "PID (command)" of the process holding a POSIX lock on file $1 (apt and dpkg lock with fcntl), read from
# /proc/locks so that no extra tool is needed; empty when the lock is free.
lock_holder() {
  local inode pid
  inode=$(stat -c %i "$1" 2>/dev/null) || return 0
  # /proc/locks: "N: POSIX ADVISORY WRITE PID MAJ:MIN:INODE START END"; "N: -> ..." lines are waiters.
  pid=$(awk -v inode="$inode" '$2 != "->" && $6 ~ (":" inode "$") { print $5; exit }' /proc/locks)
  [ -n "$pid" ] && echo "process $pid ($(cat "/proc/$pid/comm" 2>/dev/null || echo gone))"
  return 0
}

# Waits while another process holds lock file $1, saying which, until the deadline shared by the whole script.
wait_for_lock() {
  local holder said=""
  while holder=$(lock_holder "$1") && [ -n "$holder" ]; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "install-system-deps: $1 is still held by $holder after ${lock_timeout} s; let it finish (or stop it) and run again" >&2
      exit 1
    fi
    [ "$said" = "$holder" ] || echo "install-system-deps: waiting for $holder to release $1 (up to ${lock_timeout} s in all)" >&2
    said=$holder
    sleep 2
  done
}

# apt-get update does not wait for the lists lock (DPkg::Lock::Timeout covers only dpkg's), so wait here, and again
# if another process took the lock in between.
apt_update() {
  local out
  for _ in 1 2 3; do
    wait_for_lock /var/lib/apt/lists/lock
    if out=$(apt-get update -qq 2>&1); then return 0; fi
    grep -q "Could not get lock" <<<"$out" || break
  done
  echo "$out" >&2
  exit 1
}

# apt-get install waits for dpkg's lock itself (DPkg::Lock::Timeout) but silently; say what it waits for.
apt_install() {
  wait_for_lock /var/lib/dpkg/lock-frontend
  local left=$(( deadline - $(date +%s) ))
  apt-get install -y -qq -o DPkg::Lock::Timeout=$(( left > 0 ? left : 0 )) "$@" >/dev/null
}

apt_update
apt_install -t bookworm-backports $packages_backports
apt_install $packages
echo "install-system-deps: $(dpkg-query -W -f='${Package} ${Version}\n' mesa-vulkan-drivers jupyter-nbconvert chromium | tr '\n' ';')"
