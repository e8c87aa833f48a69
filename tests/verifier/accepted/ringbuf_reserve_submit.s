# ring buffer record: reserve, check, write, submit
# type: socket
.map rb ringbuf entries=4096
ld_pseudo r1, 5, rb
r2 = 16
r3 = 0
call 131
if r0 == 0 goto +5
r1 = 7
*(u64 *)(r0 + 8) = r1
r1 = r0
r2 = 0
call 132
r0 = 0
exit
