/* primes.c - benchmark 3: count the primes below 2,000 by trial division
 * with 64-bit modulo (odd divisors up to the square root). The dividend is
 * hidden from the compiler's range analysis so that it stays a 64-bit
 * division on both sides (the verifier still knows every value, which keeps
 * the nested loop bounded for it). Returns the count (303). */
#include "suite.h"

#define PRIMES_LIMIT 2000

SUITE_PROG(primes)
{
	__u32 count = 1; /* 2 */
	for (__u64 n = 3; n < PRIMES_LIMIT; n += 2) {
		__u64 m = n;
		suite_opaque(m);
		int prime = 1;
		for (__u64 d = 3; d * d <= m; d += 2) {
			if (m % d == 0) {
				prime = 0;
				break;
			}
		}
		count += prime;
	}
	return count;
}

SUITE_LICENSE;
