#!/usr/bin/env bash
# Lighthouse (mobile preset) on the home page, a step of the request form and a request page.
# Prints the scores; exits 1 when accessibility is below 100 on any of them.
#   bash bench/lighthouse.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x bench/lighthouse/node_modules/.bin/lighthouse ]; then
  (cd bench/lighthouse && npm install --no-fund --no-audit --loglevel=error)
fi
export CHROME_PATH="${CHROME_PATH:-$(command -v chromium)}"
timeout 600 .venv/bin/python bench/lighthouse.py "$@"
