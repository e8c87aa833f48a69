# 32-bit arithmetic on a pointer
# type: socket
# expect: R1 32-bit pointer arithmetic prohibited
w1 += 4
r0 = 0
exit
