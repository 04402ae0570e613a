/* SPDX-License-Identifier: MIT */
/*
 * Faults in the kernel window: the host's SIGSEGV, turned into a report.
 *
 * A fault inside the window goes to the registered handler (the kernel's
 * page-fault report), then on to whatever handled SIGSEGV before kmm did:
 * the program's own handler, or the default action, which ends the process
 * with SIGSEGV as an oops would.  A fault outside the window goes straight
 * to the previous handler.  A program that installs its own handler after
 * booting replaces ours and keeps the fault to itself.
 */
#include <signal.h>
#include <string.h>
#include <ucontext.h>
#include "platform.h"

static plat_fault_fn fault_fn;
static unsigned long fault_lo, fault_hi;
static struct sigaction old_action;
static bool installed;

/* x86-64: bit 1 of the page-fault error code says "write". */
static int fault_is_write(void *uctx)
{
#if defined(__x86_64__)
	ucontext_t *uc = uctx;
	return (uc->uc_mcontext.gregs[REG_ERR] & 2) ? 1 : 0;
#else
	(void)uctx;
	return -1;
#endif
}

static void pass_on(int sig, siginfo_t *info, void *uctx)
{
	if (old_action.sa_flags & SA_SIGINFO) {
		if (old_action.sa_sigaction) {
			old_action.sa_sigaction(sig, info, uctx);
			return;
		}
	} else if (old_action.sa_handler != SIG_DFL && old_action.sa_handler != SIG_IGN) {
		old_action.sa_handler(sig);
		return;
	}
	/* The default action: returning re-runs the access, which now kills. */
	signal(SIGSEGV, SIG_DFL);
}

static void segv_handler(int sig, siginfo_t *info, void *uctx)
{
	unsigned long addr = (unsigned long)info->si_addr;

	/* Handled (KFENCE opened the page): returning retries the access. */
	if (fault_fn && addr >= fault_lo && addr < fault_hi &&
	    fault_fn(addr, fault_is_write(uctx), uctx))
		return;
	pass_on(sig, info, uctx);
}

unsigned long plat_fault_pc(void *uctx)
{
#if defined(__x86_64__)
	return uctx ? (unsigned long)((ucontext_t *)uctx)->uc_mcontext.gregs[REG_RIP] : 0;
#else
	(void)uctx;
	return 0;
#endif
}

int plat_fault_install(plat_fault_fn fn, unsigned long lo, unsigned long hi)
{
	struct sigaction sa;

	fault_fn = fn;
	fault_lo = lo;
	fault_hi = hi;
	if (installed)
		return 0;
	/* The report's backtrace allocates nothing, even the first (host.c). */
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = segv_handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, &old_action))
		return -1;
	installed = true;
	return 0;
}

void plat_fault_remove(void)
{
	struct sigaction cur;

	fault_fn = NULL;
	if (!installed)
		return;
	/* Put the old handler back only if ours is still the one in place. */
	if (!sigaction(SIGSEGV, NULL, &cur) && (cur.sa_flags & SA_SIGINFO) &&
	    cur.sa_sigaction == segv_handler)
		sigaction(SIGSEGV, &old_action, NULL);
	installed = false;
}

int plat_altstack_install(void *stack, size_t size)
{
	stack_t ss = { .ss_sp = stack, .ss_size = size, .ss_flags = 0 };

	return sigaltstack(&ss, NULL) ? -1 : 0;
}
