# a reserved record may be discarded instead
# type: socket
.map rb ringbuf entries=4096
ld_pseudo r1, 5, rb
r2 = 8
r3 = 0
call 131
if r0 != 0 goto +2
r0 = 0
exit
r1 = r0
r2 = 0
call 133
r0 = 0
exit
