#!/usr/bin/env bash
# Configures and builds vpcdns into a build folder.
#   scripts/build.sh              Release build in build/
#   scripts/build.sh --sanitize   ASan+UBSan Debug build in build-asan/
#   scripts/build.sh --fuzz       clang + libFuzzer targets in build-fuzz/
set -euo pipefail
cd "$(dirname "$0")/.."

dir=build
args=(-DCMAKE_BUILD_TYPE=Release)
case "${1:-}" in
  --sanitize) dir=build-asan; args=(-DCMAKE_BUILD_TYPE=Debug -DVPCDNS_SANITIZE=ON -DVPCDNS_BENCH=OFF) ;;
  --fuzz) dir=build-fuzz
          args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DVPCDNS_FUZZ=ON -DBUILD_TESTING=OFF -DVPCDNS_BENCH=OFF
                -DCMAKE_CXX_COMPILER=clang++) ;;
  "") ;;
  *) echo "usage: $0 [--sanitize|--fuzz]" >&2; exit 2 ;;
esac

jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B "$dir" -G Ninja "${args[@]}" >/dev/null
cmake --build "$dir" -j "$jobs"
