# shifting a 64-bit value by 64
# type: socket
# expect: invalid shift 64
r0 = 1
r0 <<= 64
exit
