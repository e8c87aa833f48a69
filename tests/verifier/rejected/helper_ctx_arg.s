# skb_load_bytes wants the context in r1
# type: socket
# expect: R1 type=fp expected=ctx
r1 = r10
r2 = 0
r3 = r10
r3 += -8
r4 = 8
call 26
r0 = 0
exit
