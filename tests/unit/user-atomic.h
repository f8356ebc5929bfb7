/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's atomic_t operations that ioband-slots.h and
 * ioband-inflight.h use, for the unit tests and the microbenchmark: GCC's
 * __atomic builtins, sequentially consistent where the kernel's are fully
 * ordered (value-returning operations), relaxed where the kernel's are
 * (atomic_read, atomic_set, atomic_add, atomic_dec).  On x86, where they
 * run, a locked instruction is a full barrier for every access, as the
 * kernel's are; C11 alone would not order a relaxed read after a
 * sequentially consistent write.
 */
#ifndef IOBAND_USER_ATOMIC_H
#define IOBAND_USER_ATOMIC_H

#include <stdbool.h>

#define smp_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)

typedef struct {
	int counter;
} atomic_t;

static inline int atomic_read(const atomic_t *v)
{
	return __atomic_load_n(&v->counter, __ATOMIC_RELAXED);
}

static inline void atomic_set(atomic_t *v, int i)
{
	__atomic_store_n(&v->counter, i, __ATOMIC_RELAXED);
}

static inline void atomic_add(int i, atomic_t *v)
{
	__atomic_fetch_add(&v->counter, i, __ATOMIC_RELAXED);
}

static inline int atomic_fetch_add(int i, atomic_t *v)
{
	return __atomic_fetch_add(&v->counter, i, __ATOMIC_SEQ_CST);
}

static inline int atomic_add_return(int i, atomic_t *v)
{
	return __atomic_add_fetch(&v->counter, i, __ATOMIC_SEQ_CST);
}

static inline int atomic_inc_return(atomic_t *v)
{
	return __atomic_add_fetch(&v->counter, 1, __ATOMIC_SEQ_CST);
}

static inline void atomic_dec(atomic_t *v)
{
	__atomic_fetch_sub(&v->counter, 1, __ATOMIC_RELAXED);
}

static inline int atomic_dec_return(atomic_t *v)
{
	return __atomic_sub_fetch(&v->counter, 1, __ATOMIC_SEQ_CST);
}

static inline int atomic_xchg(atomic_t *v, int i)
{
	return __atomic_exchange_n(&v->counter, i, __ATOMIC_SEQ_CST);
}

static inline bool atomic_try_cmpxchg(atomic_t *v, int *old, int new)
{
	return __atomic_compare_exchange_n(&v->counter, old, new, false,
					   __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
}

/* Add @a unless the value is @u; the value before (fully ordered if added). */
static inline int atomic_fetch_add_unless(atomic_t *v, int a, int u)
{
	int c = atomic_read(v);

	do {
		if (c == u)
			break;
	} while (!atomic_try_cmpxchg(v, &c, c + a));
	return c;
}

static inline int atomic_dec_if_positive(atomic_t *v)
{
	int c = atomic_read(v);

	do {
		if (c <= 0)
			return c - 1;
	} while (!atomic_try_cmpxchg(v, &c, c - 1));
	return c - 1;
}

#endif /* IOBAND_USER_ATOMIC_H */
