# the smallest program: r0 = 0
# type: socket
r0 = 0
exit
