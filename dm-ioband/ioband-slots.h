/* SPDX-License-Identifier: GPL-2.0 */
/*
 * In-flight slots: a device group lets at most io_limit bios of one
 * direction be in the device below.  Counting them in one shared atomic
 * moves its cache line between CPUs twice per bio; instead the slots are
 * a pool, and each CPU keeps a small stock of them (as token magazines
 * keep tokens, ioband-magazine.h).  A CPU takes a batch from the pool when
 * its stock is empty and sends bios from its stock; a completion puts its
 * slot in its own CPU's stock, and gives a batch back to the pool when
 * the stock holds two.  The pool's line is written once a batch.
 *
 * Bios in flight = io_limit - pool - sum of the stocks.  With N CPUs and
 * a batch of B:
 *   - about N * 2B slots sit in stocks, where a CPU with an empty stock
 *     does not see them.  Once the dispatcher finds no room it sets the
 *     pool's wait flag and takes back every stock; while the flag is set,
 *     a CPU gives back whatever reaches its stock at once, and the first
 *     completion that refills an empty pool kicks the dispatcher.  Its
 *     next round clears the flag;
 *   - a CPU sends from its stock only while the pool is not owed (not
 *     below 0): a lower io_limit holds at once;
 *   - a CPU takes a slot when it found room just before (the pool may go
 *     below 0), so concurrent senders can pass io_limit by one bio each,
 *     as a read-then-increment of one counter could.
 *
 * Wake-ups: the dispatcher sets the flag, then (after a full barrier)
 * reads the stocks and the pool.  A CPU writes its stock or the pool with
 * a fully ordered atomic, then reads the flag.  Either the dispatcher sees
 * the slot, or the CPU sees the flag and gives the slot to the pool,
 * kicking if the pool had none.
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
	atomic_t pool;		/* slots no CPU holds; below 0: owed */
	int batch;		/* taken from the pool at once (>= 1) */
	int wait;		/* the dispatcher found no room (see above) */
};

/* The batch for @limit slots on @cpus CPUs: N * 2B about limit / 2. */
static inline int iob_slots_batch(u32 limit, u32 cpus)
{
	u32 b = limit / (4 * (cpus ? cpus : 1));

	return b < 1 ? 1 : b > 16 ? 16 : b;
}

/*
 * The limit moved from @old to @limit: the pool gains (or owes) the
 * change.  The caller takes the stocks back first (iob_slots_collect).
 */
static inline void iob_slots_resize(struct iob_slots *s, u32 old, u32 limit,
				    u32 cpus)
{
	atomic_add((int)limit - (int)old, &s->pool);
	WRITE_ONCE(s->batch, iob_slots_batch(limit, cpus));
}

/* Is there a slot for this CPU (@stock its own)?  Reads, no write. */
static inline bool iob_slot_room(struct iob_slots *s, atomic_t *stock)
{
	int pool = atomic_read(&s->pool);

	return pool > 0 || (!pool && atomic_read(stock) > 0);
}

/* All of @stock to the pool: true if the pool had none (kick). */
static inline bool iob_slots_give(struct iob_slots *s, atomic_t *stock)
{
	int v = atomic_xchg(stock, 0);

	return v > 0 && atomic_fetch_add(v, &s->pool) <= 0;
}

/*
 * A bio goes down on this CPU: its slot from @stock, else a batch from
 * the pool (one slot if the pool has none: the caller found room).  True
 * if the caller must kick the dispatcher (it waits for the rest).
 */
static inline bool iob_slot_take(struct iob_slots *s, atomic_t *stock)
{
	int b = READ_ONCE(s->batch), v, n;

	if (atomic_dec_if_positive(stock) >= 0)
		return false;
	v = atomic_read(&s->pool);
	do {
		n = v < 1 ? 1 : v < b ? v : b;
	} while (!atomic_try_cmpxchg(&s->pool, &v, v - n));
	if (n == 1)
		return false;
	(void)atomic_add_return(n - 1, stock);	/* fully ordered: see above */
	return READ_ONCE(s->wait) && iob_slots_give(s, stock);
}

/*
 * A bio completed on this CPU: its slot to @stock, or while the
 * dispatcher waits, the stock to the pool.  True if the pool had none:
 * the caller kicks the dispatcher.
 */
static inline bool iob_slot_put(struct iob_slots *s, atomic_t *stock)
{
	int b = READ_ONCE(s->batch);
	int v = atomic_inc_return(stock);	/* fully ordered: see above */

	if (READ_ONCE(s->wait))
		return iob_slots_give(s, stock);
	if (v >= 2 * b && atomic_try_cmpxchg(stock, &v, v - b))
		return atomic_fetch_add(b, &s->pool) <= 0 && READ_ONCE(s->wait);
	return false;
}

/*
 * The dispatcher found no room: from now on the CPUs give their slots
 * back at once.  True if it was not waiting yet: the caller then takes
 * back every stock (after the barrier here).
 */
static inline bool iob_slots_wait(struct iob_slots *s)
{
	if (READ_ONCE(s->wait))
		return false;	/* taken back already */
	WRITE_ONCE(s->wait, 1);
	smp_mb();	/* the flag before the stocks: see above */
	return true;
}

/* The dispatcher's next round: stocks are kept again. */
static inline void iob_slots_unwait(struct iob_slots *s)
{
	if (READ_ONCE(s->wait))
		WRITE_ONCE(s->wait, 0);
}

/* The dispatcher takes back one CPU's @stock (a read if it is empty). */
static inline void iob_slots_collect(struct iob_slots *s, atomic_t *stock)
{
	int v = atomic_read(stock) ? atomic_xchg(stock, 0) : 0;

	if (v)
		atomic_add(v, &s->pool);
}

#endif /* IOBAND_SLOTS_H */
