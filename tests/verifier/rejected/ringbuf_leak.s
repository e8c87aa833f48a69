# a reserved record never submitted
# type: socket
# expect: Unreleased reference
.map rb ringbuf entries=4096
ld_pseudo r1, 5, rb
r2 = 8
r3 = 0
call 131
r0 = 0
exit
