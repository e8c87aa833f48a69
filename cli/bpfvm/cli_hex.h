/* cli_hex.h - hex byte strings as the tools read them (`bpfvm run --mem`,
 * the conformance plugin's memory and program): pairs of hex digits, upper
 * or lower case, with any whitespace between pairs ("00  0a  ff", "000aff").
 * Header-only so that bpfvm-plugin, built from one source file, shares it. */
#ifndef BPFVM_CLI_HEX_H
#define BPFVM_CLI_HEX_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

static inline int cli_hex_digit(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static inline int cli_hex_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Decodes len characters of text. On success returns 0 with *out malloc'd
 * (NULL when there are no bytes) and *outlen set. On failure returns -1 with
 * *errpos the 0-based offset of the offending character and *why a constant
 * reason; more than max bytes is an error at the first byte past the limit. */
static inline int cli_hex_decode(const char *text, size_t len, size_t max, uint8_t **out, size_t *outlen,
				 size_t *errpos, const char **why)
{
	size_t n = 0, i = 0;
	uint8_t *buf = NULL;

	*out = NULL;
	*outlen = 0;
	/* Upper bound of the output: every two characters make at most one byte. */
	size_t cap = len / 2;
	if (cap > max)
		cap = max;
	if (cap) {
		buf = malloc(cap);
		if (!buf) {
			*errpos = 0;
			*why = "out of memory";
			return -1;
		}
	}
	while (i < len) {
		unsigned char c = (unsigned char)text[i];
		if (cli_hex_space(c)) {
			i++;
			continue;
		}
		int hi = cli_hex_digit(c);
		if (hi < 0) {
			*errpos = i;
			*why = "bad hex digit";
			goto fail;
		}
		if (i + 1 >= len || cli_hex_space((unsigned char)text[i + 1])) {
			*errpos = i;
			*why = "odd number of hex digits (a byte needs two)";
			goto fail;
		}
		int lo = cli_hex_digit((unsigned char)text[i + 1]);
		if (lo < 0) {
			*errpos = i + 1;
			*why = "bad hex digit";
			goto fail;
		}
		if (n >= max) {
			*errpos = i;
			*why = "too many bytes";
			goto fail;
		}
		buf[n++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	if (n == 0) {
		free(buf);
		buf = NULL;
	}
	*out = buf;
	*outlen = n;
	return 0;
fail:
	free(buf);
	return -1;
}

#endif
