# an array lookup with a constant key inside max_entries cannot fail (Linux 6.13+ drops the NULL check)
# type: socket
.map a array key=4 value=16 entries=4
r1 = 3
*(u32 *)(r10 - 8) = r1
r2 = r10
r2 += -8
ld_pseudo r1, 5, a
call 1
r0 = *(u64 *)(r0 + 8)
exit
