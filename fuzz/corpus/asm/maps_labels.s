# labels, comments, map declarations, helper names
.map counters array key=4 value=8 entries=256
.map seen hash key=4 value=16 entries=64 flags=0
.map events ringbuf entries=4096
start:
	mov %r6, %r1
	ldabsb 23
	stxw [%r10-4], %r0
	mov %r2, %r10
	add %r2, -4
	lddw %r1, map_idx counters
	call bpf_map_lookup_elem
	jeq %r0, 0, skip       // nothing there
	mov %r1, 1
	lock add [%r0], %r1
skip:
	lddw %r1, map_idx_value seen, 8
	call local sub
	ja exit
sub:
	mov %r0, 0
	exit
