# the program falls off its end
# type: socket
# expect: last insn is not an exit or jmp
r0 = 0
