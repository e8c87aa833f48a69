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
# Under the sanitizers: the libFuzzer smoke run is left out (its targets are
# sanitizer builds already and ran above) and the kernel verifier comparison
# and the verifier safety check use fewer random programs (the full counts ran above).
(cd "$root/build-san" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 BPFVM_KVERIFY_COUNT=300 BPFVM_VERIFY_FUZZ=300 \
	ctest --output-on-failure -j2 -E '^fuzz_smoke$') || status=1
exit $status
