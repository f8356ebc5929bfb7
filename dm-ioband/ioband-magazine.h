/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Token magazines: a CPU takes a batch of its group's tokens under the
 * group's lock and spends them without it (Bonwick's magazines, as in the
 * kernel's per-CPU IOVA caches).  Plain C, shared by dm-ioband.ko and the
 * unit tests and microbenchmark.
 *
 * A magazine is tied to the refill its tokens came from (the bucket's
 * epoch): once the domain's epoch moves on it spends nothing more, and its
 * owner gives back what it holds (or owes) under the lock before it takes
 * again.  The bounds, for a group whose bios cost at most C tokens, with
 * magazines on N CPUs of at most B tokens each:
 *   - it never spends more than its bucket was given, plus a debt of one
 *     bio per magazine (N * C; the bucket alone allows one bio, C), plus
 *     the debt the rule allows while the domain is quiet (half a share),
 *     which a magazine takes when it is filled, not bio by bio;
 *   - at most N * B of its tokens sit in magazines, unseen by the
 *     dispatcher; they come back, within the carryover, at the owner's next
 *     take.
 * iob_mag_batch() keeps N * B at a quarter of the group's share.
 */
#ifndef IOBAND_MAGAZINE_H
#define IOBAND_MAGAZINE_H

#include "ioband-policy.h"

struct iob_mag {
	s64 tokens;	/* left; <= 0: empty (a debt of one bio at most) */
	u64 epoch;	/* of the bucket refill they came from */
};

/* Tokens a magazine takes at once, with @cpus magazines per group. */
s64 iob_mag_batch(s64 share, u32 cpus);

/*
 * Spend @cost from @m without a lock (its CPU's only: preemption off): true
 * if @m belongs to @epoch and had tokens.
 */
static inline bool iob_mag_spend(struct iob_mag *m, u64 epoch, u32 cost)
{
	if (m->epoch != epoch || m->tokens <= 0)
		return false;
	m->tokens -= cost;
	return true;
}

/* Under the group's lock: @m's tokens (or debt) back to @b. */
void iob_mag_return(struct iob_bucket *b, struct iob_mag *m, u32 carryover);
/*
 * Under the group's lock, after iob_refill(): fill the empty @m with up to
 * @batch of @b's tokens, down to @floor: 0, or the debt the rule allows
 * now (iob_may_take: half a share while the domain is quiet).  False if @b
 * has none to give.
 */
bool iob_mag_fill(struct iob_bucket *b, struct iob_mag *m, s64 batch,
		  s64 floor);

#endif /* IOBAND_MAGAZINE_H */
