/* inputs.h - the suite's inputs, built the same way on every run: the frame
 * every benchmark gets (a full-sized TCP/IPv4 Ethernet frame) and the
 * pseudo-random bytes stored in the benchmarks' input maps. */
#ifndef BENCH_SUITE_INPUTS_H
#define BENCH_SUITE_INPUTS_H

#include <stddef.h>
#include <stdint.h>

#define SUITE_FRAME_LEN 1514 /* the largest untagged Ethernet frame without FCS */
#define SUITE_SMALL_FRAME_LEN 60 /* the smallest, for the entry-cost note */

/* Writes a TCP/IPv4 frame of len bytes (54 <= len <= 1514): Ethernet II,
 * an IPv4 header with a valid checksum, a TCP header (ACK|PSH) and a
 * payload of pseudo-random bytes. */
void suite_build_frame(uint8_t *frame, size_t len);

/* Fills buf with len pseudo-random bytes from seed (xorshift64*). */
void suite_fill(uint8_t *buf, size_t len, uint64_t seed);

#endif
