# legacy packet loads for socket filters, r6 = ctx
# type: socket
r6 = r1
r0 = *(u16 *)skb[12]
r1 = 2
r0 = *(u8 *)skb[r1 + 12]
exit
