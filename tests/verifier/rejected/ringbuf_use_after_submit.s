# writing a record after submitting it
# type: socket
# expect: invalid mem access 'scalar'
.map rb ringbuf entries=4096
ld_pseudo r1, 5, rb
r2 = 8
r3 = 0
call 131
if r0 == 0 goto +6
r6 = r0
r1 = r0
r2 = 0
call 132
r1 = 1
*(u64 *)(r6 + 0) = r1
r0 = 0
exit
