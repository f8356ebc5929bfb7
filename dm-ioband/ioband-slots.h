/* SPDX-License-Identifier: GPL-2.0 */
/*
 * In-flight slots: a device group lets at most io_limit bios of one
 * direction be in the device below.  Counting them in one shared atomic
 * moves its cache line between CPUs twice per bio; instead the slots are
 * a pool, and each CPU keeps a small stock of them (as token magazines
 * keep tokens, ioband-magazine.h).  A CPU takes a batch from the pool when
 * its stock is empty and sends bios from its stock; a completion puts its
 * slot in its own CPU's stock, and gives a batch back to the pool when
 * the stock holds two.  The pool's line is touched once a batch.
 *
 * Bios in flight = io_limit - pool - sum of the stocks.  Bounds, with N
 * CPUs and a batch of B:
 *   - slots in stocks, unseen by a CPU with an empty stock: at most
 *     N * 2B.  While bios are held (the device group is at its limit and
 *     a bio waits), a completion puts its stock back in the pool, and the
 *     dispatcher collects every stock before it decides there is no room;
 *   - over io_limit: a CPU takes a slot when it found room just before
 *     (the pool may go below 0), so concurrent senders can overshoot by
 *     one bio each, as a read-then-increment of one counter could.
 *
 * Wake-ups: whoever holds a bio raises the held count, then kicks the
 * dispatcher (queue_work: a full barrier), whose run reads the stocks
 * after a full barrier of its own (the work item's start).  A completion
 * puts its slot in its stock (fully ordered), then reads the held count:
 * either it sees the held bio and moves its stock to the pool itself,
 * kicking if the pool had none (the dispatcher may have found no room),
 * or the dispatcher's collection sees its slot.
 *
 * Plain C, shared by dm-ioband.ko and the unit tests and microbenchmark
 * (which build it with tests/unit/user-atomic.h).
 */
#ifndef IOBAND_SLOTS_H
#define IOBAND_SLOTS_H

#include "ioband-policy.h"

#ifdef __KERNEL__
#include <linux/atomic.h>
#else
#include "user-atomic.h"	/* tests/unit: the same names in C11 builtins */
#endif

/* One direction's pool of a device group. */
struct iob_slots {
	atomic_t pool;		/* slots no CPU holds; below 0: overshoot */
	int batch;		/* taken from the pool at once (>= 1) */
};

/* The batch for @limit slots shared by @cpus CPUs: N * 2B <= limit / 2. */
static inline int iob_slots_batch(u32 limit, u32 cpus)
{
	u32 b = limit / (4 * (cpus ? cpus : 1));

	return b < 1 ? 1 : b > 16 ? 16 : b;
}

/* The limit moved from @old to @limit: the pool gains (or owes) the change. */
static inline void iob_slots_resize(struct iob_slots *s, u32 old, u32 limit,
				    u32 cpus)
{
	atomic_add((int)limit - (int)old, &s->pool);
	WRITE_ONCE(s->batch, iob_slots_batch(limit, cpus));
}

/* Is there a slot for this CPU (@stock its own)?  A read, no write. */
static inline bool iob_slot_room(struct iob_slots *s, atomic_t *stock)
{
	return atomic_read(stock) > 0 || atomic_read(&s->pool) > 0;
}

/*
 * A bio goes down on this CPU: its slot from @stock, else a batch from
 * the pool (one slot if the pool has none: the caller found room).
 */
static inline void iob_slot_take(struct iob_slots *s, atomic_t *stock)
{
	int b = READ_ONCE(s->batch), v, n;

	if (atomic_dec_if_positive(stock) >= 0)
		return;
	v = atomic_read(&s->pool);
	do {
		n = v < 1 ? 1 : v < b ? v : b;
	} while (!atomic_try_cmpxchg(&s->pool, &v, v - n));
	if (n > 1)
		atomic_add(n - 1, stock);
}

/*
 * A bio completed on this CPU: its slot to @stock.  While @held bios wait,
 * the stock goes back to the pool; true if the pool had none (the
 * dispatcher may have found no room: the caller kicks it).
 */
static inline bool iob_slot_put(struct iob_slots *s, atomic_t *stock,
				atomic_t *held)
{
	int v = atomic_inc_return(stock);	/* fully ordered: see above */
	int b = READ_ONCE(s->batch);

	if (atomic_read(held)) {
		v = atomic_xchg(stock, 0);
		return v > 0 && atomic_fetch_add(v, &s->pool) <= 0;
	}
	if (v >= 2 * b && atomic_try_cmpxchg(stock, &v, v - b))
		atomic_add(b, &s->pool);
	return false;
}

/* The dispatcher takes back one CPU's @stock (a read if it is empty). */
static inline void iob_slots_collect(struct iob_slots *s, atomic_t *stock)
{
	int v = atomic_read(stock) ? atomic_xchg(stock, 0) : 0;

	if (v)
		atomic_add(v, &s->pool);
}

/* Slots in @stock, for the count of bios in flight (a reader's sum). */
static inline int iob_slots_stock(atomic_t *stock)
{
	return atomic_read(stock);
}

#endif /* IOBAND_SLOTS_H */
