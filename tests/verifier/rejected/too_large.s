# a loop bound by a value the verifier cannot bound
# type: socket
# expect: BPF program is too large. Processed 1000001 insn
r6 = *(u32 *)(r1 + 0)
r0 = 0
r0 += 1
if r0 != r6 goto -2
exit
