# LD_ABS needs the context in r6
# type: socket
# expect: at the time of BPF_LD_ABS|IND R6 != pointer to skb
r6 = 0
r0 = *(u8 *)skb[0]
exit
