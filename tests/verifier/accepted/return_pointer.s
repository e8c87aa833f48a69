# a privileged socket filter may return a pointer value
# type: socket
r0 = r10
exit
