# a loop whose state repeats
# type: socket
# expect: infinite loop detected at insn 1
r0 = 0
r1 = 1
goto -2
