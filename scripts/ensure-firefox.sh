#!/usr/bin/env bash
# Makes sure Debian's Firefox ESR is available for the Firefox end-to-end tests (driven by puppeteer-core,
# which must not download a browser of its own). Installs it with apt-get when running as root; otherwise
# says exactly what is missing.
set -euo pipefail

FIREFOX_PATH="${FIREFOX_PATH:-/usr/bin/firefox-esr}"
if [ -x "$FIREFOX_PATH" ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's firefox-esr package for the Firefox end-to-end tests..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq firefox-esr >/dev/null
  exit 0
fi
echo "Firefox ESR is missing at $FIREFOX_PATH." >&2
echo "Install it with: sudo apt-get install firefox-esr   (or set FIREFOX_PATH to a Firefox binary)" >&2
exit 1
