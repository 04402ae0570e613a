/* SPDX-License-Identifier: MIT */
/*
 * High memory: temporary kernel mappings of pages that have no permanent
 * address (x86_32's ZONE_HIGHMEM).
 *
 * kmap() takes one of LAST_PKMAP slots of the PKMAP area and may sleep
 * until one is free; kunmap() gives it back (the mapping stays until the
 * pool wraps, so mapping the page again is cheap).  kmap_atomic() and
 * kmap_local_page() use the calling CPU's fixmap slots, nest LIFO, never
 * sleep, and keep preemption disabled until the matching unmap (for
 * kmap_local_page, where Linux only disables migration, too).  A lowmem
 * page needs none of it: its direct-map address is returned.  On x86_64
 * nothing is high and the same calls work.
 */
#ifndef KMM_HIGHMEM_H
#define KMM_HIGHMEM_H

#pragma GCC visibility push(default)

#include <kmm/types.h>
#include <kmm/mm.h>

/**
 * kmap - map a page for long-term use
 * Context: may sleep (when every PKMAP slot is taken).
 * Return: the page's address until kunmap().
 */
void *kmap(struct page *page);
void kunmap(struct page *page);
/* Short-term, per-CPU: preemption stays disabled until the unmap. */
void *kmap_atomic(struct page *page);
void kunmap_atomic(const void *addr);
void *kmap_local_page(struct page *page);
void kunmap_local(const void *addr);
/* The page a kmap address (PKMAP, fixmap or direct map) maps. */
struct page *kmap_to_page(void *addr);
/* Free PKMAP slots right now, as the wrap-around would. */
void kmap_flush_unused(void);
/* Slots of the PKMAP pool in use (pkmap_count > 1), for tests and views. */
unsigned int kmm_pkmap_in_use(void);

#pragma GCC visibility pop

#endif /* KMM_HIGHMEM_H */
