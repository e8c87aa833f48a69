# raw programs (bpfvm): comparing r2, the length, proves bytes of r1
# type: raw
# kernel: skip (raw programs are a bpfvm convention)
if r2 < 8 goto +2
r0 = *(u64 *)(r1 + 0)
exit
r0 = 0
exit
