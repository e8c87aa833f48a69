#!/usr/bin/env bash
# fuzz-smoke.sh - a short libFuzzer run of every fuzz target (fuzz/README.md):
# configures FUZZ_BUILD_DIR (default build-fuzz/ at the repository root) with
# clang from fuzz/CMakeLists.txt alone, builds the targets, then runs each for
# FUZZ_SECONDS (default 20) on its seed corpus, FUZZ_JOBS (default: the CPU
# count, at most 2) targets at a time. Prints one line per target with the
# executions done; exits 1 if any target crashed, leaked, timed out or
# reported a mismatch (the reproducer is in <build>/fuzz-out/artifacts/, the
# log next to it), 2 on a setup error.
#
# Environment:
#   FUZZ_SECONDS    seconds per target (default 20)
#   FUZZ_TARGETS    targets to run (default: every one that was built)
#   FUZZ_BUILD_DIR  where to configure and build (default <root>/build-fuzz)
#   FUZZ_BIN_DIR    run already-built targets from here instead (no build)
#   FUZZ_JOBS       targets run at once
#   FUZZ_KEEP_CORPUS 1: continue from the previous run's corpus (default: start
#                   from the seeds each time, so a run's length stays bounded)
#   FUZZ_CC         the clang to use (default: clang)
# New corpus entries go to <build>/fuzz-out/corpus/<target>; the seeds in
# fuzz/corpus/ are only read.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${FUZZ_SECONDS:-20}
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
cc=${FUZZ_CC:-clang}
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
[ "$jobs" -gt 2 ] && jobs=2
[ "$jobs" -lt 1 ] && jobs=1

die() { echo "fuzz-smoke: $*" >&2; exit 2; }
case $seconds in '' | *[!0-9]*) die "FUZZ_SECONDS must be a whole number of seconds" ;; esac

if [ -n "${FUZZ_BIN_DIR:-}" ]; then
	bin=$FUZZ_BIN_DIR
	out=$bin/fuzz-out
else
	command -v "$cc" >/dev/null 2>&1 || die "$cc not found (the fuzz targets need clang with libFuzzer)"
	mkdir -p "$build" || die "cannot create $build"
	# one configure+build at a time per build directory (parallel ctest runs)
	exec 9>"$build/.fuzz-smoke.lock"
	flock 9 2>/dev/null || true
	if ! cmake -S "$root/fuzz" -B "$build" -DCMAKE_C_COMPILER="$cc" >"$build/configure.log" 2>&1; then
		cat "$build/configure.log" >&2
		die "configure failed (log: $build/configure.log)"
	fi
	if ! cmake --build "$build" -j"$(nproc 2>/dev/null || echo 1)" >"$build/build.log" 2>&1; then
		tail -n 40 "$build/build.log" >&2
		die "build failed (log: $build/build.log)"
	fi
	bin=$build
	out=$build/fuzz-out
fi

# fuzz_verify has a longer per-input timeout: an input can make the verifier
# process its limit of a million instructions (seconds under the sanitizers)
all="fuzz_asm fuzz_disasm fuzz_exec fuzz_pcap fuzz_jit_diff fuzz_elf fuzz_verify"
targets=${FUZZ_TARGETS:-}
if [ -z "$targets" ]; then
	for t in $all; do [ -x "$bin/$t" ] && targets="$targets $t"; done
fi
[ -n "$targets" ] || die "no fuzz targets in $bin"
mkdir -p "$out/artifacts" "$out/logs" || die "cannot create $out"

# Per target: the largest input, and the read-only seed directories.
opts_for() {
	case $1 in
	fuzz_asm) echo "-max_len=4096 -dict=$root/fuzz/asm.dict" ;;
	fuzz_disasm) echo "-max_len=256" ;;
	fuzz_exec) echo "-max_len=2048" ;;
	fuzz_pcap) echo "-max_len=16384" ;;
	fuzz_jit_diff) echo "-max_len=1024" ;;
	fuzz_elf) echo "-max_len=65536" ;;
	fuzz_verify) echo "-max_len=1024 -timeout=60" ;;
	*) echo "" ;;
	esac
}
seeds_for() {
	local d=${1#fuzz_} s=""
	[ -d "$root/fuzz/corpus/$d" ] && s="$root/fuzz/corpus/$d"
	case $1 in
	fuzz_pcap) [ -d "$root/examples/data" ] && s="$s $root/examples/data" ;;
	fuzz_elf)
		[ -d "$bin/corpus_elf_seeds" ] && s="$s $bin/corpus_elf_seeds"
		[ -n "${BPFVM_BUILD_DIR:-}" ] && [ -d "$BPFVM_BUILD_DIR/examples/bpf" ] && s="$s $BPFVM_BUILD_DIR/examples/bpf"
		;;
	esac
	echo "$s"
}

run_one() {
	local t=$1 corpus=$out/corpus/${1#fuzz_} log=$out/logs/$1.log
	[ "${FUZZ_KEEP_CORPUS:-0}" = 1 ] || rm -rf "$corpus"
	mkdir -p "$corpus"
	rm -f "$out/artifacts/$t-"*
	# shellcheck disable=SC2046
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
		"$bin/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$out/artifacts/$t-" $(opts_for "$t") "$corpus" $(seeds_for "$t") >"$log" 2>&1
	echo $? >"$out/logs/$t.status"
}

running=0
for t in $targets; do
	[ -x "$bin/$t" ] || die "$bin/$t is not built"
	run_one "$t" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait

status=0
for t in $targets; do
	log=$out/logs/$t.log
	rc=$(cat "$out/logs/$t.status" 2>/dev/null || echo "?")
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	[ -n "$execs" ] || execs=$(grep -o '^#[0-9]*' "$log" | tail -n 1 | tr -d '#')
	corp=$(find "$out/corpus/${t#fuzz_}" -type f 2>/dev/null | wc -l)
	if [ "$rc" = 0 ]; then
		printf '%-14s ok     %10s executions in %ss, corpus %s\n' "$t" "${execs:-?}" "$seconds" "$corp"
	else
		status=1
		art=$(ls "$out/artifacts/$t-"* 2>/dev/null | head -n 1)
		why=$(grep -m1 -E '^==[0-9]+==ERROR|^SUMMARY|^fuzz_[a-z_]+: |runtime error|ERROR: libFuzzer' "$log")
		printf '%-14s FAILED %10s executions (exit %s): %s\n' "$t" "${execs:-?}" "$rc" "${why:-see $log}"
		printf '%-14s        reproducer: %s\n' "" "${art:-none}; log: $log"
	fi
done
exit $status
