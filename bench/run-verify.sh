#!/usr/bin/env bash
# bench/run-verify.sh - builds bpfvm (Release, in its own build directory) and
# bench_verify, runs it and prints the verification-time table: bpfvm's
# verifier next to the kernel's "verification time". A benchmark, not a
# test: it never fails on the numbers.
#
#   bench/run-verify.sh [bench_verify options]     e.g. --only gen/ --runs 9
#
# Environment:
#   BPFVM_VERIFY_BUILD  build directory            (default <repo>/build-bench-rel)
#   RECORD=1            also write the table into bench/RESULTS.md, between its
#                       "verify-table" markers (the analysis around them stays)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BPFVM_VERIFY_BUILD:-$root/build-bench-rel}
jobs=$(nproc 2>/dev/null || echo 2)

echo "building bpfvm (Release), its BPF examples and bench_verify in $build ..." >&2
mkdir -p "$build"
log="$build/verify-build.log"
if ! { cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DBPFVM_TESTS=OFF &&
	make -C "$build" -j"$jobs" bpfvm_static bpf_examples &&
	cmake -S "$root/bench" -B "$build/bench" -DCMAKE_BUILD_TYPE=Release -DBPFVM_BUILD_DIR="$build" &&
	make -C "$build/bench" -j"$jobs" bench_verify; } >"$log" 2>&1; then
	tail -n 30 "$log" >&2
	echo "run-verify.sh: the build failed (full log: $log)" >&2
	exit 1
fi
if [ ! -x "$build/bench/bench_verify" ]; then
	echo "run-verify.sh: bench_verify was not built (clang or libbpf missing? see $log)" >&2
	exit 1
fi

md="$build/bench/verify-results.md"
"$build/bench/bench_verify" --suite-dir "$build/bench/suite" --examples-dir "$build/examples/bpf" \
	--markdown "$md" "$@"

if [ "${RECORD:-0}" = 1 ]; then
	"$root/bench/record-table.sh" verify "$md" "## Verification time"
fi
