# one load reached with the context and with a stack pointer
# type: socket
# expect: same insn cannot be used with different pointers
r2 = *(u32 *)(r1 + 0)
if r2 == 0 goto +2
r3 = r1
goto +2
r3 = r10
r3 += -8
r0 = *(u32 *)(r3 + 0)
exit
