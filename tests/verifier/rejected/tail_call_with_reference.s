# a tail call while holding a ring buffer record
# type: socket
# expect: tail_call would lead to reference leak
.map rb ringbuf entries=4096
.map jt prog_array key=4 value=4 entries=4
r6 = r1
ld_pseudo r1, 5, rb
r2 = 8
r3 = 0
call 131
if r0 == 0 goto +7
r7 = r0
r1 = r6
ld_pseudo r2, 5, jt
r3 = 0
call 12
r1 = r7
r2 = 0
call 133
r0 = 0
exit
