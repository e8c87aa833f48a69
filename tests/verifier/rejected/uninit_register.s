# reading a register nothing wrote
# type: socket
# expect: R2 !read_ok
r0 = r2
exit
