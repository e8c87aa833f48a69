# adding two pointers
# type: socket
# expect: R1 pointer += pointer prohibited
r2 = r10
r1 += r2
r0 = 0
exit
