#!/bin/bash
# elf.sh - ELF objects on the bpfvm command line (build/examples/bpf/*.o,
# compiled by clang from examples/bpf/*.c): `run` of sock_example.o over
# examples/data/sample.pcap, its per-protocol counts checked against
# examples/sock_example.s run the same way and against counts this script
# computes without bpfvm (a python3 pcap reader, tcpdump 'ether[23] = N');
# xdp_count.o's per-action summary and per-source counts against the
# reader; tail_call.o --program entry; --engine jit against the interpreter;
# `info --json` parsed and compared with the SEC(...) names of the sources;
# `disasm` per-function instruction counts against llvm-objdump -d; and the
# errors: truncated objects (one line with the offset, exit 3), an unknown
# --program (exit 2, the programs listed), several programs without
# --program, --type/--map with an object, --program without one.
set -u
export LC_ALL=C

B=${BPFVM_BUILD_DIR:?BPFVM_BUILD_DIR must point to the build directory}
SRC=${BPFVM_SOURCE_DIR:?BPFVM_SOURCE_DIR must point to the source directory}
BPFVM=$B/bpfvm
[ -x "$BPFVM" ] || { echo "missing $BPFVM (build it first)"; exit 1; }
OBJ=$B/examples/bpf
PCAP=$SRC/examples/data/sample.pcap
ASM=$SRC/examples/sock_example.s
for o in sock_example xdp_count globals_subprog tail_call ringbuf core_ctx; do
	if [ ! -r "$OBJ/$o.o" ]; then
		echo "skipping: $OBJ/$o.o is missing (the examples need clang -target bpf)"
		exit 77
	fi
done
if ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import json, struct' 2>/dev/null; then
	echo "skipping: python3 (json, struct) is needed to read the captures and the JSON reports"
	exit 77
fi
have_td=0 have_od=0
command -v tcpdump >/dev/null 2>&1 && have_td=1
command -v llvm-objdump >/dev/null 2>&1 && have_od=1

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

E_OK=0 E_PROG=1 E_USAGE=2 E_INPUT=3

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

# ---- the capture, read without bpfvm: "caplen byte23 ethertype saddr" per frame ----
# (byte23 = -1 below 24 bytes; ethertype = -1 below 14; saddr = the IPv4
# source as the little-endian u32 of its 4 bytes, -1 unless IPv4 with a
# whole 20-byte header, as xdp_count.c requires)
python3 - "$PCAP" >table <<'EOF' || { echo "could not read $PCAP independently"; exit 1; }
import struct, sys
d = open(sys.argv[1], 'rb').read()
m = struct.unpack('<I', d[:4])[0]
e = '<' if m in (0xa1b2c3d4, 0xa1b23c4d) else '>' if m in (0xd4c3b2a1, 0x4d3cb2a1) else None
if e is None:
    sys.exit('not a pcap file')
off = 24
while off + 16 <= len(d):
    cap = struct.unpack(e + 'I', d[off + 8:off + 12])[0]
    f = d[off + 16:off + 16 + cap]
    if len(f) < cap:
        break
    et = struct.unpack('>H', f[12:14])[0] if cap >= 14 else -1
    sa = struct.unpack('<I', f[26:30])[0] if et == 0x0800 and cap >= 34 else -1
    print(cap, f[23] if cap >= 24 else -1, et, sa)
    off += 16 + cap
EOF
N=$(wc -l <table)
[ "$N" -gt 0 ] || { echo "could not read $PCAP independently"; exit 1; }
count23() { awk -v k="$1" '$2 == k' table | wc -l; }
TOTAL=$(awk '{ s += $1 } END { print s + 0 }' table)
echo "sample.pcap: $N frames, $TOTAL bytes; byte 23 = 6: $(count23 6), 17: $(count23 17), 1: $(count23 1)"

if [ $have_td -eq 1 ]; then
	for k in 6 17 1; do
		t=$(tcpdump -nr "$PCAP" "ether[23] = $k" 2>/dev/null | wc -l)
		[ "$t" -eq "$(count23 $k)" ] && ok || bad "tcpdump 'ether[23] = $k' counts $t, the reader $(count23 $k)"
	done
else
	echo "note: tcpdump missing, the counts are checked against the python reader only"
fi

# ---- sock_example.o vs sock_example.s vs the reader ----
"$BPFVM" run "$ASM" --pcap "$PCAP" --json >asm.json 2>err || bad "sock_example.s: $(cat err)"
"$BPFVM" run "$OBJ/sock_example.o" --pcap "$PCAP" --json >obj.json 2>err
rc=$?
if [ $rc -ne 0 ]; then
	bad "sock_example.o --pcap: exit $rc: $(cat err)"
else
	[ -s err ] && bad "sock_example.o: wrote to stderr: $(cat err)" || ok
	python3 - obj.json asm.json table "$N" "$TOTAL" >pyout 2>&1 <<'EOF' && ok || bad "sock_example.o: $(cat pyout)"
import json, sys
o = json.load(open(sys.argv[1]))
a = json.load(open(sys.argv[2]))
frames = [l.split() for l in open(sys.argv[3])]
n, total = int(sys.argv[4]), int(sys.argv[5])
assert o['packets'] == n and o['type'] == 'socket_filter', (o['packets'], o['type'])
# the program returns skb->len: every packet accepted whole
assert o['returns'] == {'accepted': n, 'accepted_bytes': total, 'dropped': 0, 'dropped_bytes': 0}, o['returns']
pk, by = {}, {}
for e in o['maps']['proto_count']:
    v = bytes.fromhex(e['value'])
    pk[e['key']] = int.from_bytes(v[:8], 'little')
    by[e['key']] = int.from_bytes(v[8:16], 'little')
asm = {e['key']: e['value'] for e in a['maps']['my_map']}
want_pk, want_by = {}, {}
for cap, b23, _, _ in frames:
    if int(b23) >= 0:
        want_pk[int(b23)] = want_pk.get(int(b23), 0) + 1
        want_by[int(b23)] = want_by.get(int(b23), 0) + int(cap)
assert pk == asm, ('object', pk, 'assembly', asm)
assert pk == want_pk, ('object', pk, 'reader', want_pk)
assert by == want_by, ('bytes', by, 'reader', want_by)
print('TCP %d UDP %d ICMP %d' % (pk.get(6, 0), pk.get(17, 0), pk.get(1, 0)))
EOF
	echo "sock_example.o: $(tail -1 pyout) (sock_example.s and the reader agree)"
fi

# one run on --mem: an IPv4/TCP frame of 26 bytes (byte 23 = 6) returns 26
mem=$(printf '00 %.0s' $(seq 1 23))"06 00 00"
"$BPFVM" run "$OBJ/sock_example.o" --mem "$mem" >one.txt 2>err && [ "$(tail -1 one.txt)" = 0x1a ] &&
	grep -Eq '^ +6  01 00 00 00 00 00 00 00 1a 00' one.txt && ok || bad "sock_example.o --mem: $(cat one.txt err)"

# ---- xdp_count.o: per-action summary and per-source counts ----
"$BPFVM" run "$OBJ/xdp_count.o" --pcap "$PCAP" >xdp.txt 2>err || bad "xdp_count.o: $(cat err)"
grep -Eq "^  XDP_PASS +$N$" xdp.txt && [ "$(grep -c '^  XDP_' xdp.txt)" -eq 1 ] && ok ||
	bad "xdp_count.o: expected all $N frames passed (blocked_saddr = 0): $(cat xdp.txt)"
"$BPFVM" run "$OBJ/xdp_count.o" --pcap "$PCAP" --json >xdp.json 2>err || bad "xdp_count.o --json: $(cat err)"
python3 - xdp.json table >pyout 2>&1 <<'EOF' && ok || bad "xdp_count.o --json: $(cat pyout)"
import json, sys
d = json.load(open(sys.argv[1]))
want = {}
for cap, _, _, sa in (l.split() for l in open(sys.argv[2])):
    if int(sa) >= 0:
        p, b = want.get(int(sa), (0, 0))
        want[int(sa)] = (p + 1, b + int(cap))
got = {}
for e in d['maps']['src_count']:
    v = bytes.fromhex(e['value'])
    got[e['key']] = (int.from_bytes(v[:8], 'little'), int.from_bytes(v[8:], 'little'))
assert got == want, (got, want)
assert d['returns'].get('XDP_PASS') == d['packets'], d['returns']
print('%d sources, %d IPv4 frames' % (len(got), sum(p for p, _ in got.values())))
EOF
echo "xdp_count.o: $N frames passed, src_count: $(tail -1 pyout)"
# --set: blocked_saddr (in .rodata) set before the load drops that source's frames
sa=$(awk '$4 >= 0 { c[$4]++ } END { for (k in c) print c[k], k }' table | sort -n | tail -n 1 | cut -d' ' -f2)
ndrop=$(awk -v s="$sa" '$4 == s' table | wc -l)
"$BPFVM" run "$OBJ/xdp_count.o" --pcap "$PCAP" --set "blocked_saddr=$sa" >xdp.txt 2>err &&
	grep -Eq "^  XDP_DROP +$ndrop$" xdp.txt && grep -Eq "^  XDP_PASS +$((N - ndrop))$" xdp.txt && ok ||
	bad "--set blocked_saddr=$sa: expected $ndrop dropped: $(cat xdp.txt err)"
"$BPFVM" verify "$OBJ/xdp_count.o" --set "blocked_saddr=$sa" >out 2>err && [ "$(tail -n 1 out)" = accepted ] && ok ||
	bad "verify --set: $(cat out err)"
expect "--set unknown variable" $E_USAGE "^bpfvm: run: --set: the object has no global variable 'nosuch'" \
	"$BPFVM" run "$OBJ/xdp_count.o" --pcap "$PCAP" --set nosuch=1
expect "--set too large a value" $E_USAGE "^bpfvm: run: --set blocked_saddr: '0x100000000' is not a number that fits 4 bytes" \
	"$BPFVM" run "$OBJ/xdp_count.o" --pcap "$PCAP" --set blocked_saddr=0x100000000
expect "--set without =" $E_USAGE "^bpfvm: run: --set 'blocked_saddr': expected NAME=VALUE" \
	"$BPFVM" run "$OBJ/xdp_count.o" --pcap "$PCAP" --set blocked_saddr
expect "--set on assembly" $E_USAGE "^bpfvm: run: --set needs an ELF object" "$BPFVM" run "$ASM" --set x=1

# ---- tail_call.o: several programs ----
expect "several programs, no --program" $E_USAGE "choose one with --program.*parse_ipv4.*count_l4.*entry" \
	"$BPFVM" run "$OBJ/tail_call.o" --pcap "$PCAP"
expect "unknown --program" $E_USAGE "no program or section 'nosuch'; programs: .*parse_ipv4 \(section xdp, xdp\).*entry" \
	"$BPFVM" run "$OBJ/tail_call.o" --program nosuch --pcap "$PCAP"
expect "disasm unknown --program" $E_USAGE "no program or section 'nosuch'" \
	"$BPFVM" disasm "$OBJ/tail_call.o" --program nosuch
"$BPFVM" run "$OBJ/tail_call.o" --program entry --pcap "$PCAP" --json >tc.json 2>err
python3 - tc.json "$N" >pyout 2>&1 <<'EOF' && ok || bad "tail_call.o --program entry: $(cat err pyout)"
import json, sys
d = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
assert d['packets'] == n and d['type'] == 'xdp'
hits = {e['key']: e['value'] for e in d['maps']['stage_hits']}
# entry counts every frame in slot 0 before its tail calls
assert hits.get(0) == n, hits
assert sum(d['returns'].values()) == n, d['returns']
EOF

# ---- --engine jit: the same reports ----
if [ "$(uname -m)" = x86_64 ]; then
	for spec in "sock_example.o" "xdp_count.o" "tail_call.o --program entry" "globals_subprog.o"; do
		# shellcheck disable=SC2086
		set -- $spec
		o=$1
		shift
		"$BPFVM" run "$OBJ/$o" "$@" --pcap "$PCAP" --json >i.json 2>ierr
		"$BPFVM" run "$OBJ/$o" "$@" --pcap "$PCAP" --json --engine jit >j.json 2>jerr
		[ -s i.json ] && cmp -s i.json j.json && ok || bad "--engine jit $spec differs: $(cat ierr jerr) $(head -c 300 j.json)"
	done
else
	echo "note: not x86-64, --engine jit not compared"
fi

# ---- info --json against the sources ----
for c in "$SRC"/examples/bpf/*.c; do
	o=$(basename "$c" .c)
	[ -r "$OBJ/$o.o" ] || continue
	"$BPFVM" info "$OBJ/$o.o" --json >info.json 2>err
	rc=$?
	[ $rc -eq 0 ] || { bad "info $o.o: exit $rc: $(cat err)"; continue; }
	python3 -m json.tool info.json >/dev/null 2>&1 && ok || { bad "info $o.o: not JSON: $(head -c 300 info.json)"; continue; }
	# "SECTION FUNCTION" for every program, and the .maps variables
	awk 'p { if (match($0, /[A-Za-z_][A-Za-z0-9_]*\(/)) print s, substr($0, RSTART, RLENGTH - 1); p = 0 }
	     /^SEC\("/ { s = $0; sub(/^SEC\("/, "", s); sub(/"\).*/, "", s); p = 1 }' "$c" | sort >want_progs
	grep -oE '\} *[A-Za-z_][A-Za-z0-9_]* SEC\("\.maps"\)' "$c" | sed -E 's/^\} *//; s/ SEC.*//' | sort >want_maps
	rodata=0
	grep -q 'const volatile' "$c" && rodata=1
	python3 - info.json want_progs want_maps $rodata >pyout 2>&1 <<'EOF' && ok || bad "info $o.o: $(cat pyout)"
import json, sys
d = json.load(open(sys.argv[1]))
progs = sorted('%s %s' % (p['section'], p['name']) for p in d['programs'])
want = sorted(l.strip() for l in open(sys.argv[2]) if l.strip())
assert progs == want, (progs, want)
for p in d['programs']:
    assert p['loaded'] is True and p['error'] is None, p
    assert p['insns'] > 0 and p['functions'][0]['name'] == p['name'], p
    assert p['type'] == {'socket': 'socket_filter', 'xdp': 'xdp'}[p['section']], p
maps = {m['name']: m for m in d['maps']}
for m in (l.strip() for l in open(sys.argv[3]) if l.strip()):
    assert m in maps, (m, list(maps))
    assert maps[m]['max_entries'] > 0, maps[m]
if sys.argv[4] == '1':
    assert '.rodata' in maps and maps['.rodata']['type'] == 'array', list(maps)
for r in d['relocations']:
    assert r['kind'] in ('map', 'map_value', 'call', 'func', 'core', 'prog_slot'), r
    if r['kind'] == 'map':
        assert r['target'] in maps, r
EOF
done
"$BPFVM" info "$OBJ/globals_subprog.o" >info.txt 2>err && grep -Eq '^  globals_prog +section xdp +type xdp .*loaded \(verified\)$' info.txt &&
	grep -Eq 'map_value +total_bytes +\.bss' info.txt && ok || bad "info text: $(cat info.txt err)"
expect "info of a non-object" $E_INPUT "offset 0: not an ELF object" "$BPFVM" info "$ASM"

# ---- disasm --jit of objects: every program, both images, map names ----
if "$BPFVM" disasm --jit "$ASM" >/dev/null 2>&1; then
	"$BPFVM" disasm --jit "$OBJ/tail_call.o" --no-bytes >jit.txt 2>err
	nprog=$(grep -c '^program ' jit.txt)
	nhdr=$(grep -c '^; .*: x86-64 code of the trusted image' jit.txt)
	[ $? -le 1 ] && [ "$nprog" -eq 4 ] && [ "$nhdr" -eq 4 ] && grep -q '# map jmp_table$' jit.txt && [ ! -s err ] && ok ||
		bad "disasm --jit tail_call.o: $nprog programs, $nhdr trusted listings: $(head -c 300 err)"
	"$BPFVM" disasm --jit "$OBJ/xdp_count.o" --program xdp_count_prog --checked >jit.txt 2>err &&
		[ "$(grep -c '^program ' jit.txt)" -eq 1 ] && grep -q 'runtime-checked image' jit.txt && ok ||
		bad "disasm --jit --program --checked: $(head -c 300 err)"
	expect "disasm --jit OBJ --type" $E_USAGE "^bpfvm: disasm: --type cannot be used with ELF objects" \
		"$BPFVM" disasm --jit "$OBJ/xdp_count.o" --type xdp
	expect "disasm --jit OBJ --program nosuch" $E_USAGE "no program or section 'nosuch'" \
		"$BPFVM" disasm --jit "$OBJ/xdp_count.o" --program nosuch
	expect "disasm --jit PROG.s --program" $E_USAGE "^bpfvm: disasm: --program needs an ELF object" \
		"$BPFVM" disasm --jit "$ASM" --program x
else
	echo "note: no JIT on this host: disasm --jit of objects not checked"
fi

# ---- disasm: per-function instruction lines against llvm-objdump ----
# funcs FILE: "FUNCTION LINES" for the first listing of each function
ours() { awk '/^program / { f = "" } /^<[^>]+>:$/ { f = substr($0, 2, length($0) - 3); if (f in seen) f = ""; seen[f] = 1; next }
	      f != "" && /^ *[0-9]+:\t/ { c[f]++ } END { for (k in c) print k, c[k] }' "$1" | sort; }
theirs() { awk '/^[0-9a-f]+ <[^>]+>:$/ { n = $2; gsub(/[<>:]/, "", n); if (n !~ /^LBB/ && n !~ /^\.L/) f = n; next }
	        /^Disassembly of section/ { f = "" }
	        f != "" && /^ *[0-9]+:\t/ { c[f]++ } END { for (k in c) print k, c[k] }' "$1" | sort; }
for o in sock_example xdp_count globals_subprog tail_call ringbuf core_ctx; do
	"$BPFVM" disasm "$OBJ/$o.o" >dis.txt 2>err || { bad "disasm $o.o: $(cat err)"; continue; }
	# every program has a header and its instruction lines add up to its size
	python3 - dis.txt >pyout 2>&1 <<'EOF' || bad "disasm $o.o: $(cat pyout)"
import re, sys
cur, n, slots = None, 0, 0
for l in open(sys.argv[1]):
    m = re.match(r'program (\S+): section \S+, type \S+, (\d+) insns$', l)
    if m:
        assert cur is None or slots == n, (cur, slots, n)
        cur, n, slots = m.group(1), int(m.group(2)), 0
        continue
    m = re.match(r' *(\d+):\t(.*)$', l)
    if m:
        assert int(m.group(1)) == slots, (cur, l)
        slots += 2 if re.search(r' ll(\t|$)|^ld_pseudo|^lddw', m.group(2)) else 1
assert cur is None or slots == n, (cur, slots, n)
EOF
	if [ $have_od -eq 1 ]; then
		llvm-objdump -d "$OBJ/$o.o" >od.txt 2>/dev/null
		ours dis.txt >a
		theirs od.txt >b
		[ -s a ] && cmp -s a b && ok || bad "disasm $o.o: per-function lines $(tr '\n' ' ' <a) vs llvm-objdump $(tr '\n' ' ' <b)"
	fi
done
[ $have_od -eq 1 ] || echo "note: llvm-objdump missing, instruction counts not compared"
"$BPFVM" disasm "$OBJ/globals_subprog.o" >dis.txt 2>err
grep -Eq $'^ +[0-9]+:\t.*; \\.bss\\+128 \\(total_bytes\\)$' dis.txt && grep -Eq $'; call mix$' dis.txt &&
	grep -Eq $'; func mix_round$' dis.txt && grep -qx '<bucket_of>:' dis.txt && ok || bad "disasm annotations: $(cat dis.txt err | head -60)"
"$BPFVM" disasm "$OBJ/core_ctx.o" >dis.txt 2>err
grep -Eq '; CO-RE field_byte_offset struct __sk_buff.*::len .* = 0$' dis.txt && ok || bad "disasm CO-RE: $(cat dis.txt err | head -40)"
"$BPFVM" disasm "$OBJ/tail_call.o" --program count_l4 >dis.txt 2>err
[ "$(grep -c '^program ' dis.txt)" -eq 1 ] && grep -q '^program count_l4: section xdp' dis.txt && ok || bad "disasm --program: $(cat dis.txt err)"
"$BPFVM" disasm "$OBJ/sock_example.o" --syntax ubpf >dis.txt 2>err && grep -q '; map proto_count$' dis.txt && ok ||
	bad "disasm --syntax ubpf: $(cat dis.txt err)"

# ---- malformed objects: one line with the offset, exit 3 ----
size=$(stat -c %s "$OBJ/sock_example.o")
for n in 4 20 64 $((size / 2)) $((size - 1)); do
	head -c $n "$OBJ/sock_example.o" >trunc.o
	expect "run of an object truncated to $n bytes" $E_INPUT "^bpfvm: trunc\.o:offset [0-9]+: " "$BPFVM" run trunc.o --pcap "$PCAP"
	expect "info of an object truncated to $n bytes" $E_INPUT "^bpfvm: trunc\.o:offset [0-9]+: " "$BPFVM" info trunc.o
	expect "disasm of an object truncated to $n bytes" $E_INPUT "^bpfvm: trunc\.o:offset [0-9]+: " "$BPFVM" disasm trunc.o
	# cut inside the section headers at the end (clang writes them last): said so
	if [ $n -ge 64 ]; then
		expect "object truncated to $n bytes says so" $E_INPUT \
			"^bpfvm: trunc\.o:offset 40: truncated object: its [0-9]+ section headers at offset [0-9]+ end past the end of the file \($n bytes\)" \
			"$BPFVM" info trunc.o
	fi
done

# random corruptions of the objects: never a signal, at most one stderr line
# (sanitizer reports are longer)
python3 - "$OBJ" <<'EOF' || bad "could not write corrupted objects"
import os, random, sys
r = random.Random(1234)
for i, o in enumerate(['sock_example', 'globals_subprog', 'tail_call', 'core_ctx'] * 8):
    d = bytearray(open(os.path.join(sys.argv[1], o + '.o'), 'rb').read())
    for _ in range(r.randint(1, 8)):
        d[r.randrange(len(d))] = r.randrange(256)
    open('bad%02d.o' % i, 'wb').write(bytes(d))
EOF
crashes=0
for f in bad*.o; do
	for cmd in "info $f" "disasm $f" "run $f --mem 00 --program xdp"; do
		# shellcheck disable=SC2086
		"$BPFVM" $cmd >/dev/null 2>err </dev/null
		rc=$?
		if [ $rc -ge 128 ] || [ "$(wc -l <err)" -gt 1 ]; then
			crashes=$((crashes + 1))
			bad "bpfvm $cmd: exit $rc: $(head -c 600 err)"
		fi
	done
done
[ $crashes -eq 0 ] && ok
echo "corrupted objects: $(ls bad*.o | wc -l) files x 3 commands, $crashes failures"

# ---- usage ----
expect "--type with an object" $E_USAGE "--type cannot be used with ELF" "$BPFVM" run "$OBJ/xdp_count.o" --type xdp --pcap "$PCAP"
expect "--map with an object" $E_USAGE "--map cannot be used with ELF" "$BPFVM" run "$OBJ/xdp_count.o" --map m:array:4:4:1 --pcap "$PCAP"
expect "--program without an object" $E_USAGE "--program needs an ELF object" "$BPFVM" run "$ASM" --program x --pcap "$PCAP"
# an object from stdin with --format elf
"$BPFVM" run - --format elf --pcap "$PCAP" --json <"$OBJ/sock_example.o" >stdin.json 2>err && cmp -s stdin.json obj.json && ok ||
	bad "object on stdin: $(cat err) $(head -c 200 stdin.json)"

echo "elf.sh: $pass passed, $fail failed"
[ $fail -eq 0 ]
