# BPF_F_RDONLY_PROG maps cannot be written by programs
# type: socket
# expect: write into map forbidden
.map a array key=4 value=8 entries=1 flags=0x80
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 5, a
call 1
if r0 == 0 goto +2
r1 = 1
*(u64 *)(r0 + 0) = r1
r0 = 0
exit
