# a loop filling a stack array through a pointer that moves
# type: socket
r1 = r10
r1 += -64
r2 = 0
*(u64 *)(r1 + 0) = r2
r1 += 8
r2 += 1
if r2 < 8 goto -4
r0 = *(u64 *)(r10 - 8)
exit
