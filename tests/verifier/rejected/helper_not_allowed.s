# socket filters cannot use bpf_csum_diff
# type: socket
# expect: program of this type cannot use helper bpf_csum_diff#28
r1 = 0
r2 = 0
r3 = 0
r4 = 0
r5 = 0
call 28
r0 = 0
exit
