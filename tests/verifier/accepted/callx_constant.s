# callx (bpfvm, uBPF) of a helper whose id is a known constant
# type: socket
# helpers: conformance (helper 5 is the registered one)
# kernel: skip (the kernel has no callx)
r2 = 0
r3 = 0
r4 = 0
r5 = 0
r1 = 5
callx r1
r0 = 0
exit
