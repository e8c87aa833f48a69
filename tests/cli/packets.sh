#!/bin/bash
# packets.sh - `bpfvm run --pcap/--live`: examples/sock_example.s over
# examples/data/sample.pcap, with the per-protocol counts checked against
# counts this script computes without bpfvm (tcpdump filters 'ether[23] = N'
# -- the byte the program reads -- and a small python3 pcap reader, or
# tcpdump's hex dump when python3 is missing); the JSON report parsed and
# compared with the table; the socket filter accepted/dropped rule (u32
# truncation, min(r0, len) bytes); XDP per-action counts from a program that
# branches on a packet byte; raw programs (r1 = frame, r2 = length; LD_ABS);
# --count; pcap from stdin; a raw-IP capture; ring buffer records; the
# errors (truncated capture: offset and frame number, not a capture, unknown
# link type, missing and empty files, an undeclared map, a fault in a frame,
# usage errors); random corruptions of the capture (never a crash); and a
# live run on lo with traffic from trafficgen (needs root).
set -u
export LC_ALL=C

B=${BPFVM_BUILD_DIR:?BPFVM_BUILD_DIR must point to the build directory}
SRC=${BPFVM_SOURCE_DIR:?BPFVM_SOURCE_DIR must point to the source directory}
BPFVM=$B/bpfvm
[ -x "$BPFVM" ] || { echo "missing $BPFVM (build it first)"; exit 1; }
PCAP=$SRC/examples/data/sample.pcap
PROG=$SRC/examples/sock_example.s
[ -r "$PCAP" ] && [ -r "$PROG" ] || { echo "missing $PCAP or $PROG"; exit 1; }

have_py=0 have_td=0
command -v python3 >/dev/null 2>&1 && python3 -c 'import json, struct' 2>/dev/null && have_py=1
command -v tcpdump >/dev/null 2>&1 && have_td=1
if [ $have_py -eq 0 ] && [ $have_td -eq 0 ]; then
	echo "skipping: neither python3 nor tcpdump is available to count the packets independently"
	exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

E_OK=0 E_PROG=1 E_USAGE=2 E_INPUT=3 E_RUN=4 E_UNSUPP=5

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

# ---- the capture, read without bpfvm: one line per frame "caplen byte23" ----
# (byte23 = -1 when the frame is shorter than 24 bytes)
frames() { # FILE
	if [ $have_py -eq 1 ]; then
		python3 - "$1" <<'EOF'
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
    print(cap, f[23] if cap >= 24 else -1)
    off += 16 + cap
EOF
	else
		# tcpdump -xx: the captured bytes of each frame in hex
		tcpdump -nr "$1" -xx 2>/dev/null | awk '
			function flush() { if (n) print n, (n >= 24 ? b : "-1"); n = 0 }
			/^[^ \t]/ { flush(); next }
			$1 ~ /^0x[0-9a-f]+:$/ {
				for (i = 2; i <= NF; i++)
					for (j = 1; j < length($i); j += 2) { if (n == 23) b = substr($i, j, 2); n++ }
			}
			END { flush() }' | while read -r c h; do
			[ "$h" = -1 ] && echo "$c -1" || echo "$c $((16#$h))"
		done
	fi
}
frames "$PCAP" >table
N=$(wc -l <table)
[ "$N" -gt 0 ] || { echo "could not read $PCAP independently"; exit 1; }
count23() { awk -v k="$1" '$2 == k' "${2:-table}" | wc -l; }
sumlen() { awk '{ s += $1 } END { print s + 0 }' "${1:-table}"; }
echo "sample.pcap: $N frames, $(sumlen) bytes; byte 23 = 6: $(count23 6), 17: $(count23 17), 1: $(count23 1)"

# tcpdump's own filters agree with the table (the program reads byte 23)
if [ $have_td -eq 1 ]; then
	for k in 6 17 1; do
		t=$(tcpdump -nr "$PCAP" "ether[23] = $k" 2>/dev/null | wc -l)
		[ "$t" -eq "$(count23 $k)" ] && ok || bad "tcpdump 'ether[23] = $k' counts $t, the reader $(count23 $k)"
		# every IPv4 packet of protocol k has k at byte 23
		p=$(tcpdump -nr "$PCAP" "ip proto $k" 2>/dev/null | wc -l)
		[ "$p" -le "$t" ] && ok || bad "'ip proto $k' ($p) exceeds 'ether[23] = $k' ($t)"
	done
fi

# map_rows FILE MAP: "key value" lines of MAP's table in a text report
map_rows() { awk -v m="map $2:" 'index($0, m) == 1 { f = 1; next } /^map / { f = 0 } f && $1 ~ /^[0-9]+$/ { print $1, $2 }' "$1"; }

# ---- sock_example.s: the table ----
"$BPFVM" run "$PROG" --pcap "$PCAP" >rep.txt 2>err
rc=$?
if [ $rc -ne 0 ]; then
	bad "sock_example.s over sample.pcap: exit $rc: $(cat err)"
else
	[ -s err ] && bad "sock_example.s: wrote to stderr (not a terminal): $(cat err)" || ok
	grep -qx "packets: $N" rep.txt && ok || bad "sock_example.s: packets line: $(head -1 rep.txt)"
	for k in 6 17 1; do
		got=$(map_rows rep.txt my_map | awk -v k=$k '$1 == k { print $2 }')
		want=$(count23 $k)
		[ "${got:-0}" = "$want" ] && ok || bad "sock_example.s: my_map[$k] = '${got:-absent}', expected $want"
	done
	# every row matches, no key is missing, and the rows add up to the
	# frames of at least 24 bytes
	map_rows rep.txt my_map >rows
	awk '$2 >= 0 { c[$2]++ } END { for (k in c) print k, c[k] }' table | sort -n >want_rows
	sort -n rows | cmp -s - want_rows && ok || bad "sock_example.s: rows $(tr '\n' ' ' <rows) vs expected $(tr '\n' ' ' <want_rows)"
	# all packets dropped (r0 = 0), with all their bytes
	grep -Eq "^  dropped +$N packets +$(sumlen) bytes$" rep.txt && ok || bad "sock_example.s: dropped line: $(grep dropped rep.txt)"
	grep -Eq "^  accepted +0 packets +0 bytes$" rep.txt && ok || bad "sock_example.s: accepted line: $(grep accepted rep.txt)"
fi

# ---- the same as JSON ----
"$BPFVM" run "$PROG" --pcap "$PCAP" --json >rep.json 2>err
rc=$?
if [ $rc -ne 0 ]; then
	bad "--json: exit $rc: $(cat err)"
elif [ "$(wc -l <rep.json)" -ne 1 ]; then
	bad "--json: expected one line, got $(wc -l <rep.json)"
elif [ $have_py -eq 1 ]; then
	python3 -m json.tool rep.json >/dev/null 2>&1 && ok || bad "--json: not valid JSON: $(cat rep.json)"
	python3 - rep.json rows "$N" "$(sumlen)" >pyout 2>&1 <<'EOF' && ok || bad "--json: $(cat pyout)"
import json, sys
d = json.load(open(sys.argv[1]))
rows = {int(k): int(v) for k, v in (l.split() for l in open(sys.argv[2]))}
n, total = int(sys.argv[3]), int(sys.argv[4])
assert d['packets'] == n, d['packets']
assert d['type'] == 'socket_filter', d['type']
assert d['returns'] == {'accepted': 0, 'accepted_bytes': 0, 'dropped': n, 'dropped_bytes': total}, d['returns']
got = {e['key']: e['value'] for e in d['maps']['my_map']}
assert got == rows, (got, rows)
keys = [e['key'] for e in d['maps']['my_map']]
assert keys == sorted(keys), keys
EOF
else
	# no JSON parser: check the shape and the values with patterns
	ok_json=1
	grep -q "^{\"packets\": $N, \"type\": \"socket_filter\", \"returns\": {" rep.json || ok_json=0
	while read -r k v; do grep -q "{\"key\": $k, \"value\": $v}" rep.json || ok_json=0; done <rows
	[ "$(tr -cd '{' <rep.json | wc -c)" -eq "$(tr -cd '}' <rep.json | wc -c)" ] || ok_json=0
	[ $ok_json -eq 1 ] && ok || bad "--json: $(cat rep.json)"
fi

# the C example (same library, different program text) agrees
if [ -x "$B/sock_example" ]; then
	line=$("$B/sock_example" --pcap "$PCAP" 2>&1)
	[ "$line" = "TCP $(count23 6) UDP $(count23 17) ICMP $(count23 1)" ] && ok || bad "build/sock_example says '$line'"
fi

# stdin as the capture
"$BPFVM" run "$PROG" --pcap - --json <"$PCAP" >stdin.json 2>err && cmp -s stdin.json rep.json && ok ||
	bad "--pcap -: $(cat err) $(head -c 300 stdin.json)"

# ---- --count ----
head -n 10 table >table10
"$BPFVM" run "$PROG" --pcap "$PCAP" --count 10 >rep10.txt 2>err
grep -qx "packets: 10" rep10.txt && ok || bad "--count 10: $(head -1 rep10.txt) $(cat err)"
map_rows rep10.txt my_map | sort -n >rows10
awk '$2 >= 0 { c[$2]++ } END { for (k in c) print k, c[k] }' table10 | sort -n >want10
cmp -s rows10 want10 && ok || bad "--count 10: rows $(tr '\n' ' ' <rows10) vs $(tr '\n' ' ' <want10)"

# ---- socket filter return values ----
# keep 60 bytes of every packet
printf 'mov %%r0, 60\nexit\n' >keep60.s
"$BPFVM" run keep60.s --pcap "$PCAP" >out 2>err
want=$(awk '{ s += ($1 < 60 ? $1 : 60) } END { print s }' table)
grep -Eq "^  accepted +$N packets +$want bytes$" out && grep -Eq "^  dropped +0 packets +0 bytes$" out && ok ||
	bad "r0 = 60: expected $N packets / $want bytes accepted: $(cat out err)"
# drop TCP, keep 40 bytes of the rest
cat >notcp.s <<'EOF'
mov %r6, %r1
ldabsb 23
jeq %r0, 6, +2
mov %r0, 40
exit
mov %r0, 0
exit
EOF
"$BPFVM" run notcp.s --pcap "$PCAP" --json >out 2>err
# frames shorter than 24 bytes end at ldabsb with r0 = 0: dropped too
acc=$(awk '$2 >= 0 && $2 != 6' table | wc -l)
accb=$(awk '$2 >= 0 && $2 != 6 { s += ($1 < 40 ? $1 : 40) } END { print s + 0 }' table)
drp=$((N - acc))
drpb=$(awk '$2 < 0 || $2 == 6 { s += $1 } END { print s + 0 }' table)
grep -q "\"returns\": {\"accepted\": $acc, \"accepted_bytes\": $accb, \"dropped\": $drp, \"dropped_bytes\": $drpb}" out && ok ||
	bad "drop TCP: expected $acc/$accb accepted, $drp/$drpb dropped: $(cat out err)"
# r0 is truncated to 32 bits: 1 << 32 drops everything
printf 'lddw %%r0, 0x100000000\nexit\n' >big.s
"$BPFVM" run big.s --pcap "$PCAP" --json >out 2>err
grep -q "\"accepted\": 0, \"accepted_bytes\": 0, \"dropped\": $N," out && ok || bad "r0 = 1 << 32 must drop: $(cat out err)"

# ---- XDP: actions chosen by byte 23 (direct packet access) ----
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
"$BPFVM" run xdp.s --type xdp --pcap "$PCAP" >out 2>err
short=$(count23 -1)
other=$(awk '$2 >= 0 && $2 != 6 && $2 != 17 && $2 != 1' table | wc -l)
for pair in "XDP_DROP $(count23 6)" "XDP_TX $(count23 17)" "XDP_REDIRECT $(count23 1)" "XDP_PASS $short" "7 $other"; do
	set -- $pair
	if [ "$2" -eq 0 ]; then
		grep -Eq "^  $1 " out && bad "xdp: $1 listed with no packets: $(cat out)" || ok
	else
		grep -Eq "^  $1 +$2$" out && ok || bad "xdp: expected $1 = $2: $(cat out err)"
	fi
done
grep -q "XDP_ABORTED" out && bad "xdp: XDP_ABORTED listed" || ok
"$BPFVM" run xdp.s --type xdp --pcap "$PCAP" --json >out 2>err
if [ $have_py -eq 1 ]; then
	python3 -c '
import json, sys
d = json.load(open("out"))
want = {k: int(v) for k, v in zip(sys.argv[1::2], sys.argv[2::2]) if int(v)}
assert d["type"] == "xdp" and d["returns"] == want, (d, want)' \
		XDP_DROP "$(count23 6)" XDP_TX "$(count23 17)" XDP_REDIRECT "$(count23 1)" XDP_PASS "$short" 7 "$other" 2>pyerr &&
		ok || bad "xdp --json: $(cat pyerr)"
fi

# ---- raw programs: r1 = a copy of the frame, r2 = its length ----
printf 'mov %%r0, %%r2\nexit\n' >len.s
"$BPFVM" run len.s --type raw --pcap "$PCAP" >out 2>err
awk '{ c[$1]++ } END { for (l in c) printf "  r0 = 0x%x %d\n", l, c[l] }' table | sort >want
grep '^  r0 = ' out | awk '{ print "  r0 = " $3, $4 }' | sort >got
cmp -s got want && ok || bad "raw r0 = r2: $(cat got) vs $(cat want)"
# LD_ABS reads the frame in raw programs too; a short frame ends with r0 = 0
printf 'ldabsb 23\nexit\n' >b23.s
"$BPFVM" run b23.s --type raw --pcap "$PCAP" >out 2>err
awk '{ v = $2 < 0 ? 0 : $2; c[v]++ } END { for (x in c) printf "  r0 = 0x%x %d\n", x, c[x] }' table | sort >want
grep '^  r0 = ' out | awk '{ print "  r0 = " $3, $4 }' | sort >got
cmp -s got want && ok || bad "raw ldabsb 23: $(cat got) vs $(cat want)"
# and r1 is writable (the length in r2 checked first, for the verifier)
printf 'mov %%r0, 0\njlt %%r2, 1, +2\nstb [%%r1], 0x42\nldxb %%r0, [%%r1]\nexit\n' >w.s
"$BPFVM" run w.s --type raw --pcap "$PCAP" --json >out 2>err
grep -q "\"returns\": {\"0x42\": $N}" out && ok || bad "raw writable frame copy: $(cat out err)"

# ---- a raw-IP capture (link type 12): frames get an Ethernet header ----
if [ $have_py -eq 1 ]; then
	python3 - "$PCAP" rawip.pcap <<'EOF'
import struct, sys
d = open(sys.argv[1], 'rb').read()
out = bytearray(d[:20]) + struct.pack('<I', 12)   # LINKTYPE_RAW
off = 24
while off + 16 <= len(d):
    ts, tu, cap, wire = struct.unpack('<IIII', d[off:off + 16])
    f = d[off + 16:off + 16 + cap]
    if f[12:14] == b'\x08\x00':      # keep the IPv4 frames, without Ethernet
        out += struct.pack('<IIII', ts, tu, cap - 14, wire - 14) + f[14:]
    off += 16 + cap
open(sys.argv[2], 'wb').write(out)
EOF
	"$BPFVM" run "$PROG" --pcap rawip.pcap >out 2>err
	ok_raw=1
	for k in 6 17 1; do
		got=$(map_rows out my_map | awk -v k=$k '$1 == k { print $2 }')
		[ "${got:-0}" = "$(count23 $k)" ] || ok_raw=0
	done
	[ $ok_raw -eq 1 ] && ok || bad "raw-IP capture: $(cat out err)"
fi

# ---- ring buffer: one record per frame of at least 24 bytes ----
cat >rb.s <<'EOF'
.map events ringbuf entries=4096
	mov %r6, %r1
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
"$BPFVM" run rb.s --pcap "$PCAP" --count 12 >out 2>err
head -n 12 table | awk '$2 >= 0 { printf "  [1 bytes] %02x\n", $2 }' >want
grep '^  \[' out >got
cmp -s got want && ok || bad "ring buffer records: $(cat got) vs $(cat want) $(cat err)"

# ---- errors ----
# record offsets from the table: the file header is 24 bytes, each record 16 + caplen
k=$((N / 2))
off=$(head -n "$k" table | awk '{ s += 16 + $1 } END { print s + 24 }')
caplen_k=$(sed -n "$((k + 1))p" table | cut -d' ' -f1)
head -c $((off + 16 + caplen_k / 2)) "$PCAP" >trunc.pcap
# the offset named is where the damaged record starts
expect "truncated frame data" $E_INPUT "^bpfvm: trunc\.pcap:offset $off: frame $k: .*truncated" \
	"$BPFVM" run "$PROG" --pcap trunc.pcap
head -c $((off + 7)) "$PCAP" >trunc2.pcap
expect "truncated record header" $E_INPUT "^bpfvm: trunc2\.pcap:offset $off: frame $k: .*truncated" \
	"$BPFVM" run "$PROG" --pcap trunc2.pcap
head -c 10 "$PCAP" >trunc3.pcap
expect "truncated file header" $E_INPUT "^bpfvm: trunc3\.pcap:offset 0: .*truncated" "$BPFVM" run "$PROG" --pcap trunc3.pcap
echo "this is not a capture file" >notpcap.txt
expect "not a capture file" $E_INPUT "^bpfvm: notpcap\.txt:offset 0: " "$BPFVM" run "$PROG" --pcap notpcap.txt
: >empty.pcap
expect "empty capture file" $E_INPUT "^bpfvm: empty\.pcap:" "$BPFVM" run "$PROG" --pcap empty.pcap
expect "missing capture file" $E_INPUT "^bpfvm: nosuch\.pcap: .*No such file" "$BPFVM" run "$PROG" --pcap nosuch.pcap
# a pcap header with link type 147 (LINKTYPE_USER0), no frames
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x93\x00\x00\x00' >user0.pcap
expect "unknown link type" $E_UNSUPP "^bpfvm: user0\.pcap:offset 20: .*link type 147" "$BPFVM" run "$PROG" --pcap user0.pcap
# the program refers to a map it does not declare
grep -v '^\.map' "$PROG" >nomap.s
line=$(grep -n 'map_idx my_map' nomap.s | cut -d: -f1)
text=$(sed -n "${line}p" nomap.s)
pre=${text%%my_map*}
expect "undeclared map" $E_INPUT "^bpfvm: nomap\.s:$line:$(( ${#pre} + 1 )): undefined map 'my_map'" \
	"$BPFVM" run nomap.s --pcap "$PCAP"
# a fault in a frame: a read past the end of the context
printf 'mov %%r0, 0\nldxdw %%r0, [%%r1+4000]\nexit\n' >fault.s
expect "fault in a frame" $E_RUN "^bpfvm: fault\.s:insn 1: frame 0 of .*sample\.pcap: " "$BPFVM" run fault.s --pcap "$PCAP" \
	--no-verify
expect "verifier: context out of range" $E_PROG "^bpfvm: fault\.s:insn 1: invalid bpf_context access off=4000 size=8" \
	"$BPFVM" run fault.s --pcap "$PCAP"
# usage errors
expect "--pcap and --live" $E_USAGE "^bpfvm: run: --pcap and --live exclude each other" "$BPFVM" run "$PROG" --pcap "$PCAP" --live lo
expect "--interval without --live" $E_USAGE "^bpfvm: run: --interval needs --live" "$BPFVM" run "$PROG" --pcap "$PCAP" --interval 1
expect "--count without a source" $E_USAGE "^bpfvm: run: --count and --seconds need" "$BPFVM" run "$PROG" --count 3
expect "--count 0" $E_USAGE "^bpfvm: run: --count must be at least 1" "$BPFVM" run "$PROG" --pcap "$PCAP" --count 0
expect "--seconds bad" $E_USAGE "^bpfvm: run: --seconds: 'x' is not" "$BPFVM" run "$PROG" --pcap "$PCAP" --seconds x
expect "--seconds 0" $E_USAGE "^bpfvm: run: --seconds: '0' is not a number of seconds above 0" "$BPFVM" run "$PROG" --pcap "$PCAP" --seconds 0
expect "--type bad" $E_USAGE "^bpfvm: run: unknown program type 'tc'" "$BPFVM" run "$PROG" --pcap "$PCAP" --type tc
expect "--mem with --pcap" $E_USAGE "^bpfvm: run: --mem and --mem-file cannot be used with --pcap" \
	"$BPFVM" run "$PROG" --pcap "$PCAP" --mem 00
expect "--trace with --pcap" $E_USAGE "^bpfvm: run: --trace cannot be used" "$BPFVM" run "$PROG" --pcap "$PCAP" --trace
expect "--helpers bad" $E_USAGE "^bpfvm: run: unknown helper set" "$BPFVM" run "$PROG" --helpers foo
expect "--live on a missing interface" $E_INPUT "^bpfvm: nosuchif0: " "$BPFVM" run "$PROG" --live nosuchif0

# ---- random corruptions of the capture: errors or reports, never a crash ----
RANDOM=4242
size=$(wc -c <"$PCAP")
crashes=0 runs=0
for ((i = 0; i < 40; i++)); do
	cp "$PCAP" fz.pcap
	for ((j = 0; j < 1 + RANDOM % 4; j++)); do
		# half of the hits in the headers of the first records
		if ((RANDOM % 2)); then pos=$((RANDOM % 120)); else pos=$(( (RANDOM * 32768 + RANDOM) % size )); fi
		printf "\\x$(printf %02x $((RANDOM % 256)))" | dd of=fz.pcap bs=1 seek=$pos conv=notrunc status=none
	done
	((i % 5 == 4)) && head -c $(( (RANDOM * 32768 + RANDOM) % size )) fz.pcap >fz2.pcap && mv fz2.pcap fz.pcap
	"$BPFVM" run "$PROG" --pcap fz.pcap --json >out 2>err
	rc=$?
	runs=$((runs + 1))
	if [ $rc -ge 128 ]; then
		crashes=$((crashes + 1))
		bad "corrupted capture $i: killed by signal $((rc - 128))"
	elif [ $rc -ne 0 ] && [ "$(wc -l <err)" -ne 1 ]; then
		bad "corrupted capture $i: exit $rc with $(wc -l <err) stderr lines: $(head -c 300 err)"
	elif [ $rc -eq 0 ] && [ $have_py -eq 1 ] && ! python3 -m json.tool out >/dev/null 2>&1; then
		bad "corrupted capture $i: invalid JSON"
	else
		ok
	fi
done
echo "corrupted captures: $runs runs, $crashes crashes"

# ---- live: lo with traffic from trafficgen ----
live_skip=""
if [ "$(id -u)" -ne 0 ]; then
	live_skip="needs root"
elif [ ! -x "$B/trafficgen" ]; then
	live_skip="build/trafficgen is missing"
elif [ ! -e /sys/class/net/lo ]; then
	live_skip="no loopback interface"
fi
if [ -n "$live_skip" ]; then
	echo "skipping the live run: $live_skip"
else
	# wait_listening PID FILE: until bpfvm says the capture is on (at most 10 s)
	wait_listening() {
		for ((w = 0; w < 100; w++)); do
			grep -q '^bpfvm: listening on lo$' "$2" 2>/dev/null && return 0
			kill -0 "$1" 2>/dev/null || return 1
			sleep 0.1
		done
		return 1
	}
	timeout 60 "$BPFVM" run "$PROG" --live lo --seconds 2 --json >live.json 2>live.err &
	pid=$!
	wait_listening $pid live.err || bad "live run: no 'listening on lo' line: $(cat live.err)"
	# small pauses so that no burst outruns the capture ring
	"$B/trafficgen" --tcp 3 --udp 4 --icmp 2 --delay-ms 20 >gen.txt 2>gen.err
	# The packet source waits for frames without a time limit (see
	# docs/cli.md), so --seconds is noticed at the next frame: keep some
	# traffic coming until the run ends.
	for ((i = 0; i < 100 && $(kill -0 $pid 2>/dev/null && echo 1 || echo 0); i++)); do
		"$B/trafficgen" --tcp 0 --udp 1 --icmp 0 >/dev/null 2>&1
		sleep 0.1
	done
	wait $pid
	rc=$?
	read -r _ tcp _ udp _ icmp _ <gen.txt
	echo "live: trafficgen sent tcp_conns ${tcp:-?} udp ${udp:-?} icmp ${icmp:-?}; bpfvm: $(head -c 400 live.json)"
	if [ $rc -ne 0 ]; then
		bad "live run: exit $rc: $(cat live.err)"
	elif [ $have_py -eq 1 ]; then
		python3 - live.json "${tcp:-0}" "${udp:-0}" "${icmp:-0}" >pyout 2>&1 <<'EOF' && ok || bad "live run: $(cat pyout)"
import json, sys
d = json.load(open(sys.argv[1]))
tcp, udp, icmp = (int(x) for x in sys.argv[2:5])
m = {e['key']: e['value'] for e in d['maps']['my_map']}
assert d['final'] is True and d['seconds'] >= 2, d
# every connection is at least a 3-packet handshake; every echo request has a reply
assert m.get(6, 0) >= 3 * tcp, ('tcp', m, tcp)
assert m.get(17, 0) >= udp, ('udp', m, udp)
assert m.get(1, 0) >= 2 * icmp, ('icmp', m, icmp)
assert d['packets'] >= 3 * tcp + udp + 2 * icmp, d
EOF
	else
		grep -q '"final": true' live.json && ok || bad "live run: $(cat live.json)"
	fi

	# --interval: one JSON document per line, counts that only grow, the
	# last one final. Traffic keeps coming so that reports are due (see above).
	timeout 60 "$BPFVM" run "$PROG" --live lo --seconds 1.6 --interval 0.4 --json >ival.json 2>ival.err &
	pid=$!
	wait_listening $pid ival.err || bad "--interval: no 'listening on lo' line: $(cat ival.err)"
	for ((i = 0; i < 100 && $(kill -0 $pid 2>/dev/null && echo 1 || echo 0); i++)); do
		"$B/trafficgen" --tcp 0 --udp 1 --icmp 0 >/dev/null 2>&1
		sleep 0.1
	done
	wait $pid
	rc=$?
	if [ $rc -ne 0 ]; then
		bad "--interval: exit $rc: $(cat ival.err)"
	elif [ $have_py -eq 1 ]; then
		python3 - ival.json >pyout 2>&1 <<'EOF' && ok || bad "--interval: $(cat pyout) $(cat ival.json)"
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1])]
assert len(docs) >= 2, len(docs)
assert [d['final'] for d in docs] == [False] * (len(docs) - 1) + [True], docs
p = [d['packets'] for d in docs]
assert p == sorted(p), p
s = [d['seconds'] for d in docs]
assert s == sorted(s) and s[-1] >= 1.6, s
EOF
	else
		[ "$(wc -l <ival.json)" -ge 2 ] && tail -n 1 ival.json | grep -q '"final": true' && ok || bad "--interval: $(cat ival.json)"
	fi

	# SIGINT ends a live run with its final report and exit status 0
	timeout 60 "$BPFVM" run "$PROG" --live lo >int.txt 2>int.err &
	pid=$!
	wait_listening $pid int.err || bad "SIGINT: no 'listening on lo' line: $(cat int.err)"
	kill -INT $pid
	for ((i = 0; i < 100 && $(kill -0 $pid 2>/dev/null && echo 1 || echo 0); i++)); do
		"$B/trafficgen" --tcp 0 --udp 1 --icmp 0 >/dev/null 2>&1
		sleep 0.1
	done
	wait $pid
	rc=$?
	[ $rc -eq 0 ] && grep -q '^packets: ' int.txt && grep -q '^map my_map: ' int.txt && ok ||
		bad "SIGINT on a live run: exit $rc: $(cat int.txt int.err)"
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
