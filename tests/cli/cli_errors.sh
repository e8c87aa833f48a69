#!/bin/bash
# cli_errors.sh - bad input through bpfvm and bpfvm-plugin: every failure must
# give the documented exit code (docs/cli.md), exactly one line on stderr of
# the form "bpfvm: FILE:WHERE: MESSAGE" naming the position, and never a crash
# (a signal, exit status >= 128). `bpfvm asm -o OUT` on bad input must leave
# no OUT (and no temporary file) behind.
set -u
export LC_ALL=C

B=${BPFVM_BUILD_DIR:?BPFVM_BUILD_DIR must point to the build directory}
BPFVM=$B/bpfvm
PLUGIN=$B/bpfvm-plugin
for t in "$BPFVM" "$PLUGIN"; do
	[ -x "$t" ] || { echo "missing $t (build it first)"; exit 1; }
done

# Exit codes, as documented.
E_PROG=1 E_USAGE=2 E_INPUT=3 E_RUN=4 E_UNSUPP=5

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
pass=0 fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# insn CODE DST SRC OFF IMM: one raw instruction slot (8 bytes, little-endian).
insn() {
	local off=$(($4 & 0xffff)) imm=$(($5 & 0xffffffff))
	printf "$(printf '\\x%02x' $(($1)) $(($3 << 4 | $2)) $((off & 255)) $((off >> 8)) \
		$((imm & 255)) $((imm >> 8 & 255)) $((imm >> 16 & 255)) $((imm >> 24 & 255)))"
}
EXIT_INSN() { insn 0x95 0 0 0 0; }

# expect NAME RC REGEX CMD...: CMD exits with RC (never >= 128), writes
# exactly one line to stderr and that line matches REGEX (extended grep).
expect() {
	local name=$1 want=$2 re=$3
	shift 3
	"$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	local rc=$?
	local -a lines
	mapfile -t lines <"$tmp/err"
	if [ $rc -ge 128 ]; then
		bad "$name: crashed (exit $rc): ${lines[*]:-}"
	elif [ $rc -ne "$want" ]; then
		bad "$name: exit $rc, expected $want: ${lines[*]:-}"
	elif [ ${#lines[@]} -ne 1 ]; then
		bad "$name: ${#lines[@]} lines on stderr, expected 1: ${lines[*]:-}"
	elif ! [[ ${lines[0]} =~ $re ]]; then
		bad "$name: stderr '${lines[0]}' does not match /$re/"
	else
		ok
	fi
}

# expect_stdin: the same with stdin from a file (for the plugin).
expect_stdin() {
	local input=$1
	shift
	local name=$1 want=$2 re=$3
	shift 3
	"$@" >"$tmp/out" 2>"$tmp/err" <"$input"
	local rc=$?
	local -a lines
	mapfile -t lines <"$tmp/err"
	if [ $rc -ge 128 ]; then
		bad "$name: crashed (exit $rc)"
	elif [ $rc -ne "$want" ]; then
		bad "$name: exit $rc, expected $want: ${lines[*]:-}"
	elif [ ${#lines[@]} -ne 1 ] || ! [[ ${lines[0]} =~ $re ]]; then
		bad "$name: stderr '${lines[*]:-}' is not one line matching /$re/"
	elif [ -s "$tmp/out" ]; then
		bad "$name: failure printed something on stdout"
	else
		ok
	fi
}

# ---- truncated bytecode: size not a multiple of 8 ----
{ insn 0xb7 0 0 0 1; EXIT_INSN; } >good.bin
for size in 1 7 9 12 15; do
	head -c $size good.bin >trunc$size.bin
	at=$((size - size % 8))
	expect "run truncated $size bytes" $E_INPUT "^bpfvm: trunc$size\.bin:offset $at: " "$BPFVM" run trunc$size.bin
	expect "disasm truncated $size bytes" $E_INPUT "^bpfvm: trunc$size\.bin:offset $at: " "$BPFVM" disasm trunc$size.bin
done
cp trunc12.bin trunc12
expect "run truncated, no extension" $E_INPUT "^bpfvm: trunc12:offset 8: " "$BPFVM" run trunc12
expect "run truncated, --format raw" $E_INPUT "^bpfvm: trunc12\.bin:offset 8: " "$BPFVM" run --format raw trunc12.bin

# ---- unknown opcodes, at several positions ----
for at in 0 1 3; do
	{ for ((i = 0; i < at; i++)); do insn 0xb7 0 0 0 $i; done; insn 0xff 0 0 0 0; EXIT_INSN; } >unk$at.bin
	expect "run unknown opcode at $at" $E_PROG "^bpfvm: unk$at\.bin:insn $at: " "$BPFVM" run unk$at.bin
	expect "disasm unknown opcode at $at" $E_PROG "^bpfvm: unk$at\.bin:insn $at: " "$BPFVM" disasm unk$at.bin
	lines=$(grep -c '' out)
	[ "$lines" -eq $((at + 2)) ] && ok || bad "disasm unknown opcode at $at: $lines lines on stdout, expected $((at + 2))"
done
# a known opcode with a reserved field set (mov r0, 1 with src = 3)
{ insn 0xb7 0 3 0 1; EXIT_INSN; } >resv.bin
expect "run reserved field" $E_PROG "^bpfvm: resv\.bin:insn 0: " "$BPFVM" run resv.bin

# ---- jumps past the end (and before the start) ----
{ insn 0xb7 0 0 0 0; insn 0x05 0 0 5 0; EXIT_INSN; } >jpast.bin
expect "ja past the end" $E_PROG "^bpfvm: jpast\.bin:insn 1: " "$BPFVM" run jpast.bin
{ insn 0xb7 0 0 0 0; insn 0x15 0 0 1 0; EXIT_INSN; } >jeq.bin # jeq r0, 0, +1 -> slot 3 of 3
expect "jeq one past the end" $E_PROG "^bpfvm: jeq\.bin:insn 1: " "$BPFVM" run jeq.bin
{ insn 0x05 0 0 -3 0; EXIT_INSN; } >jneg.bin
expect "ja before the start" $E_PROG "^bpfvm: jneg\.bin:insn 0: " "$BPFVM" run jneg.bin
{ insn 0xb7 0 0 0 0; } >falloff.bin
expect "falls off the end" $E_PROG "^bpfvm: falloff\.bin:insn 0: " "$BPFVM" run falloff.bin
{ insn 0x18 0 0 0 1; } >lddw1.bin
expect "lddw missing its second slot" $E_PROG "^bpfvm: lddw1\.bin:insn 0: " "$BPFVM" run lddw1.bin
{ insn 0x85 0 0 0 999999; EXIT_INSN; } >helper.bin
expect "unknown helper at load" $E_PROG "^bpfvm: helper\.bin:insn 0: " "$BPFVM" run helper.bin

# ---- garbage text ----
printf 'hello world\n' >garbage.s
expect "run garbage .s" $E_INPUT "^bpfvm: garbage\.s:1:[0-9]+: " "$BPFVM" run garbage.s
cp garbage.s garbage
expect "run garbage, detected as text" $E_INPUT "^bpfvm: garbage:1:[0-9]+: " "$BPFVM" run garbage
printf 'mov %%r0, 1\nadd %%r0, 2\n\tfrobnicate %%r0\nexit\n' >garbage3.s
expect "run garbage on line 3" $E_INPUT "^bpfvm: garbage3\.s:3:[0-9]+: " "$BPFVM" run garbage3.s
expect "disasm garbage on line 3" $E_INPUT "^bpfvm: garbage3\.s:3:[0-9]+: " "$BPFVM" disasm garbage3.s
printf 'mov %%r0, 1\nexit\n\x01\x02\n' >binjunk.s
expect "binary bytes in .s" $E_INPUT "^bpfvm: binjunk\.s:(offset 16|3:[0-9]+): " "$BPFVM" run binjunk.s
printf 'mov %%r0, 1\njne %%r0, 0, nowhere\nexit\n' >label.s
expect "undefined label" $E_INPUT "^bpfvm: label\.s:2:[0-9]+: " "$BPFVM" run label.s
printf 'mov %%r0, 99999999999\nexit\n' >range.s
expect "immediate out of range" $E_INPUT "^bpfvm: range\.s:1:[0-9]+: " "$BPFVM" run range.s
# the conformance suite's own assembler error cases, when present
C=${BPFVM_CONFORMANCE_DIR:-}
if [ -n "$C" ] && [ -d "$C/negative" ]; then
	for f in "$C"/negative/invalid_*.data; do
		n=$(basename "$f" .data)
		awk '/--/{s=$0; next} s ~ /asm/ {sub(/#.*/, ""); print}' "$f" >"$n.s"
		# every case is wrong on its first instruction line
		first=$(grep -n -m1 '[^[:space:]]' "$n.s" | cut -d: -f1)
		[ -n "$first" ] || continue
		expect "negative/$n" $E_INPUT "^bpfvm: $n\.s:$first:[0-9]+: " "$BPFVM" run "$n.s"
	done
fi

# ---- asm -o OUT on bad input leaves nothing behind ----
for src in garbage.s garbage3.s binjunk.s label.s; do
	rm -f out.bin out.bin.tmp.*
	expect "asm $src" $E_INPUT "^bpfvm: $src:" "$BPFVM" asm "$src" -o out.bin
	if [ -e out.bin ] || compgen -G 'out.bin.tmp.*' >/dev/null; then
		bad "asm $src: left an output file behind"
	else
		ok
	fi
done
printf 'previous contents\n' >keep.bin
expect "asm over an existing OUT" $E_INPUT "^bpfvm: garbage\.s:1:[0-9]+: " "$BPFVM" asm garbage.s -o keep.bin
[ "$(cat keep.bin)" = "previous contents" ] && ok || bad "asm on bad input changed the existing OUT"
printf 'mov %%r0, 1\nexit\n' >fine.s
expect "asm to a missing directory (good input)" $E_INPUT "^bpfvm: nodir/x\.bin: " "$BPFVM" asm fine.s -o nodir/x.bin

# ---- memory: bad hex, odd length, too large ----
{ insn 0xbf 0 2 0 0; EXIT_INSN; } >len.bin # r0 = r2
expect "--mem odd length" $E_INPUT "^bpfvm: --mem:offset 4: " "$BPFVM" run len.bin --mem "0a0b0"
expect "--mem lone digit between bytes" $E_INPUT "^bpfvm: --mem:offset 3: " "$BPFVM" run len.bin --mem "0a 0 0b"
expect "--mem bad digit" $E_INPUT "^bpfvm: --mem:offset 5: " "$BPFVM" run len.bin --mem "0a 0bzz"
expect "--mem 0x prefix" $E_INPUT "^bpfvm: --mem:offset 1: " "$BPFVM" run len.bin --mem "0x01"
expect "--mem control byte" $E_INPUT "^bpfvm: --mem:offset 2: " "$BPFVM" run len.bin --mem $'01\x01'
limit=$((64 << 20))
truncate -s $((limit + 1)) huge.mem
expect "--mem-file over the limit" $E_INPUT "^bpfvm: huge\.mem:offset $limit: " "$BPFVM" run len.bin --mem-file huge.mem
expect "--mem-file missing" $E_INPUT "^bpfvm: nomem\.bin: " "$BPFVM" run len.bin --mem-file nomem.bin
expect "--mem-file is a directory" $E_INPUT "^bpfvm: \.: " "$BPFVM" run len.bin --mem-file .
# a large --mem that is still fine: 60000 bytes (120000 hex digits)
big=$(head -c 60000 /dev/zero | od -An -v -tx1 | tr -d ' \n')
out=$("$BPFVM" run len.bin --mem "$big" 2>/dev/null)
[ "$out" = "$(printf '0x%x' 60000)" ] && ok || bad "--mem of 60000 bytes: got '$out'"

# ---- missing, unreadable, empty files ----
expect "run missing file" $E_INPUT "^bpfvm: nosuch\.bin: " "$BPFVM" run nosuch.bin
expect "disasm missing file" $E_INPUT "^bpfvm: nosuch\.s: " "$BPFVM" disasm nosuch.s
expect "asm missing file" $E_INPUT "^bpfvm: nosuch\.s: " "$BPFVM" asm nosuch.s -o x.bin
expect "run a directory" $E_INPUT "^bpfvm: \.: " "$BPFVM" run .
: >empty.bin
: >empty.s
: >empty
for f in empty.bin empty.s empty; do
	expect "run $f" $E_INPUT "^bpfvm: $f:offset 0: " "$BPFVM" run $f
	expect "disasm $f" $E_INPUT "^bpfvm: $f:offset 0: " "$BPFVM" disasm $f
done
rm -f x.bin
expect "asm empty file" $E_INPUT "^bpfvm: empty\.s:" "$BPFVM" asm empty.s -o x.bin
[ -e x.bin ] && bad "asm of an empty file wrote x.bin" || ok
printf '# only a comment\n\n' >comment.s
expect "asm of comments only" $E_INPUT "^bpfvm: comment\.s:" "$BPFVM" asm comment.s -o x.bin

# ---- bad options ----
expect "no command" $E_USAGE "^bpfvm: " "$BPFVM"
expect "unknown command" $E_USAGE "^bpfvm: .*'frob'" "$BPFVM" frob
expect "unknown global option" $E_USAGE "^bpfvm: .*'--frob'" "$BPFVM" --frob
expect "run unknown option" $E_USAGE "^bpfvm: run: argument 3: .*'--frob'" "$BPFVM" run good.bin --frob
expect "run --mem without value" $E_USAGE "^bpfvm: run: .*'--mem'" "$BPFVM" run good.bin --mem
expect "run without program" $E_USAGE "^bpfvm: run: " "$BPFVM" run
expect "run two programs" $E_USAGE "^bpfvm: run: argument 3: " "$BPFVM" run good.bin good.bin
expect "run --mem and --mem-file" $E_USAGE "^bpfvm: run: " "$BPFVM" run good.bin --mem 00 --mem-file good.bin
expect "run bad --engine" $E_USAGE "^bpfvm: run: .*'turbo'" "$BPFVM" run good.bin --engine turbo
expect "run bad --budget" $E_USAGE "^bpfvm: run: .*'12x'" "$BPFVM" run good.bin --budget 12x
expect "run --budget 0" $E_USAGE "^bpfvm: run: " "$BPFVM" run good.bin --budget 0
expect "run huge --budget" $E_USAGE "^bpfvm: run: " "$BPFVM" run good.bin --budget 99999999999999999999999
expect "run bad --format" $E_USAGE "^bpfvm: run: .*'exe'" "$BPFVM" run good.bin --format exe
expect "run --trace=1" $E_USAGE "^bpfvm: run: .*'--trace'" "$BPFVM" run good.bin --trace=1
expect "asm without -o" $E_USAGE "^bpfvm: asm: .*-o" "$BPFVM" asm fine.s
expect "asm without input" $E_USAGE "^bpfvm: asm: " "$BPFVM" asm -o x.bin
expect "asm bad --syntax" $E_USAGE "^bpfvm: asm: .*'intel'" "$BPFVM" asm fine.s -o x.bin --syntax intel
expect "disasm --syntax auto" $E_USAGE "^bpfvm: disasm: .*'auto'" "$BPFVM" disasm good.bin --syntax auto
expect "disasm without input" $E_USAGE "^bpfvm: disasm: " "$BPFVM" disasm
[ -e x.bin ] && bad "a usage error wrote x.bin" || ok

# ---- unsupported ----
printf '\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00' >prog.o
# a bare ELF header is read as an object, and refused as a malformed one
# (objects themselves: tests/cli/elf.sh)
expect "run ELF" $E_INPUT "^bpfvm: prog\.o:offset [0-9]+: " "$BPFVM" run prog.o
expect "disasm ELF" $E_INPUT "^bpfvm: prog\.o:offset [0-9]+: " "$BPFVM" disasm prog.o
expect "run --format elf" $E_INPUT "^bpfvm: good\.bin:offset 0: " "$BPFVM" run good.bin --format elf
expect "run --engine jit --trace" $E_USAGE "^bpfvm: run: --trace needs the interpreter" "$BPFVM" run good.bin --engine jit --trace

# ---- run-time faults (--no-verify: the checked engines) ----
# and the same programs refused by the verifier at load by default (exit 1)
{ insn 0x05 0 0 -1 0; EXIT_INSN; } >loop.bin
expect "budget exhausted" $E_RUN "^bpfvm: loop\.bin:insn 0: " "$BPFVM" run loop.bin --budget 1000 --no-verify
expect "verifier: endless loop" $E_PROG "^bpfvm: loop\.bin:insn 1: unreachable insn 1" "$BPFVM" run loop.bin
{ insn 0xb7 0 0 0 0; insn 0x61 0 1 4 0; EXIT_INSN; } >oob.bin # r0 = *(u32 *)(r1 + 4)
expect "read past the memory" $E_RUN "^bpfvm: oob\.bin:insn 1: " "$BPFVM" run oob.bin --mem "01 02 03 04 05 06 07" --no-verify
expect "read without memory" $E_RUN "^bpfvm: oob\.bin:insn 1: " "$BPFVM" run oob.bin --no-verify
expect "verifier: read past the memory" $E_PROG "^bpfvm: oob\.bin:insn 1: invalid access to memory, mem_size=7 off=4 size=4" \
	"$BPFVM" run oob.bin --mem "01 02 03 04 05 06 07"
expect "verifier: read without memory" $E_PROG "^bpfvm: oob\.bin:insn 1: invalid access to memory, mem_size=0 off=4 size=4" \
	"$BPFVM" run oob.bin
expect "verify: read past the memory" $E_PROG "^bpfvm: oob\.bin:insn 1: invalid access to memory, mem_size=7 off=4 size=4" \
	"$BPFVM" verify oob.bin --mem-size 7
{ insn 0x62 10 0 -516 1; EXIT_INSN; } >stk.bin # *(u32 *)(r10 - 516) = 1
expect "write below the stack" $E_RUN "^bpfvm: stk\.bin:insn 0: " "$BPFVM" run stk.bin --no-verify
expect "verifier: write below the stack" $E_PROG "^bpfvm: stk\.bin:insn 0: invalid write to stack R10 off=-516 size=4" \
	"$BPFVM" run stk.bin
{ insn 0xb7 2 0 0 123456; insn 0x8d 2 0 0 0; EXIT_INSN; } >callx.bin
expect "callx to an unknown helper" $E_RUN "^bpfvm: callx\.bin:insn 1: " "$BPFVM" run callx.bin --no-verify
expect "verifier: callx to an unknown helper" $E_PROG "^bpfvm: callx\.bin:insn 1: " "$BPFVM" run callx.bin
{ insn 0x85 0 1 0 -1; EXIT_INSN; } >recurse.bin # call local to itself
expect "call depth" $E_RUN "^bpfvm: recurse\.bin:insn 0: " "$BPFVM" run recurse.bin --no-verify
expect "verifier: recursion" $E_PROG "^bpfvm: recurse\.bin:insn 0: " "$BPFVM" run recurse.bin
expect "--log-level with --no-verify" $E_USAGE "^bpfvm: run: --log-level is the verifier's" \
	"$BPFVM" run recurse.bin --no-verify --log-level 1
expect "verify --log-level 3" $E_USAGE "^bpfvm: verify: --log-level must be 0, 1 or 2" "$BPFVM" verify oob.bin --log-level 3
expect "verify --mem-size with --type socket" $E_USAGE "^bpfvm: verify: --mem-size is for raw programs" \
	"$BPFVM" verify oob.bin --type socket --mem-size 4
expect "verify without a program" $E_USAGE "^bpfvm: verify: missing PROGRAM" "$BPFVM" verify
expect "verify a missing file" $E_INPUT "^bpfvm: nosuch\.bin: " "$BPFVM" verify nosuch.bin

# ---- the plugin ----
printf '%s' "$(od -An -v -tx1 good.bin)" >good.hex
printf '%s' "$(od -An -v -tx1 unk1.bin)" >unk.hex
printf '%s' "$(od -An -v -tx1 trunc12.bin)" >trunc.hex
printf 'b7 00 00 00 01 00 00 00 95 00 00 00 00 00 00 0g\n' >badhex.hex
: >empty.hex
expect_stdin unk.hex "plugin unknown opcode" $E_PROG "^bpfvm-plugin: insn 1: " "$PLUGIN"
expect_stdin trunc.hex "plugin truncated program" $E_INPUT "offset 8" "$PLUGIN"
expect_stdin badhex.hex "plugin bad hex" $E_INPUT "offset 46" "$PLUGIN"
expect_stdin empty.hex "plugin empty program" $E_INPUT "^bpfvm-plugin: " "$PLUGIN"
expect_stdin good.hex "plugin bad memory" $E_INPUT "memory: offset 2" "$PLUGIN" "01x2"
expect_stdin good.hex "plugin odd memory" $E_INPUT "memory: offset 2" "$PLUGIN" "010"
expect_stdin good.hex "plugin --elf" $E_UNSUPP "ELF objects are not supported yet" "$PLUGIN" --elf
expect_stdin unk.hex "plugin --engine jit unknown opcode" $E_PROG "^bpfvm-plugin: insn 1: " "$PLUGIN" --engine jit
expect_stdin good.hex "plugin unknown option" $E_USAGE "'--frob'" "$PLUGIN" --frob
expect_stdin good.hex "plugin --program bad hex" $E_INPUT "program: offset 0" "$PLUGIN" --program "zz"
expect_stdin loop.bin "plugin binary on stdin" $E_INPUT "program: offset 0" "$PLUGIN"

# ---- random input never crashes ----
# Deterministic pseudo-random files: each failure must still be one line.
RANDOM=4242
rand_bytes() { # N: N pseudo-random bytes on stdout
	local i s=''
	for ((i = 0; i < $1; i++)); do s+=$(printf '\\x%02x' $((RANDOM & 255))); done
	printf "$s"
}
crashes=0 multiline=0 runs=0
check_random() { # CMD...: no signal; a failure gives one stderr line
	"$@" >/dev/null 2>"$tmp/err" </dev/null
	local rc=$?
	runs=$((runs + 1))
	if [ $rc -ge 128 ]; then
		crashes=$((crashes + 1))
		echo "crash (exit $rc): $*"
	elif [ $rc -ne 0 ] && [ "$(grep -c '' "$tmp/err")" -ne 1 ]; then
		multiline=$((multiline + 1))
		echo "not one stderr line (exit $rc): $*: $(head -c 200 "$tmp/err")"
	fi
}
for ((k = 0; k < 40; k++)); do
	size=$(((RANDOM % 12 + 1) * 8 + (k % 5 == 0 ? RANDOM % 8 : 0)))
	rand_bytes $size >rnd.bin
	check_random "$BPFVM" run rnd.bin --mem "00 01 02 03"
	check_random "$BPFVM" disasm rnd.bin
	check_random "$BPFVM" disasm --syntax ubpf rnd.bin
	# half valid: a random ALU/jump/load opcode with random fields, then exit
	{ insn $(((RANDOM & 0xf8) | (RANDOM % 8))) $((RANDOM % 12)) $((RANDOM % 12)) $((RANDOM % 7 - 3)) $((RANDOM - 16384)); EXIT_INSN; } >rnd2.bin
	check_random "$BPFVM" run rnd2.bin --mem "00 01 02 03 04 05 06 07" --budget 100000
	check_random "$BPFVM" run rnd2.bin --trace --budget 100000
	# random text: words, registers, numbers, brackets and punctuation
	words=(mov add lddw ldxw stxdw jeq ja call exit lock fetch '%r1' '%r11' r0 w1 '[%r1+' ']' '+' '-' , 0x 9999999999999999999 -1 '(' '*(u64 *)' '=' ':' lbl 'lbl:' '#')
	line=''
	for ((w = 0; w < 6; w++)); do line+="${words[RANDOM % ${#words[@]}]} "; done
	printf '%s\nexit\n' "$line" >rnd.s
	check_random "$BPFVM" run rnd.s
	check_random "$BPFVM" asm rnd.s -o rnd.out
done
[ $crashes -eq 0 ] && ok || bad "$crashes crashes on random input"
[ $multiline -eq 0 ] && ok || bad "$multiline failures on random input without exactly one stderr line"
echo "random inputs: $runs runs, $crashes crashes"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
