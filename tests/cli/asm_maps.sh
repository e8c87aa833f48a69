#!/bin/bash
# asm_maps.sh - map declarations in assembly (.map NAME TYPE key=K value=V
# entries=N [flags=F]) and map names in lddw (map_idx NAME, ld_pseudo rN, 5,
# NAME): the bytes the names assemble to (indices in declaration order, then
# the --map maps), use before declaration, every declaration error with its
# line:column (the column computed here from the text), duplicate names,
# unknown types, bad and missing sizes, undefined names, map_fd NAME, maps
# that cannot be created (reported at their .map line), --map spec errors,
# disassembly of programs with map indices (.map lines first, "# map NAME"
# annotations, and the output assembling back to the same bytes and maps),
# and that programs with maps run with the right map behind each index and
# fd (fds from 3 in creation order).
set -u
export LC_ALL=C

B=${BPFVM_BUILD_DIR:?BPFVM_BUILD_DIR must point to the build directory}
BPFVM=$B/bpfvm
[ -x "$BPFVM" ] || { echo "missing $BPFVM (build it first)"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

E_OK=0 E_PROG=1 E_USAGE=2 E_INPUT=3

# The 1-based column of the first occurrence of $2 in line $1.
col_of() { local pre=${1%%"$2"*}; echo $(( ${#pre} + 1 )); }

# expect NAME CODE REGEX CMD...: exit status CODE, one stderr line matching
# REGEX (grep -E), nothing on stdout for failures, never a signal.
expect() {
	local name=$1 code=$2 re=$3
	shift 3
	"$@" >out 2>err
	local rc=$?
	if [ $rc -ge 128 ]; then
		bad "$name: killed by signal $((rc - 128))"
	elif [ $rc -ne "$code" ]; then
		bad "$name: exit $rc, expected $code; stderr: $(head -c 300 err)"
	elif [ "$(wc -l <err)" -ne 1 ]; then
		bad "$name: expected one stderr line, got: $(cat err)"
	elif ! grep -Eq -- "$re" err; then
		bad "$name: stderr '$(cat err)' does not match '$re'"
	elif [ -s out ] && [ "$code" -ne 0 ]; then
		bad "$name: failure printed on stdout: $(head -c 200 out)"
	else
		ok
	fi
}

# decl_error NAME TOKEN LINE_TEXT MESSAGE_REGEX: a one-line program whose
# first line is LINE_TEXT fails to assemble at line 1, at the column of TOKEN.
decl_error() {
	local name=$1 token=$2 text=$3 re=$4
	printf '%s\nmov %%r0, 0\nexit\n' "$text" >d.s
	local col
	col=$(col_of "$text" "$token")
	expect "$name" $E_INPUT "^bpfvm: d\.s:1:$col: $re" "$BPFVM" asm d.s -o d.bin
	[ -e d.bin ] && { bad "$name: output written"; rm -f d.bin; }
}

# The raw bytes of an assembled file as one hex string.
hexof() { "$BPFVM" asm "$1" -o - | od -An -v -tx1 | tr -d ' \n'; }
# Slot $2 (0-based) of a hex string: 16 hex digits.
slot() { echo "${1:$(($2 * 16)):16}"; }

# ---- names become indices, in declaration order ----
cat >two.s <<'EOF'
lddw %r1, map_idx second   # used before its declaration
.map first array key=4 value=8 entries=4
.map second hash key=8 value=16 entries=32 flags=1
ld_pseudo r2, 5, first
lddw %r3, map_idx_value second, 12
ld_pseudo r4, 6, first
mov %r0, 0
exit
EOF
cat >two_num.s <<'EOF'
lddw %r1, map_idx 1
lddw %r2, map_idx 0
lddw %r3, map_idx_value 1, 12
lddw %r4, map_idx_value 0, 0
mov %r0, 0
exit
EOF
h=$(hexof two.s)
hn=$(hexof two_num.s)
if [ -z "$h" ] || [ "$h" != "$hn" ]; then
	bad "map names: bytes '$h' differ from numeric indices '$hn'"
else
	ok
fi
# decode by hand: slot 0 = 18 <dst 1 | src 5 << 4> 0000 <imm 1 LE>
[ "$(slot "$h" 0)" = "1851000001000000" ] && ok || bad "lddw %r1, map_idx second: slot 0 is $(slot "$h" 0)"
[ "$(slot "$h" 2)" = "1852000000000000" ] && ok || bad "ld_pseudo r2, 5, first: slot 2 is $(slot "$h" 2)"
[ "$(slot "$h" 4)" = "1863000001000000" ] && ok || bad "map_idx_value second: slot 4 is $(slot "$h" 4)"
[ "$(slot "$h" 5)" = "000000000c000000" ] && ok || bad "map_idx_value offset 12: slot 5 is $(slot "$h" 5)"
[ "$(slot "$h" 6)" = "1864000000000000" ] && ok || bad "ld_pseudo r4, 6, first: slot 6 is $(slot "$h" 6)"

# --map maps take the indices after the file's, and the file can name them
cat >ext.s <<'EOF'
.map own array key=4 value=8 entries=1
lddw %r1, map_idx extra
lddw %r2, map_idx own
mov %r0, 0
exit
EOF
"$BPFVM" run ext.s --map extra:hash:4:4:8 --json >out 2>err
rc=$?
if [ $rc -ne 0 ]; then
	bad "--map named from assembly: exit $rc: $(cat err)"
elif ! grep -q '"own": \[\], "extra": \[\]' out; then
	bad "--map named from assembly: maps in the wrong order or missing: $(cat out)"
else
	ok
fi
"$BPFVM" disasm ext.s >out 2>err
rc=$?
# disasm sees only the file's maps: 'extra' is undefined there
[ $rc -eq $E_INPUT ] && grep -q "undefined map 'extra'" err && ok || bad "disasm of a file naming a --map map: exit $rc: $(cat err)"

# ---- declaration errors, at the offending token ----
printf '.map\nexit\n' >d.s
expect "missing name" $E_INPUT "^bpfvm: d\.s:1:5: missing map name" "$BPFVM" asm d.s -o d.bin
decl_error "bad name (digit first)" "9abc" ".map 9abc array key=4 value=8 entries=1" "bad map name '9abc'"
decl_error "bad name (character)" "a-b" ".map a-b array key=4 value=8 entries=1" "bad map name 'a-b'"
decl_error "name too long" "abcdefghijklmnop" ".map abcdefghijklmnop array key=4 value=8 entries=1" \
	"map name 'abcdefghijklmnop' is longer than 15 characters"
printf '.map m\nexit\n' >d.s
expect "missing type" $E_INPUT "^bpfvm: d\.s:1:7: map 'm': missing type" "$BPFVM" asm d.s -o d.bin
decl_error "unknown type" "arrray" ".map m arrray key=4 value=8 entries=1" "map 'm': unknown map type 'arrray'"
decl_error "unknown type (number)" "2 key" ".map m 2 key=4 value=8 entries=1" "map 'm': unknown map type '2'"
decl_error "unknown parameter" "size=" ".map m hash key=4 size=8 entries=1" "map 'm': unknown parameter 'size'"
decl_error "parameter twice" "key=8" ".map m hash key=4 value=8 key=8 entries=1" "map 'm': key= given twice"
decl_error "missing =" "8 entries" ".map m hash key=4 value 8 entries=1" "map 'm': expected '=' after 'value'"
decl_error "not a number" "four" ".map m hash key=four value=8 entries=1" "map 'm': key= needs a number, got 'four'"
decl_error "number with junk" "8x" ".map m hash key=4 value=8x entries=1" "map 'm': value= needs a number, got '8x'"
decl_error "out of range" "4294967296" ".map m hash key=4 value=8 entries=4294967296" \
	"map 'm': entries=4294967296 is out of range"
decl_error "negative size" "-1" ".map m hash key=4 value=-1 entries=1" "map 'm': value= needs a number"
decl_error "array key not 4" "8 value" ".map m array key=8 value=8 entries=1" "map 'm': array maps have 4-byte keys, not key=8"
decl_error "prog_array value not 4" "8 entries" ".map m prog_array value=8 entries=1" \
	"map 'm': prog_array maps have 4-byte values, not value=8"
decl_error "ringbuf key" "4 entries" ".map m ringbuf key=4 entries=4096" "map 'm': ringbuf maps take no key \(key=0\), not key=4"
decl_error "queue key" "4 value" ".map m queue key=4 value=8 entries=4" "map 'm': queue maps take no key"
decl_error "hash key 0" "0 value" ".map m hash key=0 value=8 entries=1" "map 'm': hash maps need a key size of at least 1"
decl_error "hash value 0" "0 entries" ".map m hash key=4 value=0 entries=1" "map 'm': hash maps need a value size of at least 1"
decl_error "entries 0" "0x0" ".map m array value=8 entries=0x0" "map 'm': entries must be at least 1"
# missing sizes are reported at the end of the line
t=".map m hash value=8 entries=1"
printf '%s\nexit\n' "$t" >d.s
expect "missing key" $E_INPUT "^bpfvm: d\.s:1:$((${#t} + 1)): map 'm': missing key=N" "$BPFVM" asm d.s -o d.bin
t=".map m array key=4 value=8   # comment"
printf '%s\nexit\n' "$t" >d.s
expect "missing entries" $E_INPUT "^bpfvm: d\.s:1:27: map 'm': missing entries=N" "$BPFVM" asm d.s -o d.bin
# sizes that a type fixes may be left out; hex numbers work
printf '.map rb ringbuf entries=0x1000\n.map q stack value=4 entries=3\n.map a percpu_array value=8 entries=2\nexit\n' >ok.s
"$BPFVM" asm ok.s -o ok.bin 2>err && ok || bad "defaults for fixed sizes: $(cat err)"

# duplicate names: at the second declaration, naming the first line
printf 'mov %%r0, 0\n.map counts array key=4 value=8 entries=2\nexit\n  .map counts hash key=4 value=8 entries=2\n' >dup.s
expect "duplicate map" $E_INPUT "^bpfvm: dup\.s:4:8: duplicate map 'counts' \(first declared at line 2\)" \
	"$BPFVM" asm dup.s -o dup.bin
# a file map and a --map of the same name: at the file's declaration
printf 'mov %%r0, 0\n .map counts array key=4 value=8 entries=2\nexit\n' >dup2.s
expect "duplicate with --map" $E_INPUT "^bpfvm: dup2\.s:2:2: duplicate map 'counts'" \
	"$BPFVM" run dup2.s --map counts:array:4:8:2
expect "--map given twice" $E_USAGE "^bpfvm: run: --map 'c:hash:4:4:1': map 'c' is given twice" \
	"$BPFVM" run ok.s --map c:hash:4:4:1 --map c:hash:4:4:1

# an unknown directive is still an error
printf '.mapx m array key=4 value=8 entries=1\nexit\n' >d.s
expect "unknown directive .mapx" $E_INPUT "^bpfvm: d\.s:1:1: unsupported directive" "$BPFVM" asm d.s -o d.bin

# ---- names in instructions ----
t="    lddw %r1, map_idx nosuch"
printf '.map m array key=4 value=8 entries=1\n%s\nexit\n' "$t" >u.s
expect "undefined map (uBPF)" $E_INPUT "^bpfvm: u\.s:2:$(col_of "$t" nosuch): undefined map 'nosuch'" "$BPFVM" asm u.s -o u.bin
t="ld_pseudo r1, 6, nosuch2"
printf '%s\nexit\n' "$t" >u.s
expect "undefined map (LLVM)" $E_INPUT "^bpfvm: u\.s:1:$(col_of "$t" nosuch2): undefined map 'nosuch2'" "$BPFVM" run u.s
t="lddw %r1, map_fd m"
printf '.map m array key=4 value=8 entries=1\n%s\nexit\n' "$t" >u.s
expect "map_fd NAME" $E_INPUT "^bpfvm: u\.s:2:$(( $(col_of "$t" "fd m") + 3 )): a map fd must be a number.*map_idx NAME" \
	"$BPFVM" asm u.s -o u.bin
t="ld_pseudo r1, 1, m"
printf '.map m array key=4 value=8 entries=1\n%s\nexit\n' "$t" >u.s
expect "ld_pseudo 1 NAME" $E_INPUT "^bpfvm: u\.s:2:$(( $(col_of "$t" ", m") + 2 )): a map fd must be a number.*ld_pseudo rN, 5, NAME" \
	"$BPFVM" asm u.s -o u.bin
# numbers still work where names are allowed, and for fds
printf 'lddw %%r1, map_fd 7\nlddw %%r2, map_idx 3\nexit\n' >n.s
h=$(hexof n.s)
[ "$(slot "$h" 0)" = "1811000007000000" ] && [ "$(slot "$h" 2)" = "1852000003000000" ] && ok ||
	bad "numeric map_fd/map_idx: $h"
# bpfvm_asm without declarations: names must be declared even there
printf 'lddw %%r1, map_idx m\nexit\n' >u.s
expect "undefined map (asm)" $E_INPUT "^bpfvm: u\.s:1:19: undefined map 'm'" "$BPFVM" asm u.s -o u.bin

# ---- maps that the declaration allows but creation refuses ----
printf 'mov %%r0, 0\n\t.map rb ringbuf entries=1000\nexit\n' >c.s
expect "ringbuf size not a power of 2" $E_INPUT "^bpfvm: c\.s:2:2: map 'rb' \(ringbuf, .*1000 entries.*\): cannot create: " \
	"$BPFVM" run c.s
printf '.map big array value=8 entries=1\n.map p percpu_array value=4294967295 entries=1\nexit\n' >c.s
expect "value too large" $E_INPUT "^bpfvm: c\.s:2:1: map 'p' .*cannot create: " "$BPFVM" run c.s
expect "--map that cannot be created" $E_INPUT "^bpfvm: --map:x: map 'x' \(array, key 8, .*cannot create: " \
	"$BPFVM" run ok.s --map x:array:8:8:1

# ---- --map specs ----
expect "--map too few fields" $E_USAGE "^bpfvm: run: --map 'a:array:4:8': expected NAME:TYPE:KEY:VALUE:ENTRIES" \
	"$BPFVM" run ok.s --map a:array:4:8
expect "--map too many fields" $E_USAGE "^bpfvm: run: --map 'a:array:4:8:1:0:9': too many fields" \
	"$BPFVM" run ok.s --map a:array:4:8:1:0:9
expect "--map bad type" $E_USAGE "^bpfvm: run: --map 'a:arr:4:8:1': unknown map type 'arr'" "$BPFVM" run ok.s --map a:arr:4:8:1
expect "--map bad name" $E_USAGE "^bpfvm: run: --map '1a:array:4:8:1': bad map name '1a'" "$BPFVM" run ok.s --map 1a:array:4:8:1
expect "--map empty name" $E_USAGE "^bpfvm: run: --map ':array:4:8:1': bad map name" "$BPFVM" run ok.s --map :array:4:8:1
expect "--map bad number" $E_USAGE "^bpfvm: run: --map 'a:array:4:x8:1': value size 'x8' is not a number" \
	"$BPFVM" run ok.s --map a:array:4:x8:1
expect "--map too large" $E_USAGE "^bpfvm: run: --map 'a:array:4:8:99999999999': entries '99999999999' is not a number" \
	"$BPFVM" run ok.s --map a:array:4:8:99999999999

# ---- disassembly of programs with map indices ----
"$BPFVM" disasm two.s >dis.txt 2>err
rc=$?
if [ $rc -ne 0 ]; then
	bad "disasm two.s: exit $rc: $(cat err)"
else
	[ "$(sed -n 1p dis.txt)" = ".map first array key=4 value=8 entries=4" ] && ok || bad "disasm .map line 1: $(sed -n 1p dis.txt)"
	[ "$(sed -n 2p dis.txt)" = ".map second hash key=8 value=16 entries=32 flags=0x1" ] && ok ||
		bad "disasm .map line 2: $(sed -n 2p dis.txt)"
	[ "$(sed -n 3p dis.txt)" = "$(printf '       0:\tld_pseudo\tr1, 5, 1 # map second')" ] && ok ||
		bad "disasm lddw map_idx annotation: '$(sed -n 3p dis.txt)'"
	grep -q "$(printf '       6:\tld_pseudo\tr4, 6, 0 # map first')" dis.txt && ok || bad "disasm ld_pseudo 6 annotation: $(cat dis.txt)"
	# the output assembles back to the same maps and bytes, except the value
	# offset of map_idx_value (slot 5), which LLVM's ld_pseudo form cannot
	# show (see opcodes.def)
	cp dis.txt rt.s
	h1=$(hexof rt.s) h2=$(hexof two.s)
	[ "${h1:0:80}${h1:96}" = "${h2:0:80}${h2:96}" ] && ok || bad "disasm -> asm round trip changed the bytes: $h1 vs $h2"
	"$BPFVM" disasm rt.s >dis2.txt 2>err && cmp -s dis.txt dis2.txt && ok || bad "disasm of the round trip differs: $(diff dis.txt dis2.txt)"
fi
"$BPFVM" disasm two.s --syntax ubpf >dis.txt 2>err
grep -q "$(printf '       0:\tlddw %%r1, map_idx 1 # map second')" dis.txt && ok || bad "disasm --syntax ubpf: $(cat dis.txt)"
grep -q "$(printf '       4:\tlddw %%r3, map_idx_value 1, 12 # map second')" dis.txt && ok || bad "disasm --syntax ubpf map_idx_value: $(cat dis.txt)"
cp dis.txt rt.s
[ "$(hexof rt.s)" = "$(hexof two.s)" ] && ok || bad "uBPF disasm -> asm round trip changed the bytes"
"$BPFVM" disasm rt.s --syntax ubpf >dis2.txt 2>err && cmp -s dis.txt dis2.txt && ok || bad "uBPF round trip: $(diff dis.txt dis2.txt)"
# raw bytecode has no names: no annotation, no .map lines
"$BPFVM" asm two.s -o two.bin
"$BPFVM" disasm two.bin >dis.txt 2>err
! grep -q '# map\|^\.map' dis.txt && grep -q "ld_pseudo	r1, 5, 1$" dis.txt && ok || bad "disasm of raw bytecode: $(cat dis.txt)"

# ---- the right map behind each index and fd ----
# Program: stores 11 in map 'a' and 22 in map 'b' (index), 33 via fd 3 (the
# first map created) at key 1, then returns the sum of what it reads back.
cat >use.s <<'EOF'
.map a array key=4 value=8 entries=2
.map b hash key=4 value=8 entries=4
	stw [%r10-4], 0          # key 0
	stdw [%r10-16], 11
	lddw %r1, map_idx a
	mov %r2, %r10
	add %r2, -4
	mov %r3, %r10
	add %r3, -16
	mov %r4, 0
	call bpf_map_update_elem
	stdw [%r10-16], 22
	lddw %r1, map_idx b
	mov %r2, %r10
	add %r2, -4
	mov %r3, %r10
	add %r3, -16
	mov %r4, 0
	call bpf_map_update_elem
	stw [%r10-4], 1          # key 1 of fd 3 (= map a)
	stdw [%r10-16], 33
	lddw %r1, map_fd 3
	mov %r2, %r10
	add %r2, -4
	mov %r3, %r10
	add %r3, -16
	mov %r4, 0
	call bpf_map_update_elem
	mov %r0, 0
	exit
EOF
"$BPFVM" run use.s --json >out 2>err
rc=$?
if [ $rc -ne 0 ]; then
	bad "maps by index and fd: exit $rc: $(cat err)"
elif ! grep -q '"a": \[{"key": 0, "value": 11}, {"key": 1, "value": 33}\], "b": \[{"key": 0, "value": 22}\]' out; then
	bad "maps by index and fd: $(cat out)"
else
	ok
fi
# the table form: r0 stays on the last line
"$BPFVM" run use.s >out 2>err
[ "$(tail -n 1 out)" = "0x0" ] && grep -q "^map a: array, key 4, value 8, 2 entries: 2 non-zero entries" out && ok ||
	bad "maps table before r0: $(cat out)"
# the same bytecode as raw .bin with the maps on the command line
"$BPFVM" asm use.s -o use.bin
"$BPFVM" run use.bin --map a:array:4:8:2 --map b:hash:4:8:4 --json >out2 2>err
"$BPFVM" run use.s --json >out
cmp -s out out2 && ok || bad "raw .bin + --map differs from the .s: $(cat out2) vs $(cat out)"
# a map index without maps is refused at load
expect "map index without maps" $E_PROG "^bpfvm: use\.bin:insn 2: lddw refers to map index 0" "$BPFVM" run use.bin
expect "map fd without maps" $E_PROG "^bpfvm: n\.s:insn 0: lddw refers to map fd 7" "$BPFVM" run n.s

# ---- how each kind of map is printed ----
# The program stores: h[01 02 03] = 0a 0b 0c 0d 0e (sizes that are not
# integers print as hex), pc[2] = 7 on CPU 0 (per-CPU: summed), 5, 6, 7
# pushed on a queue (popped 5, 6, 7) and a stack (popped 7, 6, 5), and
# ph[0x0201] = 01 02 03 on CPU 0 (per-CPU, not an integer: every CPU).
cat >kinds.s <<'EOF'
.map h hash key=3 value=5 entries=8
.map pc percpu_array value=8 entries=4
.map q queue value=4 entries=4
.map s stack value=4 entries=4
.map ph percpu_hash key=2 value=3 entries=4
	stw [%r10-8], 0x030201
	stw [%r10-16], 0x0d0c0b0a
	stb [%r10-12], 0x0e
	lddw %r1, map_idx h
	mov %r2, %r10
	add %r2, -8
	mov %r3, %r10
	add %r3, -16
	mov %r4, 0
	call bpf_map_update_elem
	stw [%r10-4], 2
	stdw [%r10-16], 7
	lddw %r1, map_idx pc
	mov %r2, %r10
	add %r2, -4
	mov %r3, %r10
	add %r3, -16
	mov %r4, 0
	call bpf_map_update_elem
	mov %r6, 5
loop:
	stxw [%r10-4], %r6
	lddw %r1, map_idx q
	mov %r2, %r10
	add %r2, -4
	mov %r3, 0
	call bpf_map_push_elem
	lddw %r1, map_idx s
	mov %r2, %r10
	add %r2, -4
	mov %r3, 0
	call bpf_map_push_elem
	add %r6, 1
	jle %r6, 7, loop
	sth [%r10-2], 0x0201
	stw [%r10-8], 0x030201
	lddw %r1, map_idx ph
	mov %r2, %r10
	add %r2, -2
	mov %r3, %r10
	add %r3, -8
	mov %r4, 0
	call bpf_map_update_elem
	mov %r0, 0
	exit
EOF
"$BPFVM" run kinds.s >out 2>err
rc=$?
if [ $rc -ne 0 ]; then
	bad "map kinds: exit $rc: $(cat err)"
else
	# the number of CPU copies is the environment's (the host's CPUs)
	ncpu=$(sed -n 's/^map pc: .*, \([0-9]*\) CPUs.*/\1/p' out)
	ncpu=${ncpu:-1}
	cpus_hex="cpu0: 01 02 03" zeros="" zhex=""
	for ((c = 1; c < ncpu; c++)); do
		cpus_hex="$cpus_hex | cpu$c: 00 00 00"
		zeros="$zeros, 0"
		zhex="$zhex, \"000000\""
	done
	check_line() { grep -Eq -- "$1" out && ok || bad "map kinds: no line matching '$1' in: $(cat out)"; }
	check_line "^map h: hash, key 3, value 5, 8 entries: 1 entry$"
	check_line "^  01 02 03  0a 0b 0c 0d 0e$"
	check_line "^map pc: percpu_array, key 4, value 8, 4 entries, $ncpu CPUs \(values summed\): 1 non-zero entry$"
	check_line "^ +2 +7$"
	check_line "^map q: queue, value 4, 4 entries: 3 elements$"
	check_line "^map s: stack, value 4, 4 entries: 3 elements$"
	check_line "^map ph: percpu_hash, key 2, value 3, 4 entries, $ncpu CPUs: 1 entry$"
	check_line "^  513  $cpus_hex$"
	# pop order: the queue FIFO, the stack LIFO
	awk '/^map q:/ { f = 1; next } /^$/ { f = 0 } f && $1 ~ /^[0-9]+$/ { printf "%s ", $1 }' out | grep -qx "5 6 7 " && ok ||
		bad "queue pop order: $(cat out)"
	awk '/^map s:/ { f = 1; next } /^$/ { f = 0 } f && $1 ~ /^[0-9]+$/ { printf "%s ", $1 }' out | grep -qx "7 6 5 " && ok ||
		bad "stack pop order: $(cat out)"
	[ "$(tail -n 1 out)" = "0x0" ] && ok || bad "map kinds: r0 is not on the last line"
	want='{"r0": 0, "maps": {"h": [{"key": "010203", "value": "0a0b0c0d0e"}], "pc": [{"key": 2, "value": 7, "cpus": [7'"$zeros"']}], "q": [{"value": 5}, {"value": 6}, {"value": 7}], "s": [{"value": 7}, {"value": 6}, {"value": 5}], "ph": [{"key": 513, "cpus": ["010203"'"$zhex"']}]}}'
	"$BPFVM" run kinds.s --json >out 2>err
	[ "$(cat out)" = "$want" ] && ok || bad "map kinds --json: $(cat out) expected $want"
	if command -v python3 >/dev/null 2>&1; then
		python3 -m json.tool out >/dev/null 2>&1 && ok || bad "map kinds --json is not valid JSON"
	fi
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
