#!/usr/bin/env bash
# Debian packages the build and tests need and a fresh machine lacks:
# a CJK font for Chinese figure labels, and Chromium for the browser tests.
# Installs only what is missing; uses sudo when not root.
set -euo pipefail
need=()
# grep without -q reads all input: with pipefail, -q would SIGPIPE fc-list and "fail"
fc-list : family 2>/dev/null | grep "Noto Sans CJK SC" >/dev/null || need+=(fonts-noto-cjk)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
echo "installing Debian packages: ${need[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" fontconfig >/dev/null
fc-cache -f >/dev/null
