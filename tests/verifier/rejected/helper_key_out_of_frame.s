# a key pointer at r10 itself
# type: socket
# expect: invalid read from stack R2 off=0 size=4
.map h hash key=4 value=8 entries=8
r2 = r10
ld_pseudo r1, 5, h
call 1
r0 = 0
exit
