#!/usr/bin/env bash
# bench/run-suite.sh - builds bpfvm (Release, in its own build directory) and
# the benchmark suite (bench/suite, bench_suite), runs it and prints the
# table. A benchmark, not a test: it never fails on the numbers.
#
#   bench/run-suite.sh [bench_suite options]     e.g. --only fnv1a,copy32k --samples 21
#
# Environment:
#   BPFVM_SUITE_BUILD  build directory               (default <repo>/build-bench-rel)
#   RECORD=1           also write the tables into bench/RESULTS.md, between its
#                      "suite-table" markers (the analysis around them stays)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BPFVM_SUITE_BUILD:-$root/build-bench-rel}
jobs=$(nproc 2>/dev/null || echo 2)

echo "building bpfvm (Release) and the suite in $build ..." >&2
mkdir -p "$build"
log="$build/suite-build.log"
if ! { cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DBPFVM_TESTS=OFF &&
	make -C "$build" -j"$jobs" bpfvm_static &&
	cmake -S "$root/bench" -B "$build/bench" -DCMAKE_BUILD_TYPE=Release -DBPFVM_BUILD_DIR="$build" &&
	make -C "$build/bench" -j"$jobs" bench_suite; } >"$log" 2>&1; then
	tail -n 30 "$log" >&2
	echo "run-suite.sh: the build failed (full log: $log)" >&2
	exit 1
fi
if [ ! -x "$build/bench/bench_suite" ]; then
	echo "run-suite.sh: bench_suite was not built (clang or libbpf missing? see $log)" >&2
	exit 1
fi

md="$build/bench/suite-results.md"
"$build/bench/bench_suite" --objdir "$build/bench/suite" --markdown "$md" "$@"

if [ "${RECORD:-0}" = 1 ]; then
	"$root/bench/record-table.sh" suite "$md" "# Benchmark suite results"
fi
