#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a passing test suite: installs what is missing,
# builds, and runs every test (unit and end-to-end) with ctest.
#   scripts/test.sh               Release build in build/
#   scripts/test.sh --sanitize    the same suite under ASan+UBSan in build-asan/
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh "$@"
dir=build
[[ "${1:-}" == "--sanitize" ]] && dir=build-asan
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$dir" --output-on-failure -j "$(nproc 2>/dev/null || echo 2)" --timeout 300
