# a context pointer spilled to the stack and filled back keeps its type
# type: socket
*(u64 *)(r10 - 8) = r1
r2 = *(u64 *)(r10 - 8)
r0 = *(u32 *)(r2 + 0)
exit
