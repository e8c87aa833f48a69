#!/usr/bin/env bash
# build.sh [BUILD_DIR] [extra cmake args...] - configures and builds bpfvm
# (default into build/ at the repository root).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$root/build}
shift || true
cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$dir" -j"$(nproc)"
