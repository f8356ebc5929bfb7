// SPDX-License-Identifier: GPL-2.0
/*
 * The admission path without emulation noise: threads admit and complete
 * bios of one group through the policy core the module is built from,
 * once with the group's lock taken at admission and at completion (the
 * module before its magazines), then with per-CPU token magazines
 * (ioband-magazine.h) and per-thread completion counts: the device
 * group's bios in flight counted in one shared atomic (incremented at
 * admission, decremented at completion: the module before its slots), and
 * with per-CPU stocks of in-flight slots (ioband-slots.h, the module
 * today); both once for one group and once with a group per thread (one
 * tenant per CPU, so that only the device group is shared).  Completions
 * go into their group's latency histogram a batch per thread at a time,
 * as in the module; a second table compares that with one atomic add per
 * bio (with eight bios in flight per thread).  The group's own bios in
 * flight are counted per CPU (ioband-inflight.h), as in the module; a
 * third table compares that with one shared count, with one bio and with
 * eight in flight per thread.  Each bio completes on the thread that sent
 * it.  Prints nanoseconds per bio (admission and completion, all threads
 * together) and lock acquisitions per bio.  A group's share is the module's largest epoch
 * (2048 tokens of one bio each); a bio that finds no tokens starts a new
 * epoch, as the dispatcher would for a group alone on its device.
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

#include "ioband-latency.h"
#include "ioband-magazine.h"
#include "ioband-policy.h"
/* the kernel's atomic_fetch_add (ioband-slots.h), not C11's */
#undef atomic_fetch_add
#include "ioband-inflight.h"
#include "ioband-slots.h"

#define MAXT 64
#define CACHELINE 64

struct group {
	pthread_spinlock_t lock;
	struct iob_bucket b;
	u32 inflight;
	u64 completed, ios, locks;
	/* its histogram of completion latencies, as the module's g->hist */
	_Atomic u64 hist[IOB_LAT_BUCKETS] __attribute__((aligned(CACHELINE)));
} __attribute__((aligned(CACHELINE)));

/*
 * what one thread (CPU) keeps: its magazine, its completion counts and its
 * stock of in-flight slots
 */
struct percpu {
	struct iob_mag mag;
	u64 completed, ios, sent, locks;
	atomic_t stock;
	atomic_t ginflight;	/* its own group's, in the SPLIT_* rows */
	atomic_t gcount;	/* the group's bios it sent (ioband-inflight.h) */
	struct iob_lat_batch lat;	/* completions not yet in the histogram */
	u64 rnd;			/* draws their buckets */
	/* its own group's histogram, in the SPLIT_* rows */
	_Atomic u64 hist[IOB_LAT_BUCKETS] __attribute__((aligned(CACHELINE)));
} __attribute__((aligned(CACHELINE)));

/*
 * the device group's in-flight count (or slots) and held count, and the
 * group's own count (the module's g->users, in both rows): of its bios in
 * flight, or of the threads with bios in flight (ioband-inflight.h)
 */
struct domain {
	atomic_t ginflight __attribute__((aligned(CACHELINE)));
	atomic_t inflight __attribute__((aligned(CACHELINE)));
	struct iob_slots slots;
	atomic_t held __attribute__((aligned(CACHELINE)));
} __attribute__((aligned(CACHELINE)));

/*
 * SPLIT_*: as MAG_*, but each thread's bios are counted in flight for a
 * group of its own (one tenant per CPU, their tokens still one bucket)
 */
enum mode { LOCKED, MAG_ATOMIC, MAG_SLOTS, SPLIT_ATOMIC, SPLIT_SLOTS };

static struct group grp;
static struct domain dom;
static struct percpu pc[MAXT];
static _Atomic u64 epoch = 1;
static atomic_bool stop;
static int nthreads;
static enum mode mode;
/* completions into the histogram a batch at a time (the module), or each */
static bool hist_batch = true;
/* the group's bios in flight counted per thread (the module), or shared */
static bool count_percpu = true;
/* bios each thread keeps in flight */
static int depth = 1;

#define IO_LIMIT 4096

static bool slots(void)
{
	return mode == MAG_SLOTS || mode == SPLIT_SLOTS;
}

static bool split(void)
{
	return mode == SPLIT_ATOMIC || mode == SPLIT_SLOTS;
}

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

/*
 * A completion's latency into its group's histogram: one of sixteen
 * buckets side by side (two powers of two, two cache lines), drawn at
 * random as a steady tenant's latencies spread.  LOCKED, the module
 * before its magazines, adds each.
 */
static void hist_add(struct percpu *me)
{
	_Atomic u64 *h = split() ? me->hist : grp.hist;
	u32 b, idx, n;
	int dir;

	me->rnd = me->rnd * 6364136223846793005ULL + 1442695040888963407ULL;
	b = 96 + (u32)(me->rnd >> 60);
	if (!hist_batch || mode == LOCKED) {
		atomic_fetch_add_explicit(&h[b], 1, memory_order_relaxed);
		return;
	}
	if (iob_lat_batch_add(&me->lat, 0, b))
		while ((n = iob_lat_batch_take(&me->lat, &dir, &idx)))
			atomic_fetch_add_explicit(&h[idx], n, memory_order_relaxed);
}

static void complete_locked(struct percpu *me)
{
	hist_add(me);
	pthread_spin_lock(&grp.lock);
	grp.locks++;
	grp.inflight--;
	grp.completed++;
	grp.ios++;
	pthread_spin_unlock(&grp.lock);
}

/* The device group's room under io_limit and the bio's count in flight. */
static int send_room(struct percpu *me)
{
	if (slots())
		return iob_slot_room(&dom.slots, &me->stock);
	return atomic_read(&dom.inflight) < IO_LIMIT;
}

static void send(struct percpu *me)
{
	atomic_t *users = split() ? &me->ginflight : &dom.ginflight;

	if (!count_percpu) {
		/* the module before: one count, not raised from 0 (freed) */
		atomic_fetch_add_unless(users, 1, 0);
	} else if (iob_inflight_get(&me->gcount, users) == IOB_INFLIGHT_GONE) {
		fprintf(stderr, "admit-bench: a group without its own reference\n");
		exit(1);
	}
	if (slots())
		iob_slot_take(&dom.slots, &me->stock);
	else
		atomic_fetch_add(1, &dom.inflight);
}

static int admit_mag(struct percpu *me)
{
	u64 e = atomic_load_explicit(&epoch, memory_order_relaxed);
	int go;

	if (!send_room(me))
		return 0;
	if (iob_mag_spend(&me->mag, e, 1)) {
		me->sent++;
		send(me);
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
	if (go)
		send(me);
	return go;
}

static void complete_mag(struct percpu *me)
{
	hist_add(me);
	me->completed++;
	me->ios++;
	if (count_percpu)
		iob_inflight_put(&me->gcount, split() ? &me->ginflight : &dom.ginflight);
	else
		atomic_fetch_add(-1, split() ? &me->ginflight : &dom.ginflight);
	if (slots())
		iob_slot_put(&dom.slots, &me->stock);
	else if (atomic_fetch_add(-1, &dom.inflight) >= IO_LIMIT)
		atomic_read(&dom.held);
}

/* Out of tokens: the next epoch (once, whoever sees it first). */
static void new_epoch(u64 seen)
{
	atomic_compare_exchange_strong(&epoch, &seen, seen + 1);
}

/* A bio completes once @depth of this thread's are in flight. */
static void *worker(void *arg)
{
	struct percpu *me = arg;
	int out = 0;

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		int i;

		for (i = 0; i < 256; i++) {
			u64 e = atomic_load_explicit(&epoch, memory_order_relaxed);

			if (mode != LOCKED) {
				if (admit_mag(me)) {
					if (++out == depth) {
						complete_mag(me);
						out--;
					}
				} else {
					new_epoch(e);
				}
			} else if (admit_locked(me)) {
				complete_locked(me);
			} else {
				new_epoch(e);
			}
		}
	}
	for (; out; out--)
		complete_mag(me);
	return NULL;
}

/* One row: @n threads for @secs; ns per bio and locks per bio. */
static void row(int n, enum mode m, double secs, double *ns, double *locks)
{
	pthread_t t[MAXT];
	u64 t0, t1, ios = 0, lk = 0;
	int i;

	memset(&grp, 0, sizeof(grp));
	memset(pc, 0, sizeof(pc));
	memset(&dom, 0, sizeof(dom));
	/* the groups' own references (ioband-inflight.h) */
	atomic_set(&dom.ginflight, 1);
	for (i = 0; i < MAXT; i++)
		atomic_set(&pc[i].ginflight, 1);
	iob_slots_resize(&dom.slots, 0, IO_LIMIT, n);
	pthread_spin_init(&grp.lock, PTHREAD_PROCESS_PRIVATE);
	grp.b.share = 2048;
	grp.b.tokens = grp.b.share;
	grp.b.epoch = 1;
	atomic_store(&epoch, 1);
	atomic_store(&stop, false);
	mode = m;
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

/*
 * A table of two pairs of columns, ns per bio: @a against @b under @left
 * and under @right, and what @b gains on @a.
 */
static void pair_header(const char *title, const char *left, const char *right,
			const char *a, const char *b)
{
	printf("admit-bench: %s\n", title);
	printf("admit-bench: %-7s | %-29s | %-29s\n", "", left, right);
	printf("admit-bench: %-7s | %10s %11s %6s | %10s %11s %6s\n", "threads",
	       a, b, "gain", a, b, "gain");
}

static void pair_row(const char *tag, int n, double la, double lb, double ra, double rb)
{
	printf("admit-bench: %-7d | %10.1f %11.1f %5.2fx | %10.1f %11.1f %5.2fx\n",
	       n, la, lb, lb > 0 ? la / lb : 0, ra, rb, rb > 0 ? ra / rb : 0);
	printf("data: %s %d %.1f %.1f %.1f %.1f\n", tag, n, la, lb, ra, rb);
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
	printf("admit-bench: admission + completion per bio, %.1f s per row, %ld CPUs\n",
	       secs, cpus);
	printf("admit-bench: %-7s %8s | %-22s %6s | %-22s %6s | %10s %9s\n", "", "",
	       "one group, ns/bio", "", "a group per thread", "", "locks/bio", "");
	printf("admit-bench: %-7s %8s | %10s %11s %6s | %10s %11s %6s | %10s %9s\n", "threads",
	       "lock ns", "shared ctr", "slots", "gain", "shared ctr", "slots", "gain", "lock",
	       "magazine");
	for (n = 1; n <= MAXT && n <= 2 * cpus; n *= 2) {
		double ln, ll, an, al, sn, sl, pa, pal, ps, psl;

		row(n, LOCKED, secs, &ln, &ll);
		row(n, MAG_ATOMIC, secs, &an, &al);
		row(n, MAG_SLOTS, secs, &sn, &sl);
		row(n, SPLIT_ATOMIC, secs, &pa, &pal);
		row(n, SPLIT_SLOTS, secs, &ps, &psl);
		printf("admit-bench: %-7d %8.1f | %10.1f %11.1f %5.2fx | %10.1f %11.1f %5.2fx | %10.3f %9.4f\n",
		       n, ln, an, sn, sn > 0 ? an / sn : 0, pa, ps, ps > 0 ? pa / ps : 0, ll, sl);
		printf("data: admit %d %.1f %.1f %.1f %.1f %.1f %.3f %.4f\n", n, ln, an, sn, pa, ps,
		       ll, sl);
	}
	/*
	 * the rows above batch the histogram, as the module does; here with
	 * eight bios in flight per thread, where the group's count stays on
	 * each thread's own line
	 */
	depth = 8;
	pair_header("the histogram of completion latencies, with slots, eight bios in flight per thread, ns/bio",
		    "one group", "a group per thread", "each bio", "batch of 8");
	for (n = 1; n <= MAXT && n <= 2 * cpus; n *= 2) {
		double on, ob, pn, pb, l;

		hist_batch = false;
		row(n, MAG_SLOTS, secs, &on, &l);
		row(n, SPLIT_SLOTS, secs, &pn, &l);
		hist_batch = true;
		row(n, MAG_SLOTS, secs, &ob, &l);
		row(n, SPLIT_SLOTS, secs, &pb, &l);
		pair_row("hist", n, on, ob, pn, pb);
	}
	depth = 1;
	/* the group's own count: shared, or per CPU as the module keeps it */
	pair_header("the group's bios in flight, one group with slots, ns/bio",
		    "one bio in flight per thread", "eight in flight per thread",
		    "shared", "per CPU");
	for (n = 1; n <= MAXT && n <= 2 * cpus; n *= 2) {
		double s1, p1, s8, p8, l;

		count_percpu = false;
		row(n, MAG_SLOTS, secs, &s1, &l);
		depth = 8;
		row(n, MAG_SLOTS, secs, &s8, &l);
		count_percpu = true;
		row(n, MAG_SLOTS, secs, &p8, &l);
		depth = 1;
		row(n, MAG_SLOTS, secs, &p1, &l);
		pair_row("count", n, s1, p1, s8, p8);
	}
	return 0;
}
