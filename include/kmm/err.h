/* SPDX-License-Identifier: MIT */
/*
 * Errors in pointers, as Linux's err.h: the last page of the address space
 * holds -errno values, so a function returning a pointer can say why it
 * failed (kmm_kthread_run()).
 */
#ifndef KMM_ERR_H
#define KMM_ERR_H

#include <kmm/types.h>

#define MAX_ERRNO	4095

#define IS_ERR_VALUE(x) ((unsigned long)(x) >= (unsigned long)-MAX_ERRNO)

static inline void *ERR_PTR(long error)
{
	return (void *)error;
}

static inline long PTR_ERR(const void *ptr)
{
	return (long)ptr;
}

static inline bool IS_ERR(const void *ptr)
{
	return IS_ERR_VALUE((unsigned long)ptr);
}

static inline bool IS_ERR_OR_NULL(const void *ptr)
{
	return !ptr || IS_ERR(ptr);
}

#endif /* KMM_ERR_H */
