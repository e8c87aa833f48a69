# sign-extending moves and loads keep exact bounds
# type: socket
r2 = 200
r2 = (s8)r2
r2 += 120
r3 = r10
r3 += -128
r3 += r2
r0 = *(u8 *)(r3 + 0)
r4 = *(s8 *)(r10 - 1)
exit
