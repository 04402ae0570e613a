/* SPDX-License-Identifier: MIT */
/*
 * The byte values debugging writes into memory, Linux's (include/linux/poison.h),
 * so that a dump of a kmm object reads like a dump of a kernel one.
 */
#ifndef KMM_POISON_H
#define KMM_POISON_H

#define POISON_INUSE		0x5a	/* slab padding, and objects before first use */
#define POISON_FREE		0x6b	/* a free object's bytes */
#define POISON_END		0xa5	/* the last byte of a poisoned object */
#define SLUB_RED_INACTIVE	0xbb	/* red zone around a free object */
#define SLUB_RED_ACTIVE		0xcc	/* red zone around an allocated object */
#define PAGE_POISON		0xaa	/* page_poison=1: a free page's bytes */

#endif /* KMM_POISON_H */
