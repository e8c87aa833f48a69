# a privileged loader may compare pointers
# type: socket
r2 = r10
if r1 == r2 goto +1
r0 = 1
r0 = 0
exit
