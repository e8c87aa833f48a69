# map_lookup_elem needs a map in r1
# type: socket
# expect: R1 type=scalar expected=map_ptr
r1 = 0
r2 = r10
r2 += -8
call 1
r0 = 0
exit
