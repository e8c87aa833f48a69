# signed comparisons on both sides bound a signed value
# type: socket
r2 = *(u32 *)(r1 + 0)
r2 = (s8)r2
if r2 s< 0 goto +6
if r2 s> 48 goto +5
r3 = r10
r3 += -64
r3 += r2
r0 = *(u8 *)(r3 + 0)
exit
r0 = 0
exit
