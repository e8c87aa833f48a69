# a number is not a pointer
# type: socket
# expect: R1 invalid mem access 'scalar'
r1 = 4096
r0 = *(u64 *)(r1 + 0)
exit
