/* call_chain.c - benchmark 6: a chain of bpf-to-bpf calls. The program
 * calls chain1 256 times; chain1 calls chain2 ... down to chain6, seven
 * frames deep with the entry (the kernel's limit is eight). Each function
 * does a little arithmetic on its two arguments. The seed comes from the
 * frame's length. Returns the low 32 bits of the result. */
#include "suite.h"

#define CHAIN_ROUNDS 256

suite_noinline __u64 chain6(__u64 x, __u64 i)
{
	return x * 31 + i;
}
suite_noinline __u64 chain5(__u64 x, __u64 i)
{
	return chain6(x ^ i, i + 5) + 5;
}
suite_noinline __u64 chain4(__u64 x, __u64 i)
{
	return chain5(x + i, i ^ 4) ^ 4;
}
suite_noinline __u64 chain3(__u64 x, __u64 i)
{
	return chain4(x - i, i + 3) + 3;
}
suite_noinline __u64 chain2(__u64 x, __u64 i)
{
	return chain3(x ^ (i << 2), i + 2) ^ 2;
}
suite_noinline __u64 chain1(__u64 x, __u64 i)
{
	return chain2(x + (i << 1), i + 1) + 1;
}

SUITE_PROG(call_chain)
{
	__u64 acc = skb->len;
	for (__u64 i = 0; i < CHAIN_ROUNDS; i++)
		acc = chain1(acc, i);
	return (int)(acc ^ (acc >> 32));
}

SUITE_LICENSE;
