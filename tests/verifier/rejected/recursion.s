# unbounded bpf-to-bpf recursion
# type: socket
# expect: the call stack of 9 frames is too deep
call local +1
exit
call local -1
exit
