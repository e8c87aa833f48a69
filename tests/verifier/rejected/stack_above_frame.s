# reading at r10 itself, above the frame
# type: socket
# expect: invalid read from stack R10 off=0 size=8
r0 = *(u64 *)(r10 + 0)
exit
