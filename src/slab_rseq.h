/* SPDX-License-Identifier: MIT */
/*
 * The slab fast paths' pops and pushes as restartable sequences (see
 * "Restartable sequences" in cpu.c for the protocol and why it is safe):
 * x86-64 inline assembly, as the host kernel's rseq needs each sequence to
 * be one range of instructions that ends with its commit.
 *
 * Each sequence names its descriptor (struct rseq_cs, in section
 * __rseq_cs) in the thread's rseq_cs word, the last instruction before
 * the sequence starts (so a signal cannot come between the two), then:
 *   - compares cpu->holder with t->rseq_tag: not ours (taken over, no
 *     rseq for this thread or CPU), out to the flag's way;
 *   - reads what it needs and, for a push, stores the object above the
 *     top of the array it goes on (nobody reads beyond the top), or the
 *     free pointer into the object it frees;
 *   - commits: stores the array's new size, or the freelist's new head,
 *     its last instruction.
 * A freelist push or pop is a second sequence, after a first one found
 * the sheaf full or both sheaves empty: one sequence has one commit.
 * Its abort handler (in section __kmm_rseq_abort, after the signature the
 * host kernel checks) takes the flag's way too.  Every way out but the
 * commit leaves everything as it was, so "the flag's way" is the whole
 * fast path of before (cpu_enter_held() and the rest), out of line: each
 * caller tail-calls it with its own arguments, and it finds whatever the
 * sequence found (an empty sheaf, a double free) and deals with it.
 * The tests are conservative: anything unusual goes the flag's way.
 *
 * Without KMM_RSEQ (ThreadSanitizer, other hosts), each helper is a miss
 * the compiler folds away: the callers are their flag's way alone.
 */
#ifndef KMM_SLAB_RSEQ_H
#define KMM_SLAB_RSEQ_H

#include "slab.h"

#pragma GCC visibility push(hidden)	/* as internal.h */

#if KMM_RSEQ

_Static_assert(offsetof(struct slab_spare, size) == 0, "a spare's size is its first word");

/*
 * The scratch registers of a sequence: %[s1]; %[s2], which holds @t's
 * rseq_cs word until the sequence starts, and %[s3], its rseq_tag until
 * the CPU is found ours.
 */
#define RSEQ_ASM_SCRATCH_VARS(t)					\
	unsigned long s1, s2 = (unsigned long)(t)->rseq_cs, s3 = (t)->rseq_tag
#define RSEQ_ASM_SCRATCH [s1] "=&r"(s1), [s2] "+r"(s2), [s3] "+r"(s3)

/* Name the sequence (descriptor 3f), start it (1:), check the CPU is ours. */
#define RSEQ_ASM_START							\
	"lea 3f(%%rip), %[s1]\n\t"					\
	"mov %[s1], (%[s2])\n"						\
	"1:\n\t"							\
	"cmp %[s3], %c[holder](%[cpu])\n\t"				\
	"jne %l[miss]\n\t"

/* The end of the sequence (2:), its abort handler (4:) and its descriptor (3:). */
#define RSEQ_ASM_END							\
	"2:\n\t"							\
	".pushsection __kmm_rseq_abort, \"ax\"\n\t"			\
	".long 0x53053053\n"	/* RSEQ_SIG */				\
	"4:\tjmp %l[miss]\n\t"						\
	".popsection\n\t"						\
	".pushsection __rseq_cs, \"aw\"\n\t"				\
	".balign 32\n"							\
	"3:\t.long 0, 0\n\t"	/* version, flags */			\
	".quad 1b, 2b - 1b, 4b\n\t"	/* start, length, abort */	\
	".popsection\n"

/* Is @x in [@base, @base + @limit) of @c, at an object start?  Else to @fail. */
#define RSEQ_ASM_RANGE(base, limit, fail)				\
	"mov %[x], %[s1]\n\t"						\
	"sub %c[" base "](%[c]), %[s1]\n\t"				\
	"mov %c[" limit "](%[c]), %k[s2]\n\t"				\
	"cmp %[s2], %[s1]\n\t"						\
	"jae " fail "\n\t"						\
	"imul %c[recip](%[c]), %[s1]\n\t"				\
	"cmp %c[recip](%[c]), %[s1]\n\t"				\
	"jae " fail "\n\t"

#define RSEQ_ASM_OFFSETS						\
	[holder] "i"(offsetof(struct kmm_cpu, holder)),			\
	[hint] "i"(offsetof(struct kmm_cpu, kmalloc_hint)),		\
	[shsize] "i"(offsetof(struct kmem_cache_cpu, sheaf.size)),	\
	[shobjs] "i"(offsetof(struct kmem_cache_cpu, sheaf.objects)),	\
	[spare] "i"(offsetof(struct kmem_cache_cpu, spare)),		\
	[spobjs] "i"(offsetof(struct slab_spare, objects)),		\
	[spcap] "i"(offsetof(struct slab_spare, capacity)),		\
	[base] "i"(offsetof(struct kmem_cache_cpu, base)),		\
	[limit] "i"(offsetof(struct kmem_cache_cpu, limit)),		\
	[dbase] "i"(offsetof(struct kmem_cache_cpu, defer_base)),	\
	[dlimit] "i"(offsetof(struct kmem_cache_cpu, defer_limit)),	\
	[dinuse] "i"(offsetof(struct kmem_cache_cpu, defer_inuse)),	\
	[dcount] "i"(offsetof(struct kmem_cache_cpu, defer_count)),	\
	[dtail] "i"(offsetof(struct kmem_cache_cpu, defer_tail)),	\
	[recip] "i"(offsetof(struct kmem_cache_cpu, reciprocal_size)),	\
	[cap] "i"(SHEAF_CAPACITY)

/*
 * The pop: the sheaf's top, else the spare's, into %[obj]; the new size in
 * %k[s2] at (%[s1]).  Both empty: to %l[next], the freelist's sequence.
 */
#define RSEQ_ASM_POP							\
	"mov %c[shsize](%[c]), %k[s2]\n\t"				\
	"test %k[s2], %k[s2]\n\t"					\
	"jz 5f\n\t"							\
	"mov %c[shobjs]-8(%[c],%[s2],8), %[obj]\n\t"			\
	"lea %c[shsize](%[c]), %[s1]\n\t"				\
	"jmp 6f\n"							\
	"5:\t"								\
	"mov %c[spare](%[c]), %[s1]\n\t"				\
	"mov (%[s1]), %k[s2]\n\t"					\
	"test %k[s2], %k[s2]\n\t"					\
	"jz %l[next]\n\t"						\
	"mov %c[spobjs]-8(%[s1],%[s2],8), %[obj]\n"			\
	"6:\t"

#define RSEQ_ASM_COMMIT_POP						\
	"dec %k[s2]\n\t"						\
	"mov %k[s2], (%[s1])\n"

/*
 * A free pointer: %[s1] the cache, %[s2] the address it is at; the word
 * there encoded (see freelist_ptr_encode()) or decoded in %[s3].  %[s1]
 * is lost, %[s2] kept but for the decode.
 */
#ifndef KMM_NO_FREELIST_HARDENED
#define RSEQ_ASM_FP_DECODE						\
	"mov %c[random](%[s1]), %[s3]\n\t"				\
	"xor (%[s2]), %[s3]\n\t"					\
	"bswap %[s2]\n\t"						\
	"xor %[s2], %[s3]\n\t"
#define RSEQ_ASM_FP_ENCODE						\
	"xor %c[random](%[s1]), %[s3]\n\t"				\
	"mov %[s2], %[s1]\n\t"						\
	"bswap %[s1]\n\t"						\
	"xor %[s1], %[s3]\n\t"
#else
#define RSEQ_ASM_FP_DECODE "mov (%[s2]), %[s3]\n\t"
#define RSEQ_ASM_FP_ENCODE ""
#endif
/* A cache whose objects ASan or Valgrind see reads its free pointers through annotate.h. */
#if KMM_ANNOTATE_ON
#define RSEQ_ASM_NOT_ANNOTATED						\
	"cmpb $0, %c[annot](%[s1])\n\t"					\
	"jne %l[miss]\n\t"
#else
#define RSEQ_ASM_NOT_ANNOTATED ""
#endif

/* cpu_pop()'s third way: the CPU freelist's first object into %[obj]. */
#define RSEQ_ASM_FREELIST_POP						\
	"mov %c[freelist](%[c]), %[obj]\n\t"				\
	"test %[obj], %[obj]\n\t"					\
	"jz %l[miss]\n\t"						\
	"mov %c[cache](%[c]), %[s1]\n\t"				\
	RSEQ_ASM_NOT_ANNOTATED						\
	"mov %c[offset](%[s1]), %k[s2]\n\t"				\
	"add %[obj], %[s2]\n\t"						\
	RSEQ_ASM_FP_DECODE

#define RSEQ_ASM_COMMIT_FREELIST_POP					\
	"mov %[s3], %c[freelist](%[c])\n"

#define RSEQ_ASM_FL_OFFSETS						\
	[freelist] "i"(offsetof(struct kmem_cache_cpu, freelist)),	\
	[cache] "i"(offsetof(struct kmem_cache_cpu, cache)),		\
	[offset] "i"(offsetof(struct kmem_cache, offset)),		\
	[random] "i"(offsetof(struct kmem_cache, random)),		\
	[annot] "i"(offsetof(struct kmem_cache, annotated))

/*
 * cpu_pop()'s first three ways as sequences on @cpu, the CPU that @t
 * holds, @c its part of the cache: the sheaf's last object, else the
 * spare sheaf's, else (a second sequence) the CPU freelist's first.  With
 * @hint (kmalloc()), @c becomes the CPU's kmalloc_hint in the sequence
 * that pops.  Return: whether *@objp is the object popped; false with
 * nothing changed, for the flag's way.
 */
/*
 * One pop's sequence in slab_rseq_pop(): @body, then @extra (the hint's
 * store, or nothing), then @commit, with the constants @offsets names (an
 * asm takes 30 operands at most); the labels it may leave by follow.
 */
#define RSEQ_POP_SEQUENCE(body, extra, commit, offsets, ...)		\
	__asm__ volatile goto(RSEQ_ASM_START body extra commit RSEQ_ASM_END \
			      : RSEQ_ASM_SCRATCH, [obj] "=&r"(obj)	\
			      : [cpu] "r"(cpu), [c] "r"(c), offsets	\
			      : "memory", "cc"				\
			      : __VA_ARGS__)
#define RSEQ_ASM_SET_HINT "mov %[c], %c[hint](%[cpu])\n\t"
#define RSEQ_ASM_FREELIST_POP_OFFSETS RSEQ_ASM_OFFSETS, RSEQ_ASM_FL_OFFSETS

static __always_inline bool slab_rseq_pop(struct task_struct *t, struct kmm_cpu *cpu,
					  struct kmem_cache_cpu *c, bool hint, void **objp)
{
	RSEQ_ASM_SCRATCH_VARS(t);
	void *obj;

	if (hint)
		RSEQ_POP_SEQUENCE(RSEQ_ASM_POP, RSEQ_ASM_SET_HINT, RSEQ_ASM_COMMIT_POP,
				  RSEQ_ASM_OFFSETS, miss, next);
	else
		RSEQ_POP_SEQUENCE(RSEQ_ASM_POP, "", RSEQ_ASM_COMMIT_POP, RSEQ_ASM_OFFSETS, miss,
				  next);
	*objp = obj;
	return true;
next:
	s2 = (unsigned long)t->rseq_cs;
	s3 = t->rseq_tag;
	if (hint)
		RSEQ_POP_SEQUENCE(RSEQ_ASM_FREELIST_POP, RSEQ_ASM_SET_HINT,
				  RSEQ_ASM_COMMIT_FREELIST_POP, RSEQ_ASM_FREELIST_POP_OFFSETS, miss);
	else
		RSEQ_POP_SEQUENCE(RSEQ_ASM_FREELIST_POP, "", RSEQ_ASM_COMMIT_FREELIST_POP,
				  RSEQ_ASM_FREELIST_POP_OFFSETS, miss);
	*objp = obj;
	return true;
miss:
	return false;
}

/*
 * The spare sheaf's push of cpu_free_push(): @x in the deferred frees'
 * range (else to @notin) with no chain, the spare not full, @x not its top
 * and the spare still holding the object that vouches for the range.
 * Leaves %[s1] at the spare and %k[s2] its size.
 */
#define RSEQ_ASM_SPARE_PUSH(notin)					\
	RSEQ_ASM_RANGE("dbase", "dlimit", notin)			\
	RSEQ_ASM_SPARE_PUSH_IN_RANGE

/* ... @x known in the range. */
#define RSEQ_ASM_SPARE_PUSH_IN_RANGE					\
	"cmpl $0, %c[dinuse](%[c])\n\t"					\
	"jne %l[miss]\n\t"						\
	"mov %c[dtail](%[c]), %[s1]\n\t"				\
	"mov (%[s1]), %k[s2]\n\t"					\
	"cmp %c[dcount](%[c]), %k[s2]\n\t"				\
	"jbe %l[miss]\n\t"						\
	"cmp %w[s2], %c[spcap](%[s1])\n\t"				\
	"je %l[miss]\n\t"						\
	"cmp %[x], %c[spobjs]-8(%[s1],%[s2],8)\n\t"			\
	"je %l[miss]\n\t"						\
	"mov %[x], %c[spobjs](%[s1],%[s2],8)\n"

/* The sheaf's push: its size in %k[s2]; full, to @full. */
#define RSEQ_ASM_SHEAF_PUSH(full)					\
	"mov %c[shsize](%[c]), %k[s2]\n\t"				\
	"cmp %[cap], %k[s2]\n\t"					\
	"jae " full "\n\t"

/*
 * @x on top of the sheaf already: a double free, for the flag's way.  Not
 * read when the sheaf is empty: its objects[-1] is a word whose half, the
 * size, was just stored, and the load would wait for the store to retire
 * rather than take its value from it (a failed store forwarding, a dozen
 * cycles).
 */
#define RSEQ_ASM_SHEAF_TOP						\
	"test %k[s2], %k[s2]\n\t"					\
	"jz 7f\n\t"							\
	"cmp %[x], %c[shobjs]-8(%[c],%[s2],8)\n\t"			\
	"je %l[miss]\n"							\
	"7:\t"

/* @x above the sheaf's top, %[s1] at its size; then the spare's way (5:). */
#define RSEQ_ASM_SHEAF_STORE						\
	"mov %[x], %c[shobjs](%[c],%[s2],8)\n\t"			\
	"lea %c[shsize](%[c]), %[s1]\n\t"				\
	"jmp 6f\n"							\
	"5:\t"

/*
 * An object of the CPU slab, the sheaf full (11:): on the spare sheaf
 * while it has room (capacity 0: never), not its top (bottom is NULL),
 * with no range to vouch for it; full, to %l[full], the freelist's
 * sequence; at or below the index of the spare range's vouching object
 * (cpu_free_push() says why), to %l[miss].  Then the count up and the
 * commit.
 */
#define RSEQ_ASM_CPU_SPARE_PUSH						\
	"11:\t"								\
	"mov %c[spare](%[c]), %[s1]\n\t"				\
	"mov (%[s1]), %k[s2]\n\t"					\
	"cmp %w[s2], %c[spcap](%[s1])\n\t"				\
	"je %l[full]\n\t"						\
	"cmp %[s1], %c[dtail](%[c])\n\t"				\
	"jne 13f\n\t"							\
	"cmp %c[dcount](%[c]), %k[s2]\n\t"				\
	"jbe %l[miss]\n"						\
	"13:\t"								\
	"cmp %[x], %c[spobjs]-8(%[s1],%[s2],8)\n\t"			\
	"je %l[miss]\n\t"						\
	"mov %[x], %c[spobjs](%[s1],%[s2],8)\n"

#define RSEQ_ASM_COMMIT_PUSH						\
	"6:\t"								\
	"inc %k[s2]\n\t"						\
	"mov %k[s2], (%[s1])\n"

/*
 * The CPU freelist's push of cpu_free_push(), when the sheaf is full: @x
 * in the CPU slab's range and not the freelist's head, its free pointer
 * written, then the freelist's head.
 */
#define RSEQ_ASM_FREELIST_PUSH						\
	RSEQ_ASM_RANGE("base", "limit", "%l[miss]")			\
	"mov %c[freelist](%[c]), %[s3]\n\t"				\
	"cmp %[x], %[s3]\n\t"						\
	"je %l[miss]\n\t"						\
	"mov %c[cache](%[c]), %[s1]\n\t"				\
	"mov %c[offset](%[s1]), %k[s2]\n\t"				\
	"add %[x], %[s2]\n\t"						\
	RSEQ_ASM_FP_ENCODE						\
	"mov %[s3], (%[s2])\n\t"					\
	"mov %[x], %c[freelist](%[c])\n"

/*
 * The freelist push's sequence, after a first one found the sheaf full:
 * @c NULL, the CPU's kmalloc_hint, read again.
 */
static __always_inline bool slab_rseq_freelist_push(struct task_struct *t, struct kmm_cpu *cpu,
						    struct kmem_cache_cpu *c, void *x)
{
	RSEQ_ASM_SCRATCH_VARS(t);

	if (!c)
		__asm__ volatile goto(RSEQ_ASM_START
				      "mov %c[hint](%[cpu]), %[c]\n\t"
				      RSEQ_ASM_FREELIST_PUSH RSEQ_ASM_END
				      : RSEQ_ASM_SCRATCH, [c] "=&r"(c)
				      : [cpu] "r"(cpu), [x] "r"(x), RSEQ_ASM_OFFSETS,
					RSEQ_ASM_FL_OFFSETS
				      : "memory", "cc"
				      : miss);
	else
		__asm__ volatile goto(RSEQ_ASM_START RSEQ_ASM_FREELIST_PUSH RSEQ_ASM_END
				      : RSEQ_ASM_SCRATCH
				      : [cpu] "r"(cpu), [c] "r"(c), [x] "r"(x), RSEQ_ASM_OFFSETS,
					RSEQ_ASM_FL_OFFSETS
				      : "memory", "cc"
				      : miss);
	return true;
miss:
	return false;
}

/*
 * The pushes of cpu_free_push() in two orders.  Whichever range is tested
 * first, a free to the other costs the test of a range its address is not
 * in: five instructions and a taken branch, 0.25 ns of a pair on the
 * bench's machine.  kfree() tests the spare's range first: a batch of
 * kmallocs is what a spare sheaf is for, and its frees go there
 * (bench_slab, session 12's runs: "batch" 16 to 64 bytes 0.97-1.00 of
 * mimalloc the other way round, 0.91-0.94 this way; "hot" 3.53 ns the
 * other way, 3.79 this way, as before rseq).  kmem_cache_free() tests the CPU slab's first, as
 * before.  (The two ranges are of two slabs; were the deferred frees' slab
 * ever the CPU slab, its objects would go on the spare, which may hold
 * the CPU slab's.)
 */
#define RSEQ_ASM_FREE_PUSH_CPU_FIRST					\
	RSEQ_ASM_RANGE("base", "limit", "5f")				\
	RSEQ_ASM_SHEAF_PUSH("11f") RSEQ_ASM_SHEAF_TOP			\
	RSEQ_ASM_SHEAF_STORE RSEQ_ASM_SPARE_PUSH("%l[miss]")		\
	"jmp 6f\n" RSEQ_ASM_CPU_SPARE_PUSH				\
	RSEQ_ASM_COMMIT_PUSH

#define RSEQ_ASM_FREE_PUSH_SPARE_FIRST					\
	RSEQ_ASM_RANGE("dbase", "dlimit", "12f")			\
	RSEQ_ASM_SPARE_PUSH_IN_RANGE					\
	"jmp 6f\n"							\
	"12:\t"								\
	RSEQ_ASM_RANGE("base", "limit", "%l[miss]")			\
	RSEQ_ASM_SHEAF_PUSH("11f") RSEQ_ASM_SHEAF_TOP			\
	RSEQ_ASM_SHEAF_STORE						\
	RSEQ_ASM_CPU_SPARE_PUSH						\
	RSEQ_ASM_COMMIT_PUSH

/*
 * cpu_free_push()'s pushes as sequences on @cpu, the CPU that @t holds:
 * @x an object of the CPU slab of @c goes on the sheaf while it has room
 * and @x is not its top, else on the spare sheaf while it has room
 * (RSEQ_ASM_CPU_SPARE_PUSH), else (a second sequence) on the CPU
 * freelist; @x in the deferred frees' range goes on the spare sheaf
 * (RSEQ_ASM_SPARE_PUSH).  @c NULL: the CPU's kmalloc_hint, read in the
 * sequence, the spare's range tested first (kfree(), see above).
 * Return: whether @x was pushed; false with nothing changed, for the
 * flag's way.
 */
static __always_inline bool slab_rseq_free_push(struct task_struct *t, struct kmm_cpu *cpu,
						struct kmem_cache_cpu *c, void *x)
{
	RSEQ_ASM_SCRATCH_VARS(t);
	struct kmem_cache_cpu *cc;

	if (!c)
		__asm__ volatile goto(RSEQ_ASM_START
				      "mov %c[hint](%[cpu]), %[c]\n\t"
				      RSEQ_ASM_FREE_PUSH_SPARE_FIRST RSEQ_ASM_END
				      : RSEQ_ASM_SCRATCH, [c] "=&r"(cc)
				      : [cpu] "r"(cpu), [x] "r"(x), RSEQ_ASM_OFFSETS
				      : "memory", "cc"
				      : miss, full);
	else
		__asm__ volatile goto(RSEQ_ASM_START
				      RSEQ_ASM_FREE_PUSH_CPU_FIRST RSEQ_ASM_END
				      : RSEQ_ASM_SCRATCH
				      : [cpu] "r"(cpu), [c] "r"(c), [x] "r"(x), RSEQ_ASM_OFFSETS
				      : "memory", "cc"
				      : miss, full);
	return true;
full:
	return slab_rseq_freelist_push(t, cpu, c, x);
miss:
	return false;
}

/*
 * As slab_rseq_free_push(), for the preload shim, whose shadow byte
 * vouches for @x: onto the sheaf while it has room, whatever slab @x is in
 * (sheaf_push()), else the spare's push, for an object of the deferred
 * frees' range or of the CPU slab, else the freelist's.  Not for a debug
 * cache or with slab hooks (the caller tests them).
 */
static __always_inline bool slab_rseq_free_push_any(struct task_struct *t, struct kmm_cpu *cpu,
						    struct kmem_cache_cpu *c, void *x)
{
	RSEQ_ASM_SCRATCH_VARS(t);

	__asm__ volatile goto(RSEQ_ASM_START
			      RSEQ_ASM_SHEAF_PUSH("5f")
			      RSEQ_ASM_SHEAF_STORE RSEQ_ASM_SPARE_PUSH("10f")
			      "jmp 6f\n"
			      "10:\t"
			      RSEQ_ASM_RANGE("base", "limit", "%l[miss]")
			      RSEQ_ASM_CPU_SPARE_PUSH
			      RSEQ_ASM_COMMIT_PUSH RSEQ_ASM_END
			      : RSEQ_ASM_SCRATCH
			      : [cpu] "r"(cpu),
				[c] "r"(c), [x] "r"(x), RSEQ_ASM_OFFSETS
			      : "memory", "cc"
			      : miss, full);
	return true;
full:
	return slab_rseq_freelist_push(t, cpu, c, x);
miss:
	return false;
}

#else /* !KMM_RSEQ */

static __always_inline bool slab_rseq_pop(struct task_struct *t, struct kmm_cpu *cpu,
					  struct kmem_cache_cpu *c, bool hint, void **objp)
{
	(void)t, (void)cpu, (void)c, (void)hint, (void)objp;
	return false;
}

static __always_inline bool slab_rseq_free_push(struct task_struct *t, struct kmm_cpu *cpu,
						struct kmem_cache_cpu *c, void *x)
{
	(void)t, (void)cpu, (void)c, (void)x;
	return false;
}

static __always_inline bool slab_rseq_free_push_any(struct task_struct *t, struct kmm_cpu *cpu,
						    struct kmem_cache_cpu *c, void *x)
{
	(void)t, (void)cpu, (void)c, (void)x;
	return false;
}

#endif /* KMM_RSEQ */

#pragma GCC visibility pop

#endif /* KMM_SLAB_RSEQ_H */
