# sock_example.s - the kernel's samples/bpf/sock_example as assembly: the
# seed's socket filter, instruction for instruction (the builder macros of
# examples/sock_example.c are in the comments), counting packets per IP
# protocol in an array of 256 u64 counters indexed by the protocol byte of
# the IPv4 header (frame offset 14 + 9 = 23). The only change: the map is
# declared here and loaded by name (map_idx), so no fd has to be known.
#
#   bpfvm run examples/sock_example.s --pcap examples/data/sample.pcap
#   bpfvm run examples/sock_example.s --live lo --seconds 5 --interval 1
#
# Keys 6, 17 and 1 of my_map count TCP, UDP and ICMP. Frames that are not
# IPv4 are counted under whatever byte 23 holds; frames shorter than 24
# bytes end the program at the ldabsb (r0 = 0) and are not counted. The
# filter returns 0 for every packet: all of them are dropped (not delivered
# to the socket); only the counters matter.

.map my_map array key=4 value=8 entries=256

	mov %r6, %r1              # BPF_MOV64_REG(BPF_REG_6, BPF_REG_1): r6 = skb
	ldabsb 23                 # BPF_LD_ABS(BPF_B, ETH_HLEN + offsetof(struct iphdr, protocol))
	stxw [%r10-4], %r0        # BPF_STX_MEM(BPF_W, BPF_REG_10, BPF_REG_0, -4): key = protocol
	mov %r2, %r10             # BPF_MOV64_REG(BPF_REG_2, BPF_REG_10)
	add %r2, -4               # BPF_ALU64_IMM(BPF_ADD, BPF_REG_2, -4): r2 = &key
	lddw %r1, map_idx my_map  # BPF_LD_MAP_FD(BPF_REG_1, map_fd), by index instead of fd
	call bpf_map_lookup_elem  # BPF_RAW_INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem)
	jeq %r0, 0, +2            # BPF_JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 2): no entry
	mov %r1, 1                # BPF_MOV64_IMM(BPF_REG_1, 1)
	lock add [%r0], %r1       # BPF_RAW_INSN(BPF_STX | BPF_XADD | BPF_DW, BPF_REG_0, BPF_REG_1, 0, 0)
	mov %r0, 0                # BPF_MOV64_IMM(BPF_REG_0, 0)
	exit                      # BPF_EXIT_INSN()
