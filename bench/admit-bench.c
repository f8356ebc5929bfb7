// SPDX-License-Identifier: GPL-2.0
/*
 * The admission path without emulation noise: threads admit and complete
 * bios of one group through the policy core the module is built from,
 * once with the group's lock taken at admission and at completion (the
 * module today), once with per-CPU token magazines (ioband-magazine.h) and
 * per-thread completion counts.  Prints nanoseconds per bio (admission and
 * completion, all threads together) and lock acquisitions per bio.  A
 * group's share is the module's largest epoch (2048 tokens of one bio
 * each); a bio that finds no tokens starts a new epoch, as the dispatcher
 * would for a group alone on its device.
 *
 *   admit-bench [SECONDS_PER_ROW]
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ioband-magazine.h"
#include "ioband-policy.h"

#define MAXT 64
#define CACHELINE 64

struct group {
	pthread_spinlock_t lock;
	struct iob_bucket b;
	u32 inflight;
	u64 completed, ios, locks;
} __attribute__((aligned(CACHELINE)));

/* what one thread (CPU) keeps: its magazine and its completion counts */
struct percpu {
	struct iob_mag mag;
	u64 completed, ios, sent, locks;
} __attribute__((aligned(CACHELINE)));

static struct group grp;
static struct percpu pc[MAXT];
static _Atomic u64 epoch = 1;
static atomic_bool stop;
static int use_mag, nthreads;

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* The module's admission for a group with tokens; true if the bio went. */
static int admit_locked(struct percpu *me)
{
	int go;

	pthread_spin_lock(&grp.lock);
	grp.locks++;
	iob_refill(&grp.b, atomic_load_explicit(&epoch, memory_order_relaxed), 2);
	go = iob_may_take(&grp.b, false);
	if (go) {
		iob_charge(&grp.b, 1);
		grp.inflight++;
	}
	pthread_spin_unlock(&grp.lock);
	(void)me;
	return go;
}

static void complete_locked(void)
{
	pthread_spin_lock(&grp.lock);
	grp.locks++;
	grp.inflight--;
	grp.completed++;
	grp.ios++;
	pthread_spin_unlock(&grp.lock);
}

static int admit_mag(struct percpu *me)
{
	u64 e = atomic_load_explicit(&epoch, memory_order_relaxed);
	int go;

	if (iob_mag_spend(&me->mag, e, 1)) {
		me->sent++;
		return 1;
	}
	pthread_spin_lock(&grp.lock);
	me->locks++;
	iob_mag_return(&grp.b, &me->mag, 2);
	iob_refill(&grp.b, e, 2);
	go = iob_may_take(&grp.b, false);
	if (go && !(iob_mag_fill(&grp.b, &me->mag, iob_mag_batch(grp.b.share, nthreads), 0) &&
		    iob_mag_spend(&me->mag, e, 1)))
		iob_charge(&grp.b, 1);
	pthread_spin_unlock(&grp.lock);
	me->sent += go;
	return go;
}

static void complete_mag(struct percpu *me)
{
	me->completed++;
	me->ios++;
}

/* Out of tokens: the next epoch (once, whoever sees it first). */
static void new_epoch(u64 seen)
{
	atomic_compare_exchange_strong(&epoch, &seen, seen + 1);
}

static void *worker(void *arg)
{
	struct percpu *me = arg;

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		int i;

		for (i = 0; i < 256; i++) {
			u64 e = atomic_load_explicit(&epoch, memory_order_relaxed);

			if (use_mag) {
				if (admit_mag(me))
					complete_mag(me);
				else
					new_epoch(e);
			} else if (admit_locked(me)) {
				complete_locked();
			} else {
				new_epoch(e);
			}
		}
	}
	return NULL;
}

/* One row: @n threads for @secs; ns per bio and locks per bio. */
static void row(int n, int mag, double secs, double *ns, double *locks)
{
	pthread_t t[MAXT];
	u64 t0, t1, ios = 0, lk = 0;
	int i;

	memset(&grp, 0, sizeof(grp));
	memset(pc, 0, sizeof(pc));
	pthread_spin_init(&grp.lock, PTHREAD_PROCESS_PRIVATE);
	grp.b.share = 2048;
	grp.b.tokens = grp.b.share;
	grp.b.epoch = 1;
	atomic_store(&epoch, 1);
	atomic_store(&stop, false);
	use_mag = mag;
	nthreads = n;
	t0 = now_ns();
	for (i = 0; i < n; i++)
		pthread_create(&t[i], NULL, worker, &pc[i]);
	usleep((useconds_t)(secs * 1e6));
	atomic_store(&stop, true);
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	t1 = now_ns();
	ios = grp.ios;
	lk = grp.locks;
	for (i = 0; i < n; i++) {
		ios += pc[i].ios;
		lk += pc[i].locks;
	}
	*ns = ios ? (double)(t1 - t0) * n / ios : 0;
	*locks = ios ? (double)lk / ios : 0;
	pthread_spin_destroy(&grp.lock);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int n;

	if (secs <= 0 || secs > 60) {
		fprintf(stderr, "usage: admit-bench [SECONDS_PER_ROW (0-60]]\n");
		return 2;
	}
	printf("admit-bench: one group, admission + completion per bio, %.1f s per row, %ld CPUs\n",
	       secs, cpus);
	printf("admit-bench: %-8s %14s %14s %12s %14s %8s\n", "threads", "lock ns/bio",
	       "magazine ns/bio", "lock locks/bio", "mag locks/bio", "speedup");
	for (n = 1; n <= MAXT && n <= 2 * cpus; n *= 2) {
		double ln, ll, mn, ml;

		row(n, 0, secs, &ln, &ll);
		row(n, 1, secs, &mn, &ml);
		printf("admit-bench: %-8d %14.1f %14.1f %12.3f %14.4f %7.2fx\n", n, ln, mn, ll, ml,
		       mn > 0 ? ln / mn : 0);
		printf("data: admit %d %.1f %.1f %.3f %.4f\n", n, ln, mn, ll, ml);
	}
	return 0;
}
