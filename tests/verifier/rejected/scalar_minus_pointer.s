# a number minus a pointer
# type: socket
# expect: R2 tried to subtract pointer from scalar
r2 = 8
r2 -= r1
r0 = 0
exit
