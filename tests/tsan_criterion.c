/* SPDX-License-Identifier: MIT */
/*
 * Linked into the tests of ThreadSanitizer builds only: lets Criterion run
 * under TSan.
 *
 * Criterion's runner (boxfort) maps its shared arena with MAP_FIXED at
 * 0x200000000000 + (rand_r() & 0x3fffff) * 16 MiB, an address it expects
 * to be free.  Under TSan almost all of that range is TSan's own shadow
 * and meta memory or kept unmapped by it, so the arena either is refused
 * ("Could not initialize inheritable arena") or lands on the shadow and
 * the runner crashes (Snaipe/Criterion issue 274).  This rand_r keeps its
 * low 22 bits in 0x360000..0x367fff, which puts the arena at
 * 0x560000000000 + up to 512 GiB, inside the range TSan leaves to PIE
 * programs on x86-64; the other bits are a plain LCG, so the tests that
 * draw numbers with rand_r still get varied ones.
 */
#include <stdlib.h>

int rand_r(unsigned int *seed)
{
	unsigned int hi, lo;

	*seed = *seed * 1103515245u + 12345u;
	lo = (*seed >> 16) & 0x7fff;
	*seed = *seed * 1103515245u + 12345u;
	hi = (*seed >> 16) & 0x1ff;
	return (int)((hi << 22) | 0x360000u | lo);
}
