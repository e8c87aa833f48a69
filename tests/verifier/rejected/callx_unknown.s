# callx of a value the verifier cannot know
# type: socket
# expect: callx R1: the helper id is not a known constant
# kernel: skip (the kernel has no callx)
r1 = *(u32 *)(r1 + 0)
callx r1
r0 = 0
exit
