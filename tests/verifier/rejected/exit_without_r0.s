# the program ends without setting r0
# type: socket
# expect: R0 !read_ok
exit
