#!/bin/bash
# verify.sh - the verifier on the command line (issue 6's wiring):
#  1. `bpfvm verify` on every corpus program of tests/verifier/: accepted ones
#     exit 0 with the statistics line and "accepted"; rejected ones exit 1
#     with their expected reason ("# expect:" / "// expect:") on stderr as
#     one line naming the instruction, and the log on stdout; C programs
#     are compiled with clang when it is there;
#  2. the sock_example and every example object verify;
#  3. `bpfvm run` verifies first: a rejected program is not run (exit 1,
#     the same reason; --log-level adds the log on stderr), --no-verify runs
#     it checked; a verified program gives the result of its checked run;
#  4. --log-level 0/1/2 print what they promise; ELF --program; usage.
set -u
export LC_ALL=C

B=${BPFVM_BUILD_DIR:?BPFVM_BUILD_DIR must point to the build directory}
SRC=${BPFVM_SOURCE_DIR:?BPFVM_SOURCE_DIR must point to the source directory}
BPFVM=$B/bpfvm
[ -x "$BPFVM" ] || { echo "missing $BPFVM (build it first)"; exit 1; }
CORPUS=$SRC/tests/verifier
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() {
	fail=$((fail + 1))
	echo "FAIL: $*"
}

# ---- 1. the corpus ----
header() { sed -n "s/^[#/]* *$2: *//p" "$1" | head -n 1; }
nacc=0 nrej=0 nc=0
have_clang=0
command -v clang >/dev/null 2>&1 && have_clang=1
for verdict in accepted rejected; do
	for f in "$CORPUS/$verdict"/*.s "$CORPUS/$verdict"/*.c; do
		[ -f "$f" ] || continue
		name=$verdict/$(basename "$f")
		args=()
		if [[ $f == *.c ]]; then
			if [ $have_clang -eq 0 ]; then
				echo "note: $name not checked: no clang"
				continue
			fi
			obj=$tmp/$(basename "$f" .c).o
			if ! clang -O2 -g -target bpf -I"/usr/include/$(uname -m)-linux-gnu" -c "$f" -o "$obj" 2>err; then
				bad "$name: clang: $(head -c 300 err)"
				continue
			fi
			target=$obj
			nc=$((nc + 1))
		else
			target=$f
			type=$(header "$f" type)
			args=(--type "${type:-socket}")
			[[ $(header "$f" helpers) == conformance* ]] && args+=(--helpers conformance)
		fi
		"$BPFVM" verify "$target" "${args[@]}" >out 2>err
		rc=$?
		if [ $verdict = accepted ]; then
			nacc=$((nacc + 1))
			if [ $rc -eq 0 ] && [ "$(tail -n 1 out)" = accepted ] &&
				grep -Eq '^processed [0-9]+ insns \(limit 1000000\) max_states_per_insn [0-9]+ total_states [0-9]+ peak_states [0-9]+$' out &&
				[ ! -s err ]; then
				ok
			else
				bad "$name: expected accepted, exit $rc: $(tail -n 3 out | tr '\n' ' ') $(head -c 300 err)"
			fi
		else
			nrej=$((nrej + 1))
			want=$(header "$f" expect)
			if [ -z "$want" ]; then
				bad "$name: no expect line"
				continue
			fi
			# one line on stderr: bpfvm: FILE:insn N: ... REASON ...
			if [ $rc -eq 1 ] && [ "$(wc -l <err)" -eq 1 ] && grep -Eq "^bpfvm: [^:]+:insn [0-9]+: " err &&
				grep -qF -- "$want" err && grep -qF -- "$want" out && grep -q '^processed ' out &&
				! grep -qx accepted out; then
				ok
			else
				bad "$name: expected exit 1 with '$want', exit $rc: $(head -c 300 err) / $(tail -n 2 out | tr '\n' ' ')"
			fi
		fi
	done
done
echo "corpus through bpfvm verify: $nacc accepted and $nrej rejected programs checked ($nc from C)"
[ $nacc -ge 40 ] && [ $nrej -ge 60 ] && ok || bad "the corpus is smaller than expected: $nacc accepted, $nrej rejected"

# ---- 2. the sock_example and the examples ----
"$BPFVM" verify "$SRC/examples/sock_example.s" --type socket >out 2>&1 && [ "$(tail -n 1 out)" = accepted ] && ok ||
	bad "examples/sock_example.s does not verify: $(cat out)"
nobj=0
for o in "$B"/examples/bpf/*.o; do
	[ -f "$o" ] || continue
	nobj=$((nobj + 1))
	"$BPFVM" verify "$o" >out 2>err
	rc=$?
	nprog=$(grep -c '^program ' out)
	nok=$(grep -cx accepted out)
	[ $rc -eq 0 ] && [ "$nprog" -ge 1 ] && [ "$nprog" -eq "$nok" ] && ok ||
		bad "$(basename "$o"): exit $rc, $nok of $nprog programs accepted: $(cat err)"
done
if [ $nobj -eq 0 ]; then
	echo "note: no example objects in $B/examples/bpf (clang missing at build time): only sock_example.s checked"
else
	echo "examples: sock_example.s and $nobj objects verify"
fi

# ---- 3. run verifies first ----
cat >oob.s <<'EOF'
r0 = *(u32 *)(r1 + 4)
exit
EOF
"$BPFVM" run oob.s --mem "01 02 03 04" >out 2>err
rc=$?
[ $rc -eq 1 ] && [ ! -s out ] && grep -q "^bpfvm: oob.s:insn 0: invalid access to memory, mem_size=4 off=4 size=4" err && ok ||
	bad "run of a rejected program: exit $rc: $(cat out err)"
"$BPFVM" run oob.s --mem "01 02 03 04" --log-level 1 >out 2>err
[ $? -eq 1 ] && grep -qF '0: (61) r0 = *(u32 *)(r1 + 4)' err && grep -q '^processed 1 insns' err && ok ||
	bad "run --log-level 1: $(cat err)"
"$BPFVM" run oob.s --mem "01 02 03 04" --no-verify >out 2>err
[ $? -eq 4 ] && grep -q "^bpfvm: oob.s:insn 0: " err && ok || bad "run --no-verify of a faulting program: $(cat out err)"
# with 8 bytes it verifies (for that memory) and reads them
"$BPFVM" run oob.s --mem "01 02 03 04 05 06 07 08" >out 2>err && [ "$(cat out)" = 0x8070605 ] && ok ||
	bad "verified raw run: $(cat out err)"
# a branchy program: verified (unchecked) and checked runs agree, on both engines
cat >sum.s <<'EOF'
r0 = 0
if r2 < 8 goto +6
r3 = *(u8 *)(r1 + 0)
r4 = *(u8 *)(r1 + 7)
if r3 > r4 goto +2
r0 = r4
goto +2
r0 = r3
r0 *= 3
exit
EOF
engines=interp
"$BPFVM" run sum.s --engine jit --mem 00 >/dev/null 2>&1 && engines="interp jit"
for e in $engines; do
	for mem in "05 00 00 00 00 00 00 09" "0a 00 00 00 00 00 00 02" "01 02"; do
		a=$("$BPFVM" run sum.s --engine $e --mem "$mem" 2>&1)
		b=$("$BPFVM" run sum.s --engine $e --mem "$mem" --no-verify 2>&1)
		[ "$a" = "$b" ] && [[ $a =~ ^0x[0-9a-f]+$ ]] && ok || bad "engine $e mem '$mem': verified '$a', checked '$b'"
	done
done

# ---- 4. log levels, ELF --program, usage ----
"$BPFVM" verify sum.s --mem-size 8 --log-level 0 >out0 2>&1
"$BPFVM" verify sum.s --mem-size 8 --log-level 1 >out1 2>&1
"$BPFVM" verify sum.s --mem-size 8 --log-level 2 >out2 2>&1
[ "$(wc -l <out0)" -eq 2 ] && grep -q '^processed ' out0 && ok || bad "log level 0: $(cat out0)"
l1=$(wc -l <out1) l2=$(wc -l <out2)
[ "$l2" -gt "$l1" ] && [ "$l1" -gt 2 ] && grep -qF '2: (71) r3 = *(u8 *)(r1 + 0)' out1 && ok ||
	bad "log levels 1 ($l1 lines) and 2 ($l2 lines)"
"$BPFVM" verify oob.s --log-level 0 >out 2>err
[ $? -eq 1 ] && [ ! -s out ] && [ "$(wc -l <err)" -eq 1 ] && ok || bad "rejected at level 0: $(cat out err)"
xdp=$B/examples/bpf/xdp_count.o
if [ -f "$xdp" ]; then
	first=$(sed -n 's/^program \([^ ]*\) .*/\1/p' < <("$BPFVM" verify "$xdp") | head -n 1)
	"$BPFVM" verify "$xdp" --program "$first" >out 2>&1 && [ "$(grep -c '^program ' out)" -eq 1 ] && ok ||
		bad "verify --program $first: $(cat out)"
	"$BPFVM" verify "$xdp" --program nosuch >out 2>err
	[ $? -ne 0 ] && [ "$(wc -l <err)" -eq 1 ] && ok || bad "verify --program nosuch: $(cat err)"
	"$BPFVM" verify "$xdp" --type xdp >/dev/null 2>err
	[ $? -eq 2 ] && ok || bad "verify OBJ --type: $(cat err)"
fi
"$BPFVM" verify --help >out && grep -q -- '--log-level' out && grep -q -- '--type' out && ok || bad "verify --help"
"$BPFVM" run --help >out && grep -q -- '--no-verify' out && ok || bad "run --help lacks --no-verify"
"$BPFVM" verify sum.s --bogus >/dev/null 2>err
[ $? -eq 2 ] && ok || bad "unknown option: $(cat err)"
printf 'r0 = 0\nexit\n' | "$BPFVM" verify - >out 2>&1 && [ "$(tail -n 1 out)" = accepted ] && ok ||
	bad "verify from stdin: $(cat out)"
printf 'not an instruction\n' >junk.s
"$BPFVM" verify junk.s >/dev/null 2>err
[ $? -eq 3 ] && grep -q '^bpfvm: junk.s:1:1: ' err && ok || bad "assembly error: $(cat err)"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
