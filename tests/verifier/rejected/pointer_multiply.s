# only addition and subtraction move pointers
# type: socket
# expect: R1 pointer arithmetic with *= operator prohibited
r1 *= 2
r0 = 0
exit
