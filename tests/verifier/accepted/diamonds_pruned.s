# twenty diamonds: state pruning keeps the exploration linear
# type: socket
r6 = *(u32 *)(r1 + 0)
r7 = 0
if r6 > 0 goto +2
r8 = 1
goto +1
r8 = 2
if r6 > 3 goto +2
r8 = 1
goto +1
r8 = 2
if r6 > 6 goto +2
r8 = 1
goto +1
r8 = 2
if r6 > 9 goto +2
r8 = 1
goto +1
r8 = 2
if r6 > 12 goto +2
r8 = 1
goto +1
r8 = 2
if r6 > 15 goto +2
r8 = 1
goto +1
r8 = 2
if r6 > 18 goto +2
r8 = 1
goto +1
r8 = 2
if r6 > 21 goto +2
r8 = 1
goto +1
r8 = 2
if r6 > 24 goto +2
r8 = 1
goto +1
r8 = 2
if r6 > 27 goto +2
r8 = 1
goto +1
r8 = 2
if r6 > 30 goto +2
r8 = 1
goto +1
r8 = 2
if r6 > 33 goto +2
r8 = 1
goto +1
r8 = 2
if r6 > 36 goto +2
r8 = 1
goto +1
r8 = 2
if r6 > 39 goto +2
r8 = 1
goto +1
r8 = 2
if r6 > 42 goto +2
r8 = 1
goto +1
r8 = 2
if r6 > 45 goto +2
r8 = 1
goto +1
r8 = 2
if r6 > 48 goto +2
r8 = 1
goto +1
r8 = 2
if r6 > 51 goto +2
r8 = 1
goto +1
r8 = 2
if r6 > 54 goto +2
r8 = 1
goto +1
r8 = 2
if r6 > 57 goto +2
r8 = 1
goto +1
r8 = 2
r0 = r7
exit
