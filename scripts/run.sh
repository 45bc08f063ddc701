#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a running vpcdns: installs what is missing,
# builds, and starts the daemon in the foreground (Ctrl-C stops it).
#   scripts/run.sh                      embedded default config: UDP+TCP on 127.0.0.1:5353
#   scripts/run.sh --config FILE        any other vpcdns argument is passed through
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
exec build/app/vpcdns "$@"
