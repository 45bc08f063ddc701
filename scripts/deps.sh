#!/usr/bin/env bash
# Installs the Debian 12 packages vpcdns needs that this machine lacks. Safe to run repeatedly.
#   scripts/deps.sh            build + test dependencies (nsd, unbound, dnsmasq: e2e tests)
#   scripts/deps.sh --ci       also clang (fuzzing)
set -euo pipefail

packages=(cmake ninja-build g++ pkg-config
          libuv1-dev libc-ares-dev libyaml-cpp-dev libspdlog-dev libfmt-dev
          libgtest-dev libgmock-dev libbenchmark-dev libssl-dev
          libcpp-httplib-dev nlohmann-json3-dev
          dnsutils knot-dnsutils dnsperf nsd unbound dnsmasq
          systemd libcap2-bin)  # e2e_deploy: systemd-analyze verify, setcap
if [[ "${1:-}" == "--ci" ]]; then
  packages+=(clang libclang-rt-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "installing: ${missing[*]}" >&2
sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
