# three levels of bpf-to-bpf calls
# type: socket
r1 = 1
call local +1
exit
r1 += 1
call local +1
exit
r1 += 1
call local +1
exit
r0 = r1
exit
