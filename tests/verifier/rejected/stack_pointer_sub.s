# subtracting a register from the frame pointer
# type: socket
# expect: subtraction from stack pointer prohibited
r2 = 8
r3 = r10
r3 -= r2
r0 = 0
exit
