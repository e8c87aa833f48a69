#!/bin/bash
# cli_run.sh - the bpfvm subcommands working together: asm -> run round trips
# on small programs whose r0 this script computes itself (bash arithmetic,
# byte order worked out by hand), --mem and --mem-file (r1 = a writable copy,
# r2 = its length), --trace, --format forcing and content detection, disasm
# (slot indexes, lddw as two slots, disasm -> asm round trip), assembler bytes
# checked against llvm-mc when it is installed, the plugin's --program, and
# every --help.
set -u
export LC_ALL=C

B=${BPFVM_BUILD_DIR:?BPFVM_BUILD_DIR must point to the build directory}
BPFVM=$B/bpfvm
PLUGIN=$B/bpfvm-plugin
for t in "$BPFVM" "$PLUGIN"; do
	[ -x "$t" ] || { echo "missing $t (build it first)"; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# r0 printed by `bpfvm run` (its last stdout line) equals the 64-bit value $2?
# (both sides are wrapped to signed 64 bits by bash the same way)
check_r0() { # NAME EXPECTED CMD...
	local name=$1 want=$2
	shift 2
	local out rc
	out=$("$@" 2>"$tmp/err")
	rc=$?
	local last=${out##*$'\n'}
	if [ $rc -ne 0 ]; then
		bad "$name: exit $rc: $(head -c 300 "$tmp/err")"
	elif ! [[ $last =~ ^0x[0-9a-f]+$ ]]; then
		bad "$name: last line '$last' is not 0x<lowercase hex>"
	elif [[ $last =~ ^0x0[0-9a-f] ]]; then
		bad "$name: '$last' is zero-padded"
	elif (( 16#${last#0x} != want )); then
		bad "$name: r0 = $last, expected $(printf '0x%x' "$want")"
	elif [ -s "$tmp/err" ]; then
		bad "$name: success wrote to stderr: $(head -c 200 "$tmp/err")"
	else
		ok
	fi
}

# Logical right shift of a 64-bit value (bash's >> is arithmetic).
lsr64() { local x=$1 s=$2; (( s == 0 )) && echo $x || echo $(( (x >> s) & ((1 << (64 - s)) - 1) )); }

RANDOM=2024
rnd32() { echo $(( (RANDOM << 17 ^ RANDOM << 2 ^ RANDOM) & 0xffffffff )); }
simm() { local v; v=$(rnd32); echo $(( v >= 0x80000000 ? v - 0x100000000 : v )); } # signed 32-bit

# ---- arithmetic round trips, both syntaxes ----
declare -a want_alu
for ((k = 0; k < 12; k++)); do
	a=$(simm) b=$(simm) c=$((RANDOM % 50000 + 1)) d=$(simm) s=$((RANDOM % 63 + 1)) e=$((RANDOM % 1000 + 1))
	# shifting right by at least 1 leaves a value below 2^63, so bash's signed
	# division is the unsigned one
	want=$(lsr64 $(( (a + b) * c ^ d )) $s)
	want_div=$(( want / e ))
	want_alu[k]=$want_div
	printf 'mov %%r0, %d\nadd %%r0, %d\nmul %%r0, %d\nxor %%r0, %d\nrsh %%r0, %d\ndiv %%r0, %d\nexit\n' \
		$a $b $c $d $s $e >alu$k.s
	printf 'r0 = %d\nr0 += %d\nr0 *= %d\nr0 ^= %d\nr0 >>= %d\nr0 /= %d\nexit\n' $a $b $c $d $s $e >alu$k.llvm.s
	"$BPFVM" asm alu$k.s -o alu$k.bin 2>err || bad "asm alu$k.s: $(cat err)"
	check_r0 "alu$k (ubpf syntax, via asm)" $want_div "$BPFVM" run alu$k.bin
	check_r0 "alu$k (llvm syntax, .s run directly)" $want_div "$BPFVM" run alu$k.llvm.s
	"$BPFVM" asm alu$k.llvm.s -o alu$k.llvm.bin 2>err && cmp -s alu$k.bin alu$k.llvm.bin && ok ||
		bad "alu$k: the two syntaxes assemble to different bytes"
done
# 32-bit ALU: results truncated to 32 bits and zero-extended
for ((k = 0; k < 6; k++)); do
	a=$(simm) b=$(simm) c=$((RANDOM + 1)) s=$((RANDOM % 32))
	want=$(( ((a + b) & 0xffffffff) * c & 0xffffffff ))
	want=$(( want >> s ))
	printf 'mov32 %%r0, %d\nadd32 %%r0, %d\nmul32 %%r0, %d\nrsh32 %%r0, %d\nexit\n' $a $b $c $s >alu32_$k.s
	check_r0 "alu32_$k" $want "$BPFVM" run alu32_$k.s
done
# lddw loads a full 64-bit constant; sign extension of a negative mov
hi=$(rnd32) lo=$(rnd32)
printf 'lddw %%r0, 0x%08x%08x\nexit\n' $hi $lo >lddw.s
check_r0 "lddw" $(( hi << 32 | lo )) "$BPFVM" run lddw.s
printf 'mov %%r0, -5\nexit\n' >neg.s
check_r0 "mov sign-extends" -5 "$BPFVM" run neg.s
printf 'mov32 %%r0, -5\nexit\n' >neg32.s
check_r0 "mov32 zero-extends" $(( -5 & 0xffffffff )) "$BPFVM" run neg32.s
# a loop with a label: sum 1..n
n=$((RANDOM % 500 + 2))
printf 'mov %%r0, 0\nmov %%r3, %d\nloop:\nadd %%r0, %%r3\nsub %%r3, 1\njne %%r3, 0, loop\nexit\n' $n >loop.s
check_r0 "sum 1..$n" $(( n * (n + 1) / 2 )) "$BPFVM" run loop.s
# helper 5 returns r1; with r1 = 0 it stops the program with r0 = 0
printf 'mov %%r1, 77\ncall 5\nexit\n' >h5.s
check_r0 "helper 5 returns r1" 77 "$BPFVM" run h5.s
printf 'mov %%r0, 9\nmov %%r1, 0\ncall 5\nmov %%r0, 3\nexit\n' >h5stop.s
check_r0 "helper 5 with r1 = 0 stops" 0 "$BPFVM" run h5stop.s

# asm -o - writes the same bytes to stdout; asm reads stdin with "-"
"$BPFVM" asm alu0.s -o - >stdout.bin 2>err && cmp -s stdout.bin alu0.bin && ok || bad "asm -o - differs from -o FILE"
"$BPFVM" asm - -o stdin.bin <alu0.s 2>err && cmp -s stdin.bin alu0.bin && ok || bad "asm - (stdin) differs"
[ "$(stat -c %s alu0.bin)" -eq $((7 * 8)) ] && ok || bad "alu0.bin is not 7 slots of 8 bytes"
check_r0 "run - (raw on stdin)" ${want_alu[0]} "$BPFVM" run - <alu0.bin

# ---- memory ----
# random bytes; r0 = *(u32 *)(r1 + off) and *(u64 *)(r1 + 8), little-endian
len=24
bytes=()
for ((i = 0; i < len; i++)); do bytes+=($((RANDOM & 255))); done
hex=$(printf '%02x ' "${bytes[@]}")
printf "$(printf '\\x%02x' "${bytes[@]}")" >mem.bin
le() { # OFF SIZE: little-endian value of bytes[OFF..OFF+SIZE)
	local v=0 i
	for ((i = $2 - 1; i >= 0; i--)); do v=$(( v << 8 | bytes[$1 + i] )); done
	echo $v
}
off=$((RANDOM % (len - 4)))
printf 'ldxw %%r0, [%%r1+%d]\nexit\n' $off >ldxw.s
check_r0 "--mem ldxw at $off" $(le $off 4) "$BPFVM" run ldxw.s --mem "$hex"
check_r0 "--mem without spaces" $(le $off 4) "$BPFVM" run ldxw.s --mem "${hex// /}"
check_r0 "--mem upper case" $(le $off 4) "$BPFVM" run ldxw.s "--mem=${hex^^}"
check_r0 "--mem-file ldxw at $off" $(le $off 4) "$BPFVM" run ldxw.s --mem-file mem.bin
printf 'ldxdw %%r0, [%%r1+8]\nexit\n' >ldxdw.s
check_r0 "--mem-file ldxdw" $(le 8 8) "$BPFVM" run ldxdw.s --mem-file mem.bin
printf 'ldxh %%r0, [%%r1+%d]\nexit\n' $((len - 2)) >ldxh.s
check_r0 "ldxh at the last two bytes" $(le $((len - 2)) 2) "$BPFVM" run ldxh.s --mem "$hex"
# the memory is a writable copy: store, load back, the file is unchanged
v=$(rnd32)
printf 'stw [%%r1+4], %d\nldxw %%r0, [%%r1+4]\nexit\n' $(( v >= 0x80000000 ? v - 0x100000000 : v )) >st.s
cp mem.bin mem.orig
check_r0 "store then load" $v "$BPFVM" run st.s --mem-file mem.bin
cmp -s mem.bin mem.orig && ok || bad "--mem-file: the file was modified"
# r2 = length
printf 'mov %%r0, %%r2\nexit\n' >r2.s
for n in 0 1 7 8 100 4096; do
	head -c $n /dev/zero >zero$n.bin
	check_r0 "r2 with --mem-file of $n bytes" $n "$BPFVM" run r2.s --mem-file zero$n.bin
	check_r0 "r2 with --mem of $n bytes" $n "$BPFVM" run r2.s --mem "$(od -An -v -tx1 zero$n.bin)"
done
check_r0 "r2 without memory" 0 "$BPFVM" run r2.s
printf 'mov %%r0, %%r1\nexit\n' >r1.s
check_r0 "r1 = 0 without memory" 0 "$BPFVM" run r1.s

# ---- --trace ----
printf 'mov %%r0, 1\nadd %%r0, 1\nmov %%r3, 7\nexit\n' >trace.s
out=$("$BPFVM" run trace.s --trace 2>err)
mapfile -t tl <<<"$out"
if [ ${#tl[@]} -ne 5 ]; then
	bad "--trace: ${#tl[@]} lines, expected 4 instructions and the result: $out"
else
	[[ ${tl[0]} =~ ^\ {7}0:$'\t'.*r0\ =\ 0x1($|[^0-9a-f]) ]] && ok || bad "--trace line 0: '${tl[0]}'"
	[[ ${tl[1]} =~ ^\ {7}1:$'\t'.*r0\ =\ 0x2($|[^0-9a-f]) ]] && ok || bad "--trace line 1: '${tl[1]}'"
	[[ ${tl[2]} =~ ^\ {7}2:$'\t'.*r3\ =\ 0x7($|[^0-9a-f]) ]] && ok || bad "--trace line 2: '${tl[2]}'"
	[[ ${tl[2]} == *"r0 ="* ]] && bad "--trace line 2 reports r0, which it did not change" || ok
	[[ ${tl[3]} =~ ^\ {7}3:$'\t'exit ]] && [[ ${tl[3]} != *" = 0x"* ]] && ok || bad "--trace line 3: '${tl[3]}'"
	[ "${tl[4]}" = 0x2 ] && ok || bad "--trace: last line '${tl[4]}', expected 0x2"
fi
# a loop executes its body n times; the trace has one line per executed insn
n=5
printf 'mov %%r0, 0\nmov %%r3, %d\nloop:\nadd %%r0, %%r3\nsub %%r3, 1\njne %%r3, 0, loop\nexit\n' $n >tloop.s
cnt=$("$BPFVM" run tloop.s --trace 2>/dev/null | grep -c $'^ *[0-9]*:\t')
[ "$cnt" -eq $((2 + 3 * n + 1)) ] && ok || bad "--trace of the loop: $cnt lines, expected $((2 + 3 * n + 1))"
# lddw spans slots 0-1, so the next traced index is 2
printf 'lddw %%r0, 0x100000002\nexit\n' >tlddw.s
out=$("$BPFVM" run tlddw.s --trace 2>/dev/null)
[[ $out == *$'       2:\texit'* ]] && [[ $out == *"r0 = 0x100000002"* ]] && ok || bad "--trace with lddw: $out"
# the last instruction's change shows up although no instruction follows it
out=$("$BPFVM" run h5stop.s --trace 2>/dev/null)
mapfile -t tl <<<"$out"
[ ${#tl[@]} -eq 4 ] && [[ ${tl[2]} =~ ^\ {7}2:.*r0\ =\ 0x0 ]] && [ "${tl[3]}" = 0x0 ] && ok ||
	bad "--trace of a helper that stops the program: $out"

# ---- format detection and --format ----
cp alu1.s fmt_text.bin # text named .bin: read as raw, refused; forced to asm it runs
"$BPFVM" run fmt_text.bin >/dev/null 2>&1 && bad "text named .bin ran as raw" || ok
a1=$("$BPFVM" run alu1.s 2>/dev/null)
[ "$("$BPFVM" run fmt_text.bin --format asm 2>/dev/null)" = "$a1" ] && ok || bad "--format asm on a .bin"
cp alu1.bin fmt_raw.s # raw named .s: forced to raw it runs
"$BPFVM" run fmt_raw.s >/dev/null 2>&1 && bad "raw named .s ran as assembly" || ok
[ "$("$BPFVM" run fmt_raw.s --format raw 2>/dev/null)" = "$a1" ] && ok || bad "--format raw on a .s"
cp alu1.s fmt_noext; cp alu1.bin fmt_rawnoext; cp alu1.s fmt.txt
for f in fmt_noext fmt_rawnoext fmt.txt; do
	[ "$("$BPFVM" run $f 2>/dev/null)" = "$a1" ] && ok || bad "content detection of $f"
done
[ "$("$BPFVM" run - <alu1.s 2>/dev/null)" = "$a1" ] && ok || bad "assembly on stdin"
[ "$("$BPFVM" run - <alu1.bin 2>/dev/null)" = "$a1" ] && ok || bad "raw bytecode on stdin"

# ---- disasm ----
printf 'lddw %%r1, 0x1122334455667788\nmov %%r0, 1\nexit\n' >dis.s
for syn in llvm ubpf; do
	out=$("$BPFVM" disasm dis.s --syntax $syn 2>err)
	rc=$?
	mapfile -t dl <<<"$out"
	if [ $rc -ne 0 ] || [ ${#dl[@]} -ne 3 ]; then
		bad "disasm --syntax $syn: exit $rc, ${#dl[@]} lines: $out $(cat err)"
		continue
	fi
	[[ ${dl[0]} =~ ^\ {7}0:$'\t' ]] && [[ ${dl[1]} =~ ^\ {7}2:$'\t' ]] && [[ ${dl[2]} =~ ^\ {7}3:$'\t'exit$ ]] &&
		ok || bad "disasm --syntax $syn: indexes: $out"
	# the constant in hex or (as llvm-objdump prints it) in decimal
	[[ ${dl[0],,} == *0x1122334455667788* || ${dl[0]} == *$((0x1122334455667788))* ]] && ok ||
		bad "disasm --syntax $syn: lddw constant: ${dl[0]}"
done
# disasm -> asm round trip gives back the same bytes (both syntaxes), for
# every program above
for src in alu*.s lddw.s loop.s h5.s st.s ldxw.s dis.s trace.s; do
	"$BPFVM" asm "$src" -o orig.bin 2>/dev/null || { bad "round trip: asm $src"; continue; }
	for syn in llvm ubpf; do
		"$BPFVM" disasm orig.bin --syntax $syn 2>err | sed 's/^ *[0-9]*:\t//' >rt.s
		if "$BPFVM" asm rt.s -o rt.bin --syntax $syn 2>err && cmp -s orig.bin rt.bin; then
			ok
		else
			bad "disasm --syntax $syn | asm of $src changes the bytes: $(head -c 200 err)"
		fi
	done
done
# the assembler's LLVM syntax against llvm-mc's encoding
MC=$(command -v llvm-mc || command -v llvm-mc-14 || true)
OC=$(command -v llvm-objcopy || command -v llvm-objcopy-14 || true)
if [ -n "$MC" ] && [ -n "$OC" ]; then
	# our assembler vs llvm-mc on hand-written LLVM syntax
	for src in alu*.llvm.s; do
		"$BPFVM" asm "$src" -o ours.bin 2>/dev/null
		if "$MC" -triple bpfel -filetype=obj "$src" -o mc.o 2>mcerr &&
			"$OC" -O binary --only-section=.text mc.o mc.bin 2>>mcerr; then
			cmp -s ours.bin mc.bin && ok || bad "llvm-mc encodes $src differently from bpfvm asm"
		else
			bad "llvm-mc refused $src: $(head -c 200 mcerr)"
		fi
	done
	# our disassembly is LLVM syntax that llvm-mc encodes back to the same bytes
	# (not st.s: LLVM 14's assembler has no store-immediate syntax)
	for src in alu0.s alu32_0.s lddw.s loop.s h5.s ldxw.s dis.s ldxdw.s neg.s neg32.s; do
		"$BPFVM" asm "$src" -o ours.bin 2>/dev/null
		"$BPFVM" disasm ours.bin --syntax llvm 2>/dev/null | sed 's/^ *[0-9]*:\t//' >mc.s
		if "$MC" -triple bpfel -filetype=obj mc.s -o mc.o 2>mcerr &&
			"$OC" -O binary --only-section=.text mc.o mc.bin 2>>mcerr; then
			cmp -s ours.bin mc.bin && ok || bad "llvm-mc encodes bpfvm's disassembly of $src differently"
		else
			bad "llvm-mc refused bpfvm's disassembly of $src: $(head -c 200 mcerr)"
		fi
	done
else
	echo "note: llvm-mc/llvm-objcopy not found, LLVM encoding cross-check skipped"
fi

# ---- the plugin: stdin and --program agree with bpfvm run ----
"$BPFVM" asm ldxw.s -o ldxw.bin 2>/dev/null
phex=$(od -An -v -tx1 ldxw.bin)
want=$(le $off 4)
got=$(printf '%s\n' "$phex" | "$PLUGIN" "$hex" 2>err)
[ $? -eq 0 ] && (( 16#${got#0x} == want )) && ok || bad "plugin on stdin: '$got' $(cat err)"
got=$("$PLUGIN" "$hex" --program "$phex" </dev/null 2>err)
[ $? -eq 0 ] && (( 16#${got#0x} == want )) && ok || bad "plugin --program: '$got' $(cat err)"
got=$(printf '%s\n' "$phex" | "$PLUGIN" "$hex" --engine interp 2>err)
[ $? -eq 0 ] && (( 16#${got#0x} == want )) && ok || bad "plugin --engine interp: '$got' $(cat err)"

# ---- --help and --version ----
help_ok() { # CMD...: exit 0, usage on stdout, nothing on stderr
	local out rc
	out=$("$@" 2>"$tmp/err")
	rc=$?
	if [ $rc -eq 0 ] && [[ $out == *Usage:* ]] && [[ $out == *"Exit codes"* ]] && ! [ -s "$tmp/err" ]; then
		ok
	else
		bad "$*: exit $rc"
	fi
}
help_ok "$BPFVM" --help
help_ok "$BPFVM" -h
for c in asm disasm run; do
	help_ok "$BPFVM" $c --help
	help_ok "$BPFVM" $c -h
	help_ok "$BPFVM" $c nosuchfile --help
done
help_ok "$PLUGIN" --help
ver=$("$BPFVM" --version 2>/dev/null)
[[ $ver =~ ^bpfvm\ [0-9]+\.[0-9]+\.[0-9]+$ ]] && ok || bad "--version: '$ver'"
# the documented exit codes appear in --help
h=$("$BPFVM" --help)
for code in 0 1 2 3 4 5; do
	[[ $h == *$'\n'"  $code  "* ]] && ok || bad "bpfvm --help does not document exit code $code"
done

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
