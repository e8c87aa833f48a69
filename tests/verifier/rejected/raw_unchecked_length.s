# raw programs (bpfvm): r1's bytes must be proven by comparing r2
# type: raw
# expect: invalid access to memory, mem_size=0 off=0 size=8
# kernel: skip (raw programs are a bpfvm convention)
r0 = *(u64 *)(r1 + 0)
exit
