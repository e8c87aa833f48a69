# r10 is read-only
# type: socket
# expect: frame pointer is read only
r10 = 0
r0 = 0
exit
