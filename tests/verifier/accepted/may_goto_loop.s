# may_goto bounds a loop the verifier cannot count
# type: socket
r6 = *(u32 *)(r1 + 0)
r0 = 0
may_goto +3
r0 += 1
if r0 != r6 goto -3
exit
exit
