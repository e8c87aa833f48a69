#!/usr/bin/env bash
# test.sh - the README's test command: installs what is missing, builds, runs
# every test (ctest), then builds again with AddressSanitizer and
# UndefinedBehaviorSanitizer into build-san/ and runs every test there too.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/deps.sh"
"$root/scripts/build.sh" "$root/build"
status=0
(cd "$root/build" && ctest --output-on-failure -j2) || status=1
"$root/scripts/build.sh" "$root/build-san" -DBPFVM_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
(cd "$root/build-san" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	ctest --output-on-failure -j2) || status=1
exit $status
