/* empty.c - benchmark 8: the empty program (entry cost). Its time, measured
 * on every engine with the same input, is what the other rows subtract. */
#include "suite.h"

SUITE_PROG(empty)
{
	return 0;
}

SUITE_LICENSE;
