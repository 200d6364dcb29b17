#!/usr/bin/env bash
# Installs Debian's redis-server and redis-tools (the reference server and redis-cli /
# redis-benchmark used by the cache tests and `npm run bench:cache`). Idempotent: does
# nothing when both binaries are already on PATH. Needs root (or sudo) and apt.
set -euo pipefail

if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 \
  && command -v redis-benchmark >/dev/null 2>&1; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends redis-server redis-tools >/dev/null

# The package enables a system service; Depot's tests and benchmarks start their own
# redis-server on a free port and never use it.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet redis-server 2>/dev/null; then
  $SUDO systemctl stop redis-server || true
fi
command -v redis-server >/dev/null && command -v redis-cli >/dev/null
