#!/usr/bin/env bash
# The whole test suite, in the order CI runs it. Stops at the first failing step, with its exit code.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m== %s ==\033[0m\n' "$1"; }

step "Checking for Chromium and Firefox ESR"
bash scripts/ensure-chromium.sh
bash scripts/ensure-firefox.sh
if [ ! -d node_modules ]; then
  step "Installing dependencies"
  npm ci
fi
step "Type check"
npm run typecheck
step "Lint and format"
npm run lint
step "Unit tests (core)"
npm run test:unit
step "Integration tests (real PeerServer, real WebRTC in Node)"
npm run test:integration
step "Build: Chrome (MV3), Firefox (MV2), companion app"
npm run build
step "End-to-end tests (extension in Chromium + companion app in a second Chromium)"
npm run test:e2e
step "End-to-end tests in Firefox ESR (add-on in Firefox + companion in Chromium, and the reverse)"
npm run test:e2e:firefox
printf '\n\033[1mAll checks passed.\033[0m\n'
