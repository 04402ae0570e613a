/* SPDX-License-Identifier: MIT */
/*
 * What CONFIG_SLAB_FREELIST_HARDENED costs the slab fast path.
 *
 * Linux turns freelist hardening on when it is cheap; issue 3 asks for it
 * on by default if it costs at most 5% of kmem_cache_alloc + free.  This
 * program is built twice: against libkmm (hardened) and against a copy
 * built with -DKMM_NO_FREELIST_HARDENED (plain pointers).  Run as the
 * hardened build, it runs the plain one as its peer, alternating rounds
 * so the machine's noise falls on both alike, and prints the ratio of the
 * best rounds.  Run with --one it only measures itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <kmm/kmm.h>
#include "bench_time.h"

static struct kmem_cache *cache;

static void pairs(long n)
{
	for (long i = 0; i < n; i++) {
		void *p = kmem_cache_alloc(cache, GFP_KERNEL);

		__asm__ __volatile__("" : : "r"(p) : "memory");
		kmem_cache_free(cache, p);
	}
}

static double measure_self(void)
{
	if (kmm_boot("cpus=1 mem=256M")) {
		fprintf(stderr, "boot failed\n");
		exit(1);
	}
	cache = kmem_cache_create("bench64", 64, 0, SLAB_NO_MERGE, NULL);
	pairs(100000);
	double ns = best(pairs, 2000000, 5);
	kmem_cache_destroy(cache);
	kmm_shutdown();
	return ns;
}

/* The peer binary's --one figure. */
static double measure_peer(const char *path)
{
	char cmd[4096];
	double ns = -1;

	snprintf(cmd, sizeof(cmd), "%s --one", path);
	FILE *f = popen(cmd, "r");
	if (!f || fscanf(f, "%lf", &ns) != 1)
		ns = -1;
	if (f)
		pclose(f);
	return ns;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--one")) {
		printf("%.3f\n", measure_self());
		return 0;
	}
	const char *peer = argc > 1 ? argv[1] : KMM_PLAIN_PEER;
	double hard = 1e30, plain = 1e30;

	for (int round = 0; round < 5; round++) {
		double h = measure_self(), p = measure_peer(peer);

		if (p < 0) {
			fprintf(stderr, "cannot run the plain peer %s\n", peer);
			return 1;
		}
		hard = h < hard ? h : hard;
		plain = p < plain ? p : plain;
	}
	printf("kmem_cache_alloc + kmem_cache_free (64 B, hot, one thread), best of 5 rounds:\n");
	printf("  hardened free pointers   %6.2f ns/pair\n", hard);
	printf("  plain free pointers      %6.2f ns/pair\n", plain);
	printf("  cost of hardening        %+5.1f%%   (on by default if <= 5%%)\n",
	       (hard / plain - 1) * 100);
	printf("  (2 shared vCPUs: rounds alternate so noise falls on both)\n");
	return 0;
}
