#!/bin/bash
# conformance_plugin.sh - the public eBPF conformance suite through the tools:
#  1. every row of assembled.tsv through bpfvm-plugin, exactly as
#     bpf_conformance_runner drives a plugin (program hex on stdin, memory hex
#     as the first argument), r0 compared with the row's expected value, in
#     each verify mode: auto (the default: verified programs run unchecked,
#     the others checked), off (all checked) and require (only what the
#     verifier accepts runs, unchecked; the rejected ones are counted);
#  2. every tests/*.data file's "-- asm" section assembled with `bpfvm asm`,
#     the bytes compared with the row of assembled.tsv (upstream's assembler),
#     then run with `bpfvm run --mem ...` (verified first) and r0 compared with
#     "-- result"; a program the verifier rejects must be one the plugin's
#     require mode rejected too, and must pass with `run --no-verify`.
# BPFVM_TEST_ENGINE=jit runs both parts on the JIT (--engine jit; tests/cli/jit.sh
# does that); the default is the interpreter.
# Skips (77) when the conformance directory is missing.
set -u
export LC_ALL=C

B=${BPFVM_BUILD_DIR:?BPFVM_BUILD_DIR must point to the build directory}
C=${BPFVM_CONFORMANCE_DIR:-}
BPFVM=$B/bpfvm
PLUGIN=$B/bpfvm-plugin
if [ -z "$C" ] || [ ! -f "$C/assembled.tsv" ] || [ ! -d "$C/tests" ]; then
	echo "skipped: conformance suite not found (BPFVM_CONFORMANCE_DIR='$C')"
	exit 77
fi
for t in "$BPFVM" "$PLUGIN"; do
	[ -x "$t" ] || { echo "missing $t (build it first)"; exit 1; }
done
ENGINE=${BPFVM_TEST_ENGINE:-interp}
case $ENGINE in
interp | jit) ;;
*) echo "BPFVM_TEST_ENGINE must be interp or jit, not '$ENGINE'"; exit 1 ;;
esac

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
total_failed=0
max_report=40 # failure lines printed per part

# r0 text from a tool ("0x1f", "1f") and an expected value ("0x1f", "31"):
# equal as 64-bit numbers? (bash arithmetic wraps both the same way)
same_u64() {
	local got=$1 want=$2
	[[ $got =~ ^(0x)?[0-9a-fA-F]{1,16}$ ]] || return 1
	got=${got#0x}
	if [[ $want == *0x* ]]; then
		[[ $want =~ ^0x[0-9a-fA-F]{1,16}$ ]] || return 1
	else
		[[ $want =~ ^[0-9]{1,20}$ ]] || return 1
		want=$((10#$want))
	fi
	(( 16#$got == want ))
}

# ---- part 1: assembled.tsv through the plugin ----
# file|expected|memory|program, with memory and program in the runner's form:
# each byte as two lowercase hex digits followed by two spaces.
awk -F'\t' '/^#/ || NF < 4 { next }
	{ m = $3; p = $4; gsub(/../, "&  ", m); gsub(/../, "&  ", p); print $1 "|" $2 "|" m "|" p }' \
	"$C/assembled.tsv" >"$tmp/rows"

declare -A tsv_prog rejected
total_pass=0
for mode in auto off require; do
	pass=0 fail=0 shown=0 nrej=0
	while IFS='|' read -r name want mem prog; do
		tsv_prog[$name]=${prog//[[:space:]]/}
		if [ -n "$mem" ]; then
			got=$(printf '%s\n' "$prog" | "$PLUGIN" "$mem" --engine "$ENGINE" --verify $mode 2>"$tmp/err")
		else
			got=$(printf '%s\n' "$prog" | "$PLUGIN" --engine "$ENGINE" --verify $mode 2>"$tmp/err")
		fi
		rc=$?
		if [ $mode = require ] && [ $rc -eq 1 ]; then
			rejected[${name%.data}]=1
			nrej=$((nrej + 1))
		elif [ $rc -eq 0 ] && same_u64 "$got" "$want"; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
			if [ $shown -lt $max_report ]; then
				echo "FAIL plugin --verify $mode $name: expected $want, got '${got//$'\n'/ }' (exit $rc) $(head -c 300 "$tmp/err" | tr '\n' ' ')"
				shown=$((shown + 1))
			fi
		fi
	done <"$tmp/rows"
	extra=
	[ $mode = require ] && extra=", $nrej rejected by the verifier"
	echo "plugin --engine $ENGINE --verify $mode on assembled.tsv: $pass passed, $fail failed$extra"
	total_pass=$((total_pass + pass))
	total_failed=$((total_failed + fail))
	if [ $mode = require ] && [ $pass -lt 250 ]; then
		echo "FAIL: the verifier accepted only $pass of the suite's programs (299 when this test was written)"
		total_failed=$((total_failed + 1))
	fi
done
if [ $total_pass -eq 0 ]; then
	echo "FAIL: no rows read from $C/assembled.tsv"
	total_failed=$((total_failed + 1))
fi

# ---- part 2: -- asm sections through bpfvm asm and bpfvm run ----
# Extract every file's sections the way upstream's reader does: drop CR and
# everything from '#'; a line containing "--" starts a section whose kind is
# found by substring (asm, result, mem, raw, no register offset, " c",
# error); blank lines and lines before the first section are ignored. The
# asm text goes to NAME.s, and NAME|memory|result to the index.
awk -v dir="$tmp" '
	function finish() {
		if (name != "" && has_asm && result != "" && !bad)
			print name "|" mem "|" result > (dir "/index")
		if (name != "")
			close(dir "/" name ".s")
	}
	FNR == 1 {
		finish()
		name = FILENAME; sub(/.*\//, "", name); sub(/\.data$/, "", name)
		kind = ""; mem = ""; result = ""; has_asm = 0; bad = 0
		printf "" > (dir "/" name ".s")
	}
	{
		sub(/\r$/, ""); sub(/#.*/, "")
		if (index($0, "--")) {
			if (index($0, "asm")) kind = "asm"
			else if (index($0, "result")) kind = "result"
			else if (index($0, "mem")) kind = "mem"
			else if (index($0, "raw")) kind = "raw"
			else if (index($0, "no register offset")) kind = "ignore"
			else if (index($0, " c")) kind = "ignore"
			else if (index($0, "error")) kind = "error"
			else bad = 1
			next
		}
		if ($0 ~ /^[ \t]*$/ || kind == "") next
		if (kind == "asm") { print > (dir "/" name ".s"); has_asm = 1 }
		else if (kind == "mem") mem = mem " " $0
		else if (kind == "result") { result = $0; gsub(/[ \t]/, "", result) }
	}
	END { finish() }' "$C"/tests/*.data

pass=0 fail=0 shown=0 apass=0 afail=0 ashown=0 vrej=0
while IFS='|' read -r name mem want; do
	s=$tmp/$name.s bin=$tmp/$name.bin
	if ! "$BPFVM" asm "$s" -o "$bin" 2>"$tmp/err"; then
		fail=$((fail + 1)) afail=$((afail + 1))
		if [ $shown -lt $max_report ]; then
			echo "FAIL asm $name: $(head -c 300 "$tmp/err" | tr '\n' ' ')"
			shown=$((shown + 1))
		fi
		continue
	fi
	# The bytes must be what upstream's assembler produced.
	hex=$(od -An -v -tx1 "$bin")
	hex=${hex//[[:space:]]/}
	if [ -n "${tsv_prog[$name.data]:-}" ] && [ "$hex" = "${tsv_prog[$name.data]}" ]; then
		apass=$((apass + 1))
	else
		afail=$((afail + 1))
		if [ $ashown -lt $max_report ]; then
			echo "FAIL asm bytes $name: got $hex, assembled.tsv has ${tsv_prog[$name.data]:-nothing}"
			ashown=$((ashown + 1))
		fi
	fi
	memopt=()
	[[ $mem =~ [^[:space:]] ]] && memopt=(--mem "$mem")
	out=$("$BPFVM" run "$bin" "${memopt[@]}" --engine "$ENGINE" 2>"$tmp/err")
	rc=$?
	if [ $rc -eq 1 ] && [ -n "${rejected[$name]:-}" ]; then
		# rejected by the verifier, as in the plugin's require mode: checked
		vrej=$((vrej + 1))
		out=$("$BPFVM" run "$bin" "${memopt[@]}" --engine "$ENGINE" --no-verify 2>"$tmp/err")
		rc=$?
	fi
	got=${out##*$'\n'}
	if [ $rc -eq 0 ] && same_u64 "$got" "$want"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		if [ $shown -lt $max_report ]; then
			echo "FAIL run $name: expected $want, got '$got' (exit $rc) $(head -c 300 "$tmp/err" | tr '\n' ' ')"
			shown=$((shown + 1))
		fi
	fi
done <"$tmp/index"
echo "bpfvm asm bytes vs assembled.tsv: $apass passed, $afail failed"
echo "bpfvm asm + run --engine $ENGINE on tests/*.data: $pass passed, $fail failed ($vrej rejected by the verifier, run with --no-verify)"
total_pass=$((total_pass + apass + pass))
total_failed=$((total_failed + afail + fail))
if [ $((pass + fail)) -eq 0 ]; then
	echo "FAIL: no test read from $C/tests"
	total_failed=$((total_failed + 1))
fi

echo "$total_pass passed, $total_failed failed"
[ $total_failed -eq 0 ]
