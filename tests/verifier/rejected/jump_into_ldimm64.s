# a jump into the second half of an lddw
# type: socket
# expect: jump into the middle of ldimm64 insn 2
r0 = 0
if r0 == 1 goto +1
r1 = 0x123456789 ll
exit
