# dividing by a register that may be zero is fine: the result is 0
# type: socket
r0 = 100
r1 = *(u32 *)(r1 + 0)
r0 /= r1
r2 = 7
r2 %= r1
exit
