# a loop with a constant bound: explored iteration by iteration
# type: socket
r0 = 0
r1 = 0
r0 += r1
r1 += 1
if r1 < 100 goto -3
exit
