#!/usr/bin/env bash
# fuzz_smoke.sh - ctest case: a 10-second libFuzzer run of each fuzz target
# in scripts/fuzz-smoke.sh's default set. Skipped (77) without clang or its
# libFuzzer runtime. Uses the targets of this build when it was configured with
# -DBPFVM_FUZZ=ON and clang; otherwise builds them once in build-fuzz/ at the
# repository root (shared by every build directory, serialised by a lock).
# FUZZ_SECONDS overrides the 10 seconds.
set -uo pipefail
src=${BPFVM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${BPFVM_BUILD_DIR:-}

if [ -n "$build" ] && [ -x "$build/fuzz/fuzz_asm" ]; then
	export FUZZ_BIN_DIR=$build/fuzz
else
	cc=${FUZZ_CC:-clang}
	if ! command -v "$cc" >/dev/null 2>&1; then
		echo "SKIP: no clang ($cc) to build the libFuzzer targets"
		exit 77
	fi
	probe=$(mktemp -d)
	trap 'rm -rf "$probe"' EXIT
	printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return 0; }\n' \
		>"$probe/p.c"
	if ! "$cc" -fsanitize=fuzzer,address,undefined "$probe/p.c" -o "$probe/p" >/dev/null 2>&1; then
		echo "SKIP: $cc cannot link -fsanitize=fuzzer (install the compiler-rt runtime, e.g. libclang-rt-14-dev)"
		exit 77
	fi
	if ! command -v cmake >/dev/null 2>&1; then
		echo "SKIP: no cmake"
		exit 77
	fi
	export FUZZ_BUILD_DIR=${FUZZ_BUILD_DIR:-$src/build-fuzz}
fi

FUZZ_SECONDS=${FUZZ_SECONDS:-10} bash "$src/scripts/fuzz-smoke.sh"
rc=$?
# the script's 2 (setup error) and 1 (a finding) are both failures here;
# never pass libFuzzer's own exit codes on (77 would read as "skipped")
[ $rc -eq 0 ] && exit 0
exit 1
