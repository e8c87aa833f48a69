#!/usr/bin/env bash
# bench/run.sh - builds bpfvm (optimised, in its own build directory) and the
# benchmark, writes the capture once (1,000,000 mixed frames by default), runs
# bench_sock and prints its table. A benchmark, not a test: it never fails on
# the numbers.
#
# Environment:
#   BPFVM_BENCH_BUILD  build directory          (default <repo>/build-bench)
#   BPFVM_BENCH_TYPE   CMake build type         (default Release)
#   BPFVM_BENCH_PCAP   the capture              (default /tmp/bpfvm-bench.pcap)
#   FRAMES             frames in the capture    (default 1000000)
#   RUNS               runs per row (median)    (default 5)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BPFVM_BENCH_BUILD:-$root/build-bench}
type=${BPFVM_BENCH_TYPE:-Release}
pcap=${BPFVM_BENCH_PCAP:-/tmp/bpfvm-bench.pcap}
frames=${FRAMES:-1000000}
runs=${RUNS:-5}
jobs=$(nproc 2>/dev/null || echo 2)

echo "building bpfvm ($type) in $build ..."
mkdir -p "$build"
log="$build/bench-build.log"
if ! { cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE="$type" -DBPFVM_TESTS=OFF &&
	make -C "$build" -j"$jobs" bpfvm_static &&
	cmake -S "$root/bench" -B "$build/bench" -DCMAKE_BUILD_TYPE="$type" -DBPFVM_BUILD_DIR="$build" &&
	make -C "$build/bench" -j"$jobs"; } >"$log" 2>&1; then
	tail -n 30 "$log" >&2
	echo "run.sh: the build failed (full log: $log)" >&2
	exit 1
fi

# the capture: written again when missing or made for another frame count
stamp="$pcap.frames"
if [ ! -s "$pcap" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$frames" ]; then
	"$build/bench/gen_capture" --frames "$frames" --out "$pcap"
	echo "$frames" >"$stamp"
fi
echo
"$build/bench/bench_sock" --pcap "$pcap" --runs "$runs"
