# a subprogram returning a pointer to its own stack
# type: socket
# expect: cannot return stack pointer to the caller
call local +2
r0 = 0
exit
r0 = r10
r0 += -8
exit
