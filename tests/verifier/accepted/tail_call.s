# a tail call through a prog_array; execution continues when it fails
# type: socket
.map jt prog_array key=4 value=4 entries=4
ld_pseudo r2, 5, jt
r3 = 1
call 12
r0 = 0
exit
