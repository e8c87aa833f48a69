#!/bin/bash
# jit.sh - the x86-64 JIT through the tools:
#  1. --help of bpfvm run, bpfvm disasm and bpfvm-plugin names the options;
#  2. the conformance suite on the JIT: conformance_plugin.sh with
#     BPFVM_TEST_ENGINE=jit (every assembled.tsv row through
#     `bpfvm-plugin --engine jit`, every .data file through
#     `bpfvm run --engine jit`, r0 compared with the suite's values), plus
#     uBPF's `--jit` spelling on a sample of rows;
#  3. `bpfvm run --engine interp` and `--engine jit` give the same stdout,
#     stderr (heap addresses masked) and exit code: single runs with maps and
#     --json, bpf-to-bpf calls, every --budget from 1 until the program
#     finishes, the run-time faults (memory, budget, callx, call depth), and
#     runs over examples/data/sample.pcap (sock_example.s -- whose map counts
#     must also be non-trivial --, XDP with direct packet access, LD_ABS/LD_IND
#     with the SKF_NET_OFF window, hash maps, ring buffers, raw programs, a
#     fault in a frame, a budget fault in a frame); --trace with the JIT is a
#     usage error;
#  4. `bpfvm disasm --jit` (trusted and --checked images) on these programs and
#     on every conformance program: the eBPF lines are exactly `bpfvm disasm`'s,
#     indexes increasing; every instruction has native code except `rX = rX`
#     and `rX = le64 rX` (which the JIT may compile to nothing); native
#     offsets are contiguous from 0 to the size in the header; no "(bad)";
#     each "<insn N+K>" annotation points at the right place; each eBPF jump
#     and local call has a native branch to its target; GNU objdump (an
#     independent decoder, when installed) decodes the same bytes into the
#     same instruction boundaries without "(bad)"; --no-bytes and --syntax
#     ubpf change only what they should; the checker itself rejects corrupted
#     listings.
# On hosts other than x86-64 it checks that --engine jit exits with 5 and
# skips (77) the rest.
set -u
export LC_ALL=C

B=${BPFVM_BUILD_DIR:?BPFVM_BUILD_DIR must point to the build directory}
SRC=${BPFVM_SOURCE_DIR:?BPFVM_SOURCE_DIR must point to the source directory}
C=${BPFVM_CONFORMANCE_DIR:-}
BPFVM=$B/bpfvm
PLUGIN=$B/bpfvm-plugin
for t in "$BPFVM" "$PLUGIN"; do
	[ -x "$t" ] || { echo "missing $t (build it first)"; exit 1; }
done
PCAP=$SRC/examples/data/sample.pcap
SOCK=$SRC/examples/sock_example.s
[ -r "$PCAP" ] && [ -r "$SOCK" ] || { echo "missing $PCAP or $SOCK"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

E_OK=0 E_PROG=1 E_USAGE=2 E_RUN=4 E_UNSUPP=5

# expect NAME CODE REGEX CMD...: exit CODE, one stderr line matching REGEX,
# nothing on stdout, never a signal.
expect() {
	local name=$1 code=$2 re=$3
	shift 3
	"$@" >out 2>err </dev/null
	local rc=$?
	if [ $rc -ge 128 ]; then
		bad "$name: killed by signal $((rc - 128))"
	elif [ $rc -ne "$code" ]; then
		bad "$name: exit $rc, expected $code; stderr: $(head -c 300 err)"
	elif [ "$(wc -l <err)" -ne 1 ]; then
		bad "$name: expected one stderr line, got: $(head -c 600 err)"
	elif ! grep -Eq -- "$re" err; then
		bad "$name: stderr '$(cat err)' does not match '$re'"
	elif [ -s out ]; then
		bad "$name: failure printed on stdout: $(head -c 200 out)"
	else
		ok
	fi
}

printf 'mov %%r0, 2\nadd %%r0, 3\nexit\n' >five.s

# ---- 1. help ----
help_has() { # NAME WORDS... -- CMD...: the help (exit 0) contains every word
	local name=$1 words=() w
	shift
	while [ "$1" != "--" ]; do words+=("$1"); shift; done
	shift
	"$@" >help.txt 2>&1
	local rc=$? miss=""
	for w in "${words[@]}"; do grep -q -- "$w" help.txt || miss="$miss $w"; done
	[ $rc -eq 0 ] && [ -z "$miss" ] && ok || bad "$name: exit $rc, missing:$miss"
}
help_has "run --help" "--engine" "jit" "--trace" -- "$BPFVM" run --help
help_has "disasm --help" "--jit" "--checked" "--no-bytes" "--type" -- "$BPFVM" disasm --help
help_has "plugin --help" "--engine" "--jit" "--interpret" -- "$PLUGIN" --help

# ---- non-x86-64 hosts: the JIT is refused with exit code 5 ----
if [ "$(uname -m)" != x86_64 ]; then
	expect "run --engine jit off x86-64" $E_UNSUPP "x86-64" "$BPFVM" run five.s --engine jit
	expect "disasm --jit off x86-64" $E_UNSUPP "x86-64" "$BPFVM" disasm --jit five.s
	printf 'b7 00 00 00 07 00 00 00 95 00 00 00 00 00 00 00\n' >seven.hex
	"$PLUGIN" --jit <seven.hex >out 2>err
	[ $? -eq $E_UNSUPP ] && grep -q x86-64 err && ok || bad "plugin --jit off x86-64: $(cat err)"
	echo "$pass passed, $fail failed"
	echo "skipped: the JIT needs an x86-64 host (checked that the tools say so with exit code 5)"
	[ $fail -eq 0 ] && exit 77
	exit 1
fi

# ---- 2. the conformance suite on the JIT ----
if [ -n "$C" ] && [ -f "$C/assembled.tsv" ]; then
	BPFVM_TEST_ENGINE=jit bash "$SRC/tests/cli/conformance_plugin.sh" >conf.txt 2>&1
	rc=$?
	grep -E '^(FAIL|plugin|bpfvm asm)' conf.txt | head -50
	last=$(tail -n 1 conf.txt)
	if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		echo "conformance on the JIT: $last"
		pass=$((pass + BASH_REMATCH[1]))
		fail=$((fail + BASH_REMATCH[2]))
		[ $rc -eq 0 ] || [ "${BASH_REMATCH[2]}" -gt 0 ] || bad "conformance_plugin.sh exit $rc"
	else
		bad "conformance on the JIT: exit $rc, no summary: $(tail -c 300 conf.txt)"
	fi
	# uBPF's spelling, --jit, on every 20th row
	awk -F'\t' '!/^#/ && NF >= 4 && ++n % 20 == 1 { m = $3; gsub(/../, "& ", m); print $2 "|" m "|" $4 }' \
		"$C/assembled.tsv" >rows
	jp=0 jf=0
	while IFS='|' read -r want mem prog; do
		if [ -n "${mem// /}" ]; then
			got=$(printf '%s\n' "$prog" | "$PLUGIN" "$mem" --jit 2>err)
		else
			got=$(printf '%s\n' "$prog" | "$PLUGIN" --jit 2>err)
		fi
		rc=$?
		# the expected value is hex (0x...) or decimal; bash wraps both to 64 bits alike
		if [[ $want == 0x* ]]; then w=$((16#${want#0x})); else w=$((10#$want)); fi
		if [ $rc -eq 0 ] && [[ $got =~ ^0x[0-9a-f]{1,16}$ ]] && (( 16#${got#0x} == w )); then
			jp=$((jp + 1))
		else
			jf=$((jf + 1))
			echo "FAIL plugin --jit: expected $want, got '$got' $(head -c 200 err)"
		fi
	done <rows
	[ $jp -gt 0 ] && [ $jf -eq 0 ] && ok || bad "plugin --jit: $jp passed, $jf failed"
else
	echo "skipped part: conformance suite not found (BPFVM_CONFORMANCE_DIR='$C')"
fi

# ---- 3. the same results on both engines ----
# The heap addresses in memory-fault messages change from run to run.
mask() { sed -E 's/0x[0-9a-f]{6,}/0xADDR/g' "$1" >"$1.m"; }
# same NAME CODE ARGS...: `bpfvm run ARGS` exits with CODE on both engines
# and prints the same; a failure is one line on stderr. The runs are
# checked (--no-verify: the runtime-checked images and their faults) unless
# VERIFIED=1 (then the verifier's proof, and the unchecked images).
VERIFIED=0
same() {
	local name=$1 code=$2 mode=--no-verify
	shift 2
	[ $VERIFIED = 1 ] && mode=
	"$BPFVM" run "$@" $mode --engine interp >i.out 2>i.err </dev/null
	local ri=$?
	"$BPFVM" run "$@" $mode --engine jit >j.out 2>j.err </dev/null
	local rj=$?
	mask i.err
	mask j.err
	if [ $ri -ge 128 ] || [ $rj -ge 128 ]; then
		bad "$name: killed by a signal (exit $ri on the interpreter, $rj on the JIT)"
	elif [ $ri -ne "$code" ] || [ $rj -ne "$code" ]; then
		bad "$name: exit $ri on the interpreter, $rj on the JIT, expected $code; $(head -c 300 i.err) / $(head -c 300 j.err)"
	elif ! cmp -s i.out j.out; then
		bad "$name: stdout differs: $(diff i.out j.out | head -6 | tr '\n' ' ')"
	elif ! cmp -s i.err.m j.err.m; then
		bad "$name: stderr differs: '$(cat i.err)' / '$(cat j.err)'"
	elif [ "$code" -eq 0 ] && { [ ! -s j.out ] || [ -s j.err ]; }; then
		bad "$name: success must print on stdout only: $(head -c 200 j.err)"
	elif [ "$code" -ne 0 ] && { [ "$(wc -l <j.err)" -ne 1 ] || ! grep -q '^bpfvm: ' j.err; }; then
		bad "$name: a failure must be one 'bpfvm: ' line: $(head -c 300 j.err)"
	else
		ok
	fi
}

cat >hist.s <<'EOF'
.map counts hash key=4 value=8 entries=64
.map arr array key=4 value=8 entries=4
	mov %r6, 0
	mov %r7, 0
loop:
	mov %r1, %r6
	mod %r1, 5
	stxw [%r10-4], %r1
	stxdw [%r10-16], %r6
	lddw %r1, map_idx counts
	mov %r2, %r10
	add %r2, -4
	call bpf_map_lookup_elem
	jeq %r0, 0, miss
	ldxdw %r1, [%r0]
	add %r1, %r6
	stxdw [%r0], %r1
	ja next
miss:
	lddw %r1, map_idx counts
	mov %r2, %r10
	add %r2, -4
	mov %r3, %r10
	add %r3, -16
	mov %r4, 0
	call bpf_map_update_elem
next:
	mov %r1, %r6
	and %r1, 3
	stxw [%r10-4], %r1
	lddw %r1, map_idx arr
	mov %r2, %r10
	add %r2, -4
	call bpf_map_lookup_elem
	jeq %r0, 0, skip
	mov %r1, 1
	lock add [%r0], %r1
skip:
	add %r7, %r6
	add %r6, 1
	jlt %r6, 20, loop
	mov %r0, %r7
	exit
EOF
# r0 = a hash of the memory's bytes, one bpf-to-bpf call per byte; the callee
# reads the caller's stack through a pointer and uses its own frame
cat >sum.s <<'EOF'
	mov %r6, %r1
	mov %r7, %r2
	mov %r8, 0
	mov %r9, 0
loop:
	jge %r8, %r7, done
	mov %r1, %r6
	add %r1, %r8
	stxdw [%r10-8], %r9
	mov %r2, %r10
	add %r2, -8
	call local step
	mov %r9, %r0
	add %r8, 1
	ja loop
done:
	mov %r0, %r9
	exit
step:
	ldxdw %r3, [%r2]
	stxdw [%r10-16], %r3
	ldxb %r4, [%r1]
	ldxdw %r0, [%r10-16]
	mul %r0, 31
	add %r0, %r4
	exit
EOF
MEM10="01 02 03 04 05 06 07 08 09 0a"
same "five" $E_OK five.s
same "maps" $E_OK hist.s
same "maps --json" $E_OK hist.s --json
grep -q '"counts": \[{"key": 0, "value": 30}' j.out && ok || bad "maps --json: unexpected counts: $(cat j.out)"
same "bpf-to-bpf calls over memory" $E_OK sum.s --mem "$MEM10"
same "bpf-to-bpf calls --json" $E_OK sum.s --mem "$MEM10" --json
same "maps, ubpf syntax input, --helpers kernel" $E_OK hist.s --syntax ubpf --helpers kernel
cp j.out checked.out
VERIFIED=1 same "verified: maps" $E_OK hist.s --syntax ubpf --helpers kernel
cmp -s j.out checked.out && ok || bad "verified and checked runs of hist.s differ: $(diff checked.out j.out | head -4)"

# every budget from 1 until sum.s finishes: the same r0 or the same
# "insn N: instruction budget exhausted" at the same instruction
bp=0 bf=0 nfault=0 nok=0
declare -A fault_at=()
for ((b = 1; b <= 400; b++)); do
	"$BPFVM" run sum.s --mem "$MEM10" --budget $b --engine interp --no-verify >i.out 2>i.err
	ri=$?
	"$BPFVM" run sum.s --mem "$MEM10" --budget $b --engine jit --no-verify >j.out 2>j.err
	rj=$?
	if [ $ri -eq $rj ] && cmp -s i.out j.out && cmp -s i.err j.err; then
		bp=$((bp + 1))
	else
		bf=$((bf + 1))
		[ $bf -le 5 ] && echo "FAIL --budget $b: interp exit $ri '$(cat i.out i.err)', jit exit $rj '$(cat j.out j.err)'"
	fi
	if [ $ri -eq $E_RUN ]; then
		nfault=$((nfault + 1))
		fault_at[$(sed -E 's/.*:insn ([0-9]+):.*/\1/' i.err)]=1
	elif [ $ri -eq 0 ]; then
		nok=$((nok + 1))
		break
	fi
done
echo "budget sweep: $((bp + bf)) budgets, $nfault budget faults at ${#fault_at[@]} different instructions, $nok finished; $bp same, $bf different"
[ $bf -eq 0 ] && [ $nok -eq 1 ] && [ ${#fault_at[@]} -ge 5 ] && ok || bad "budget sweep"

# run-time faults
printf 'mov %%r2, 0\nldxdw %%r0, [%%r2+16]\nexit\n' >null.s
printf 'ldxdw %%r0, [%%r1+100]\nexit\n' >oob.s
printf 'stdw [%%r10-8], 5\nldxdw %%r0, [%%r10+8]\nexit\n' >above.s
printf 'stw [%%r10-516], 1\nexit\n' >below.s
printf 'mov %%r1, 123456\ncall %%r1\nexit\n' >callx.s
printf 'call local f\nexit\nf:\ncall local f\nexit\n' >rec.s
printf 'mov %%r0, 0\nloop:\nadd %%r0, 1\nja loop\n' >loop.s
printf 'mov %%r1, 1\nmov %%r2, 0\nstxb [%%r2+0], %%r1\nexit\n' >wnull.s
same "read at 0x10" $E_RUN null.s
grep -q '^bpfvm: null\.s:insn 1: .*0x10 ' j.err && ok || bad "read at 0x10: $(cat j.err)"
same "read past the memory" $E_RUN oob.s --mem "$MEM10"
same "read above the stack" $E_RUN above.s
same "write below the stack" $E_RUN below.s
same "write at 0" $E_RUN wnull.s
same "callx to an unknown helper" $E_RUN callx.s
same "call depth" $E_RUN rec.s
same "infinite loop" $E_RUN loop.s --budget 1000
same "infinite loop, default budget" $E_RUN loop.s
printf 'ja +5\nexit\n' >far.s
same "load error" $E_PROG far.s

# --trace is the interpreter's
expect "run --engine jit --trace" $E_USAGE "^bpfvm: run: --trace needs the interpreter" \
	"$BPFVM" run five.s --engine jit --trace
"$BPFVM" run five.s --engine interp --trace >out 2>err && grep -q '^       1:' out && ok ||
	bad "--trace with --engine interp: $(cat out err)"
expect "plugin bad engine" $E_USAGE "unknown engine" "$PLUGIN" --engine turbo

# ---- runs over the capture ----
same "sock_example.s" $E_OK "$SOCK" --pcap "$PCAP"
# the map counts are there (and equal, as the whole report is)
rows=$(awk '/^map my_map/ { m = 1; next } m && /^ +[0-9]+ +[0-9]+$/ { n++ } END { print n + 0 }' j.out)
total=$(awk '/^map my_map/ { m = 1; next } m && /^ +[0-9]+ +[0-9]+$/ { s += $2 } END { print s + 0 }' j.out)
packets=$(awk '/^packets:/ { print $2 }' j.out)
[ "$rows" -ge 2 ] && [ "$total" -gt 0 ] && [ "$total" -le "${packets:-0}" ] && ok ||
	bad "sock_example.s on the JIT: $rows map rows, total $total, $packets packets: $(cat j.out)"
same "sock_example.s --json" $E_OK "$SOCK" --pcap "$PCAP" --json
same "sock_example.s --count 10" $E_OK "$SOCK" --pcap "$PCAP" --count 10 --json

cat >xdp.s <<'EOF'
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 24
r0 = 2
if r4 > r3 goto exit
r5 = *(u8 *)(r2 + 23)
r0 = 1
if r5 == 6 goto exit
r0 = 3
if r5 == 17 goto exit
r0 = 4
if r5 == 1 goto exit
r0 = 7
exit
EOF
same "xdp" $E_OK xdp.s --type xdp --pcap "$PCAP"
same "xdp --json" $E_OK xdp.s --type xdp --pcap "$PCAP" --json

# LD_ABS in the kernel's SKF_NET_OFF window (-0x100000 + 9: the IP protocol),
# LD_IND, an array map, r0 = skb->len
cat >netoff.s <<'EOF'
.map proto array key=4 value=8 entries=256
	mov %r6, %r1
	ldabsb -1048567
	stxw [%r10-4], %r0
	mov %r7, 14
	ldindh %r7, -2
	mov %r8, %r0
	lddw %r1, map_idx proto
	mov %r2, %r10
	add %r2, -4
	call bpf_map_lookup_elem
	jeq %r0, 0, out
	ldxdw %r1, [%r0]
	add %r1, %r8
	stxdw [%r0], %r1
out:
	ldxw %r0, [%r6+0]
	exit
EOF
same "LD_ABS/LD_IND" $E_OK netoff.s --pcap "$PCAP" --json
# a hash map keyed by skb->len, created and updated from the program
cat >lenhash.s <<'EOF'
.map bylen hash key=4 value=8 entries=1024
	ldxw %r1, [%r1+0]
	stxw [%r10-4], %r1
	lddw %r1, map_idx bylen
	mov %r2, %r10
	add %r2, -4
	call bpf_map_lookup_elem
	jeq %r0, 0, new
	mov %r1, 1
	lock add [%r0], %r1
	mov %r0, 1
	exit
new:
	stdw [%r10-16], 1
	lddw %r1, map_idx bylen
	mov %r2, %r10
	add %r2, -4
	mov %r3, %r10
	add %r3, -16
	mov %r4, 1
	call bpf_map_update_elem
	mov %r0, 0
	exit
EOF
same "hash map per length" $E_OK lenhash.s --pcap "$PCAP"
same "hash map per length --json" $E_OK lenhash.s --pcap "$PCAP" --json
cat >rb.s <<'EOF'
.map events ringbuf entries=4096
	ldabsb 23
	stxdw [%r10-8], %r0
	lddw %r1, map_idx events
	mov %r2, %r10
	add %r2, -8
	mov %r3, 1
	mov %r4, 0
	call bpf_ringbuf_output
	mov %r0, 0
	exit
EOF
same "ring buffer" $E_OK rb.s --pcap "$PCAP" --count 12
printf 'mov %%r0, %%r2\nexit\n' >len.s
same "raw r0 = r2" $E_OK len.s --type raw --pcap "$PCAP"
same "raw sum of the frame" $E_OK sum.s --type raw --pcap "$PCAP" --json
# faults in a frame: a read 16 MiB past the first UDP frame's data, a budget
# that a long frame exhausts
cat >past.s <<'EOF'
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 24
r0 = 2
if r4 > r3 goto +4
r5 = *(u8 *)(r2 + 23)
if r5 != 17 goto +2
r2 += 16777216
r0 = *(u8 *)(r2 + 0)
exit
EOF
same "xdp read far past a frame" $E_RUN past.s --type xdp --pcap "$PCAP"
grep -q '^bpfvm: past\.s:insn 9: frame [1-9][0-9]* of .*: invalid memory access' j.err && ok ||
	bad "fault in a frame: $(cat j.err)"
same "budget fault in a frame" $E_RUN sum.s --type raw --pcap "$PCAP" --budget 1500
grep -q 'budget' j.err && ok || bad "budget fault in a frame: $(cat j.err)"

# ---- 4. disasm --jit ----
cat >check.awk <<'EOF'
# awk -f check.awk PLAIN LISTING: checks a `bpfvm disasm --jit` listing
# against the plain `bpfvm disasm` of the same program (PLAIN). Writes starts
# (decimal offsets of the native instructions) and hex (the image bytes);
# prints "ERR ..." lines and one "STATS slots insns empty native entry stubs
# [pcs without code]" line.
function err(m) { if (nerr++ < 10) print "ERR " m }
function hexval(s,    i, v, c) {
	v = 0
	s = tolower(s)
	sub(/^0x/, "", s)
	for (i = 1; i <= length(s); i++) {
		c = index("0123456789abcdef", substr(s, i, 1))
		if (c == 0) return -1
		v = v * 16 + c - 1
	}
	return v
}
# The no-ops the JIT may leave without code (src/jit/jit_x86.c): rX = rX,
# rX = le64 rX, 64-bit shifts by a multiple of 64, 64-bit modulo by 0.
function may_be_empty(t,    a, n) {
	n = split(t, a, " ")
	if (a[1] !~ /^r[0-9]+$/) return 0
	if (n == 3 && a[2] == "=" && a[1] == a[3]) return 1
	if (n == 4 && a[2] == "=" && a[3] == "le64" && a[1] == a[4]) return 1
	if (n == 3 && (a[2] == "<<=" || a[2] == ">>=" || a[2] == "s>>=") && a[3] ~ /^-?[0-9]+$/ && a[3] % 64 == 0) return 1
	if (n == 3 && (a[2] == "%=" || a[2] == "s%=") && a[3] == "0") return 1
	return 0
}
BEGIN { sec = 0; next_off = 0; cur = -1; ninsn = 0; nat_total = 0; len = -1; nwant = 0 }
FNR == NR {
	if ($0 !~ /^\.map /) {
		p = index($0, ":\t")
		want[++nwant] = p ? substr($0, p + 2) : "?" $0
	}
	next
}
FNR == 1 {
	if ($0 !~ /^; .*: x86-64 code of the (trusted|runtime-checked) image, [0-9]+ bytes for [0-9]+ eBPF slots$/)
		err("bad header: " $0)
	n = split($0, w, " ")
	for (i = 2; i <= n; i++) {
		if (w[i] == "bytes") len = w[i - 1] + 0
		if (w[i] == "eBPF") slots = w[i - 1] + 0
	}
	next
}
$0 == "; entry trampoline" { if (sec != 0) err("entry section out of order"); sec = 1; next }
$0 == "; shared slow paths and out-of-line stubs" {
	if (sec != 2) err("stubs section out of order (after section " sec ")")
	sec = 3
	next
}
/^ *[0-9]+:\t/ {
	if (sec == 1 && entry_n == 0) err("the entry trampoline has no code")
	if (sec != 1 && sec != 2) err("eBPF line outside the body: " $0)
	sec = 2
	p = index($0, ":\t")
	pc = substr($0, 1, p - 1) + 0
	if (pc <= cur) err("insn " pc " after insn " cur)
	cur = pc
	text[pc] = substr($0, p + 2)
	order[++ninsn] = pc
	nat[pc] = 0
	if (ninsn > nwant || want[ninsn] != text[pc])
		err("eBPF line " ninsn " is '" text[pc] "', bpfvm disasm has '" want[ninsn] "'")
	next
}
/^\t[0-9a-f]+:  / {
	line = substr($0, 2)
	p = index(line, ":")
	off = hexval(substr(line, 1, p - 1))
	rest = substr(line, p + 3)
	if (off != next_off) err("native instruction at " off " but the previous one ends at " next_off)
	nb = 0
	hx = ""
	while (match(rest, /^[0-9a-f][0-9a-f] /)) {
		hx = hx substr(rest, 1, 2)
		rest = substr(rest, 4)
		nb++
	}
	sub(/^ +/, "", rest)
	if (nb == 0) err("no bytes at " off ": " $0)
	if (rest == "") err("no mnemonic at " off)
	if (rest ~ /\(bad\)/) err("undecodable bytes at " off ": " $0)
	next_off = off + nb
	print off > "starts"
	print hx > "hex"
	nat_total++
	if (sec == 1) entry_n++
	else if (sec == 2) { if (nat[cur]++ == 0) first[cur] = off }
	else if (sec == 3) stub_n++
	else err("native line before any section")
	if (match(rest, /; <insn [0-9]+(\+0x[0-9a-f]+)?>$/)) {
		ann = substr(rest, RSTART + 8, RLENGTH - 9)
		k = 0
		if ((q = index(ann, "+")) > 0) { k = hexval(substr(ann, q + 1)); ann = substr(ann, 1, q - 1) }
		if (!match(rest, /0x[0-9a-f]+\t;/)) { err("annotated branch without a target: " $0); next }
		na++
		a_t[na] = ann + 0
		a_k[na] = k
		a_off[na] = hexval(substr(rest, RSTART, RLENGTH - 2))
		if (sec == 2 && k == 0) jumps[cur] = jumps[cur] " " ann " "
	}
	next
}
{ err("unexpected line: " $0) }
END {
	if (sec != 3) err("no stubs section")
	if (stub_n == 0) err("the stubs section has no code")
	if (next_off != len) err("the code ends at " next_off " but the header says " len " bytes")
	for (i = 1; i <= na; i++) {
		if (!(a_t[i] in first)) err("branch to <insn " a_t[i] ">, which has no code")
		else if (first[a_t[i]] + a_k[i] != a_off[i])
			err("branch annotated <insn " a_t[i] "+" a_k[i] "> goes to " a_off[i] ", insn " a_t[i] " starts at " first[a_t[i]])
	}
	empty = 0
	elist = ""
	for (i = 1; i <= ninsn; i++) {
		pc = order[i]
		if (nat[pc] > 0) continue
		if (!may_be_empty(text[pc])) err("insn " pc " (" text[pc] ") has no native instruction")
		empty++
		elist = elist " " pc
	}
	# eBPF jumps and local calls: the native code of pc branches to the first
	# instruction with code at or after the target
	for (i = 1; i <= ninsn; i++) {
		pc = order[i]
		t = text[pc]
		tgt = -1
		if (match(t, /(goto|gotol|may_goto) [+-][0-9]+/)) {
			s = substr(t, RSTART, RLENGTH)
			sub(/^[a-z_]+ /, "", s)
			tgt = pc + 1 + s
		} else if (match(t, /# local call to insn [0-9]+/)) {
			tgt = substr(t, RSTART + 21, RLENGTH - 21) + 0
		}
		if (tgt < 0) continue
		x = -1
		for (j = 1; j <= ninsn; j++)
			if (order[j] >= tgt && nat[order[j]] > 0) { x = order[j]; break }
		if (x >= 0 && index(jumps[pc], " " x " ") == 0)
			err("insn " pc " (" t ") has no native branch to <insn " x ">")
	}
	if (ninsn == 0) err("no eBPF instruction")
	if (ninsn != nwant) err(ninsn " eBPF lines, bpfvm disasm has " nwant)
	print "STATS " slots " " ninsn " " empty " " nat_total " " entry_n + 0 " " stub_n + 0 elist
}
EOF

have_od=0
command -v objdump >/dev/null 2>&1 && command -v xxd >/dev/null 2>&1 &&
	objdump --help 2>/dev/null | grep -q -- '--insn-width' && have_od=1
[ $have_od -eq 1 ] || echo "note: GNU objdump or xxd missing: native code not cross-checked with objdump"

# objdump on the bytes in ./hex: its instruction starts must be ./starts,
# without "(bad)"; prints what differs
cat >od.awk <<'EOF'
FNR == NR { want[++n] = $1; next }
/\(bad\)/ { if (!bad++) print "objdump finds undecodable bytes: " $0 }
/^ *[0-9a-f]+:\t/ {
	s = $0; sub(/^ */, "", s); sub(/:.*/, "", s); v = 0
	for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
	if (++k > n || want[k] != v) { if (!diff++) print "objdump starts an instruction at " v ", bpfvm at " want[k] }
}
END { if (!diff && k != n) print "objdump finds " k " instructions, bpfvm " n }
EOF
od_check() {
	xxd -r -p hex >img.bin
	objdump -D -b binary -m i386:x86-64 -M intel --insn-width=16 img.bin >od.txt 2>&1 ||
		{ echo "objdump failed: $(head -c 200 od.txt)"; return; }
	awk -f od.awk starts od.txt
}

nocap=0
"$BPFVM" disasm --jit five.s >L 2>err
if grep -q 'built without capstone' L; then
	nocap=1
	echo "SKIPPED PART: bpfvm was built without capstone (BPFVM_HAVE_CAPSTONE): disasm --jit shows bytes only;"
	echo "              only its eBPF lines are checked"
fi

lst_n=0 lst_bad=0 lst_empty=0 lst_native=0 lst_od=0
# listing NAME PLAIN-DISASM-ARGS -- DISASM-JIT-ARGS: checks one listing
# (the plain disassembly is reused when PLAIN-DISASM-ARGS are the previous ones)
plain_key=""
listing() {
	local name=$1 plain=() jit=()
	shift
	while [ "$1" != "--" ]; do plain+=("$1"); shift; done
	shift
	jit=("$@")
	lst_n=$((lst_n + 1))
	if [ "$plain_key" != "${plain[*]}" ]; then
		"$BPFVM" disasm "${plain[@]}" >plain.txt 2>perr || {
			lst_bad=$((lst_bad + 1))
			bad "disasm $name: $(head -c 300 perr)"
			plain_key=""
			return
		}
		plain_key="${plain[*]}"
	fi
	"$BPFVM" disasm --jit "${jit[@]}" >L 2>lerr || {
		lst_bad=$((lst_bad + 1))
		bad "disasm --jit $name: exit $?: $(head -c 300 lerr)"
		return
	}
	local why="" line
	if [ $nocap -eq 1 ]; then
		grep -E '^ *[0-9]+:'$'\t' L | sed -E 's/^ *[0-9]+:\t//' >ebpf
		grep -v '^\.map ' plain.txt | sed -E 's/^ *[0-9]+:\t//' | cmp -s - ebpf || why=" eBPF lines differ from bpfvm disasm"
	else
		awk -f check.awk plain.txt L >chk.txt
		while read -r line; do
			case $line in
			ERR*) why="$why ${line#ERR }" ;;
			STATS*)
				set -- $line
				lst_empty=$((lst_empty + ${4:-0}))
				lst_native=$((lst_native + ${5:-0}))
				;;
			esac
		done <chk.txt
		if [ -z "$why" ] && [ $have_od -eq 1 ]; then
			why=$(od_check)
			[ -z "$why" ] && lst_od=$((lst_od + 1))
			[ -n "$why" ] && why=" $why"
		fi
	fi
	if [ -n "$why" ]; then
		lst_bad=$((lst_bad + 1))
		bad "disasm --jit $name:$why"
	fi
}

printf 'mov %%r0, 1\nmov %%r1, %%r1\nle64 %%r0\njeq %%r0, 1, +1\nmov %%r0, 2\nmov %%r0, %%r0\nexit\n' >nop.s
printf 'mov %%r0, 0\nja +0\nmay_goto +1\nmov %%r0, 1\nlddw %%r1, 0x123456789\nexit\n' >misc.s
for img in "" --checked; do
	listing "five.s $img" five.s -- five.s $img
	listing "hist.s $img" hist.s -- hist.s $img
	listing "sum.s $img" sum.s -- sum.s $img
	listing "rec.s $img" rec.s -- rec.s $img
	listing "callx.s $img" callx.s -- callx.s $img
	listing "nop.s $img" nop.s -- nop.s $img
	listing "misc.s $img" misc.s -- misc.s $img
	listing "loop.s $img" loop.s -- loop.s $img
	listing "netoff.s $img" netoff.s -- netoff.s --type socket $img
	listing "lenhash.s $img" lenhash.s -- lenhash.s --type socket $img
	listing "rb.s $img" rb.s -- rb.s --type socket $img
	listing "xdp.s $img" xdp.s -- xdp.s --type xdp $img
	listing "sock_example.s $img" "$SOCK" -- "$SOCK" --type socket $img
	listing "sock_example.s ubpf $img" "$SOCK" --syntax ubpf -- "$SOCK" --type socket --syntax ubpf $img
	"$BPFVM" asm sum.s -o sum.bin 2>err || bad "asm sum.s: $(cat err)"
	listing "sum.bin $img" sum.bin -- sum.bin $img
	listing "sum.bin from stdin $img" sum.bin -- - --format raw $img <sum.bin
done
# what compiles to nothing: nop.s's r1 = r1, r0 = le64 r0, r0 = r0 in the
# trusted image (insns 1, 2, 5); in the checked one insn 5 starts a block
# and gets its budget check
if [ $nocap -eq 0 ]; then
	"$BPFVM" disasm nop.s >plain.txt
	"$BPFVM" disasm --jit nop.s >L && awk -f check.awk plain.txt L >chk.txt
	grep -q '^STATS 7 7 3 .* 1 2 5$' chk.txt && ok || bad "nop.s trusted: $(cat chk.txt)"
	"$BPFVM" disasm --jit nop.s --checked >L && awk -f check.awk plain.txt L >chk.txt
	grep -q '^STATS 7 7 2 .* 1 2$' chk.txt && ok || bad "nop.s checked: $(cat chk.txt)"
fi

# every conformance program, both images
if [ -n "$C" ] && [ -f "$C/assembled.tsv" ]; then
	awk -F'\t' '!/^#/ && NF >= 4 { print $1 "\t" $4 }' "$C/assembled.tsv" >progs
	k=0
	while IFS=$'\t' read -r name hex; do
		k=$((k + 1))
		printf '%s' "$hex" | xxd -r -p >c$k.bin 2>/dev/null || {
			bad "cannot decode the hex of $name"
			continue
		}
		listing "$name" c$k.bin -- c$k.bin
		listing "$name --checked" c$k.bin -- c$k.bin --checked
	done <progs
fi
echo "disasm --jit: $lst_n listings, $lst_bad bad; $lst_native native instructions; $lst_empty eBPF instructions without code; $lst_od cross-checked with objdump"
[ $lst_bad -eq 0 ] && ok

if [ $nocap -eq 0 ]; then
	# the checker rejects broken listings
	"$BPFVM" disasm "$SOCK" >plain.txt
	"$BPFVM" disasm --jit --checked --type socket "$SOCK" >good.L
	awk -f check.awk plain.txt good.L | grep -q '^ERR' && bad "check.awk rejects a good listing"
	broken() { # NAME CMD...: CMD turns good.L into broken.L
		local name=$1
		shift
		"$@" <good.L >broken.L
		if cmp -s good.L broken.L; then
			bad "checker self-test $name: the edit changed nothing"
		elif awk -f check.awk plain.txt broken.L | grep -q '^ERR'; then
			ok
		else
			bad "checker self-test $name: not detected"
		fi
	}
	broken "missing native line" awk '!done && /^\t[0-9a-f]+:  .* cmp / { done = 1; next } 1'
	broken "wrong branch annotation" sed -E '0,/; <insn 11>/s/; <insn 11>/; <insn 10>/'
	broken "(bad)" sed -E '0,/ ret$/s/ ret$/ (bad)/'
	broken "instruction without code" sed -E '/^       9:/,/^      10:/{/^\t/d}'
	broken "index out of order" sed -E 's/^       3:/       2:/'
	broken "short code" sed -E '$d'
	broken "eBPF text" sed -E 's/^(       4:\t).*/\1r2 += -8/'

	# --no-bytes drops only the bytes (host addresses -- maps, services --
	# change from run to run)
	"$BPFVM" disasm --jit --type socket "$SOCK" >withb.L
	"$BPFVM" disasm --jit --type socket "$SOCK" --no-bytes >nob.L
	sed -E 's/^(\t[0-9a-f]+:  )([0-9a-f]{2} )+ +/\1/; s/0x[0-9a-f]{9,}/0xADDR/g' withb.L >stripped.L
	sed -E 's/0x[0-9a-f]{9,}/0xADDR/g' nob.L >nob.m
	cmp -s stripped.L nob.m && ok || bad "--no-bytes: $(diff stripped.L nob.m | head -4)"
	# the checked image has more code in the body (bounds checks, budget)
	"$BPFVM" disasm --jit --type socket "$SOCK" --checked >chk.L
	body() { awk '/^ *[0-9]+:\t/ { b = 1 } /^; shared/ { b = 0 } b && /^\t/ { n++ } END { print n + 0 }' "$1"; }
	nt=$(body withb.L) nc=$(body chk.L)
	lt=$(sed -nE '1s/.*image, ([0-9]+) bytes.*/\1/p' withb.L)
	lc=$(sed -nE '1s/.*image, ([0-9]+) bytes.*/\1/p' chk.L)
	[ "$nc" -gt "$nt" ] && [ "${lc:-0}" -gt "${lt:-0}" ] && grep -q 'runtime-checked image' chk.L &&
		grep -q 'trusted image' withb.L && ok || bad "images: trusted $nt instructions $lt bytes, checked $nc / $lc"
fi

# disasm --jit errors
expect "--checked without --jit" $E_USAGE "^bpfvm: disasm: --checked needs --jit" "$BPFVM" disasm five.s --checked
expect "--type without --jit" $E_USAGE "^bpfvm: disasm: --type needs --jit" "$BPFVM" disasm five.s --type xdp
expect "disasm --jit bad type" $E_USAGE "^bpfvm: disasm: unknown program type" "$BPFVM" disasm --jit five.s --type foo
expect "disasm --jit load error" $E_PROG "^bpfvm: far\.s:insn 0: " "$BPFVM" disasm --jit far.s
expect "disasm --jit missing file" 3 "^bpfvm: nosuch\.s: " "$BPFVM" disasm --jit nosuch.s
printf 'lddw %%r1, map_fd 3\nmov %%r0, 0\nexit\n' >nomap.s
expect "disasm --jit map fd that names no map" $E_PROG "^bpfvm: nomap\.s:insn 0: " "$BPFVM" disasm --jit nomap.s
"$BPFVM" disasm --jit nomap.s --map m:array:4:8:1 >L 2>err && grep -q '^       0:' L && ok ||
	bad "disasm --jit --map: $(cat err)"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
