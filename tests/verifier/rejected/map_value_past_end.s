# reading 8 bytes at offset 16 of a 16-byte value
# type: socket
# expect: invalid access to map value, value_size=16 off=16 size=8
.map h hash key=4 value=16 entries=8
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 5, h
call 1
if r0 == 0 goto +1
r0 = *(u64 *)(r0 + 16)
r0 = 0
exit
