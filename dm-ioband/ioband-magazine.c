// SPDX-License-Identifier: GPL-2.0
/*
 * Token magazines (ioband-magazine.h): a group's tokens, a batch at a time
 * per CPU.
 */
#include "ioband-magazine.h"

/*
 * A quarter of the share over all magazines: what the dispatcher may not
 * see of a group's tokens stays small against an epoch (test-sim checks
 * that the shares hold), and a CPU still takes the lock once per many
 * bios (a share of 1024 tokens and 4 CPUs: once per 64 bios).
 */
s64 iob_mag_batch(s64 share, u32 cpus)
{
	s64 b = share / 4 / (cpus ? cpus : 1);

	return b > 0 ? b : 1;
}

void iob_mag_return(struct iob_bucket *b, struct iob_mag *m, u32 carryover)
{
	s64 cap = iob_cap(b, carryover);

	if (!m->tokens)
		return;
	b->tokens += m->tokens;
	/* tokens of an earlier refill are carried over as the bucket's are */
	if (m->tokens > 0 && m->epoch != b->epoch && b->tokens > cap)
		b->tokens = cap;
	m->tokens = 0;
}

bool iob_mag_fill(struct iob_bucket *b, struct iob_mag *m, s64 batch,
		  s64 floor)
{
	s64 n = b->tokens - floor;

	if (n <= 0)
		return false;
	if (n > batch)
		n = batch;
	b->tokens -= n;
	m->tokens += n;
	m->epoch = b->epoch;
	return true;
}
