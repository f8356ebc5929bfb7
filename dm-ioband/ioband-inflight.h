/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A group's bios in flight, counted on the CPU that sent them.  One shared
 * count would move its cache line between the CPUs a group's bios run on
 * twice per bio.  Instead each CPU counts the bios it sent until they
 * complete (on whatever CPU), and the group's count, users, holds one for
 * the group itself (its lifetime reference, ioband.h) and one for each
 * CPU whose count is not 0.  users is written only when a CPU's count
 * leaves 0 or comes back to it: a CPU that keeps more than one bio in
 * flight, and sees them complete on itself, touches only its own line.
 *
 * So users is above 1 exactly when the group has bios in flight (while it
 * holds its own reference), and the group's first bio (users 1 to 2) and
 * its last completion (2 to 1) alternate as with one count.  Two steps
 * are not one atomic operation:
 *   - a CPU's count leaving 0, then users: nothing else of that CPU runs
 *     in between (irqs off in the module), and both come before the bio
 *     is sent, so no completion takes the count back to 0 before the CPU
 *     is in users;
 *   - a count reaching 0, then users: a first bio in between (on any CPU,
 *     that one too) counts in users before the last one leaves.  The
 *     group does not look empty for that moment, and users may count a
 *     CPU twice.
 *
 * users reaches 0 only after the group dropped its own reference (a
 * detach), and whoever takes it there frees the group.  A CPU whose
 * count leaves 0 then does not take users back from 0: it gives its
 * count back and the bio goes elsewhere.
 *
 * Plain C, shared by dm-ioband.ko and the unit tests and microbenchmark
 * (which build it with tests/unit/user-atomic.h).
 */
#ifndef IOBAND_INFLIGHT_H
#define IOBAND_INFLIGHT_H

#ifdef __KERNEL__
#include <linux/atomic.h>
#else
#include "user-atomic.h"	/* tests/unit: the same names in C11 builtins */
#endif

/* What a bio's count or its completion did to the group (iob_inflight_*). */
enum {
	IOB_INFLIGHT_GONE = -1,	/* users was 0: the group is being freed */
	IOB_INFLIGHT_MORE = 0,	/* it had bios in flight before, or has after */
	IOB_INFLIGHT_EDGE = 1,	/* its first bio, or its last completion */
	IOB_INFLIGHT_FREE = 2,	/* its last completion after a detach */
};

/*
 * A bio counted in flight on the CPU whose count is @cpu, with nothing
 * else of that CPU running: IOB_INFLIGHT_EDGE if the group had none in
 * flight, IOB_INFLIGHT_GONE if it is being freed (nothing changed).
 */
static inline int iob_inflight_get(atomic_t *cpu, atomic_t *users)
{
	int v;

	if (atomic_inc_return(cpu) > 1)
		return IOB_INFLIGHT_MORE;	/* this CPU is in users */
	v = atomic_fetch_add_unless(users, 1, 0);
	if (!v) {
		atomic_dec(cpu);
		return IOB_INFLIGHT_GONE;
	}
	return v == 1 ? IOB_INFLIGHT_EDGE : IOB_INFLIGHT_MORE;
}

/*
 * A bio counted on @cpu completed (on any CPU): IOB_INFLIGHT_EDGE if the
 * group has none left in flight (users down to 1: after a detach, one CPU
 * has some), IOB_INFLIGHT_FREE if users is 0 (the caller frees it).
 */
static inline int iob_inflight_put(atomic_t *cpu, atomic_t *users)
{
	int v;

	if (atomic_dec_return(cpu))
		return IOB_INFLIGHT_MORE;
	v = atomic_dec_return(users);
	if (!v)
		return IOB_INFLIGHT_FREE;
	return v == 1 ? IOB_INFLIGHT_EDGE : IOB_INFLIGHT_MORE;
}

/* The group's own reference dropped (a detach): true if the caller frees it. */
static inline bool iob_inflight_unref(atomic_t *users)
{
	return !atomic_dec_return(users);
}

#endif /* IOBAND_INFLIGHT_H */
