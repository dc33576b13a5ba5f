#!/usr/bin/env bash
# Builds everything and starts the signalling server, which also serves the companion app.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ]; then npm ci; fi
# The extension's default server address follows PORT, so a non-default port works without Options.
export WXT_DIRECTDROP_SERVER_URL="${WXT_DIRECTDROP_SERVER_URL:-http://localhost:${PORT:-9000}}"
npm run build --silent

cat <<INFO

DirectDrop is built.
  Chrome / Edge extension:  $(pwd)/.output/chrome-mv3
      chrome://extensions -> turn on Developer mode -> Load unpacked -> pick that folder
  Firefox extension:         $(pwd)/.output/firefox-mv2
      about:debugging#/runtime/this-firefox -> Load Temporary Add-on -> pick manifest.json in that folder
  The extension talks to ${WXT_DIRECTDROP_SERVER_URL} (change it in the extension's Options).

Starting the server (signalling + companion app)...
INFO
exec npx tsx server/main.ts "$@"
