# reading stack nobody wrote is allowed for a privileged loader: the value is unknown
# type: socket
r0 = *(u64 *)(r10 - 16)
r0 &= 1
exit
