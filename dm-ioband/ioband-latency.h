/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ioband latency targets and latency statistics (ioband-latency.c): the
 * histogram of completion latencies each group keeps, and the controller
 * that holds back the groups without a target while a group misses its
 * own.  Plain C, shared by dm-ioband.ko and the unit tests.
 */
#ifndef IOBAND_LATENCY_H
#define IOBAND_LATENCY_H

#include "ioband-policy.h"

#ifdef __KERNEL__
#include <linux/log2.h>
#include <linux/math64.h>
#else
#define div64_u64(a, b) ((a) / (b))
static inline unsigned int ilog2(u64 v)
{
	return 63 - (unsigned int)__builtin_clzll(v);
}
#endif

/*
 * Histogram buckets of microseconds: exact below 16 us, then eight a power
 * of two (each 1/8 to 1/16 of its value wide), up to 2^26 us (67 s); a
 * value is shown as its bucket's midpoint, within 6.25% of the truth.
 */
#define IOB_LAT_SUB_BITS	3
#define IOB_LAT_SUB		(1U << IOB_LAT_SUB_BITS)
#define IOB_LAT_MAX_LOG2	26
#define IOB_LAT_BUCKETS		((IOB_LAT_MAX_LOG2 - IOB_LAT_SUB_BITS + 2) * IOB_LAT_SUB)

/* The largest target, in microseconds: a minute. */
#define IOB_LAT_TARGET_MAX_US	60000000U

/* The controller looks at each window of this long. */
#define IOB_LAT_WINDOW_NS	100000000ULL
/*
 * A target is for the 99th percentile of the group's completion latency.
 * A light group completes only tens of bios a window, so the count is
 * over a moving span of about IOB_LAT_SPAN windows (each window's counts
 * weigh 1/IOB_LAT_SPAN of it; 256ths of a bio): long enough that a stray
 * late bio of a group of 200 IOPS, some 640 bios in the span, is not a
 * miss on its own.  A window misses when a bio in it was late and more
 * than 1/IOB_LAT_SPAN_DIV of the span was (below the target's 1%, so that
 * the caps' probing upwards does not cost it; late bios count from the
 * last miss, which answered for those before it); or when, in the window
 * alone, at least IOB_LAT_MISS_MIN bios and more than 1/IOB_LAT_MISS_DIV
 * were late.  A miss pins the caps (ioband-latency.c)
 * when the groups that missed had at least IOB_LAT_MISS_MIN late bios
 * in this window and the one before.
 */
#define IOB_LAT_MISS_DIV	100
#define IOB_LAT_MISS_MIN	2
#define IOB_LAT_SPAN		32
#define IOB_LAT_SPAN_DIV	200
/*
 * A held-back group keeps at least 1/IOB_LAT_FLOOR_DIV of its part of
 * the device by weight, and never less than IOB_LAT_MIN_BPS.
 */
#define IOB_LAT_FLOOR_DIV	2
#define IOB_LAT_MIN_BPS		(1ULL << 20)
/*
 * On a miss, each held-back group's cap is cut by 1/IOB_LAT_CUT_DIV.  The
 * first windows after a neighbour is capped still miss while what it had
 * queued in the device drains, and cuts compound: on the 64 MiB/s
 * null_blk (latency section, test 1) cuts of a sixteenth left the
 * neighbour 70.6% and 83.5% of its rate alone in two runs, cuts of a
 * thirty-second 83.7% to 93.5% in five (64.5% in a slow boot where the
 * target was missed anyway).
 */
#define IOB_LAT_CUT_DIV		32
/*
 * While targets are met and no target had more than 1/IOB_LAT_SPAN_DIV
 * of its bios late, each cap grows by the device's rate >> step a window;
 * a miss after such a window (the caps grew, if any) makes the step one
 * larger (growth halves), and this many windows in a row without a miss
 * make it one smaller again.
 */
#define IOB_LAT_STEP_MIN	5
#define IOB_LAT_STEP_MAX	11
#define IOB_LAT_CALM_WINDOWS	100
/*
 * A cap's bucket holds this much time at its rate for a bio the group held
 * (a dispatcher that wakes late catches up: under emulation it often woke
 * more than 2 ms late, and with 2 ms a writer capped at 30 MB/s did 20),
 * and IOB_LAT_BURST_NS for one that found the group's queue empty (a group
 * that paused does not come back with a burst), or that went whatever the
 * cap (how far ahead it may take the clock).  So in any span a group's
 * bios that the cap passes go at most 8 ms of its rate, and one bio, over
 * it.
 */
#define IOB_LAT_DEPTH_NS	8000000ULL
#define IOB_LAT_BURST_NS	2000000ULL
/* The device's rate is a moving average over this many windows. */
#define IOB_LAT_AVG_DIV		8

/* The histogram bucket of a latency of @ns. */
static inline u32 iob_lat_bucket(u64 ns)
{
	u64 us = div64_u64(ns, 1000);
	unsigned int msb;

	if (us < IOB_LAT_SUB)
		return (u32)us;
	msb = ilog2(us);
	if (msb > IOB_LAT_MAX_LOG2)
		return IOB_LAT_BUCKETS - 1;
	return (msb - IOB_LAT_SUB_BITS + 1) * IOB_LAT_SUB +
	       (u32)((us >> (msb - IOB_LAT_SUB_BITS)) & (IOB_LAT_SUB - 1));
}

u64 iob_lat_bucket_us(u32 idx);
u64 iob_lat_percentile_us(const u64 *hist, u32 pct);

/*
 * A CPU's completions of a group that are not yet in the group's
 * histogram, as distinct (direction, bucket) keys with their counts.
 * Every CPU the group's bios complete on writes the histogram's lines, so
 * a CPU adds its completions IOB_LAT_BATCH at a time, each bucket once: a
 * line moves once a batch, not once a bio.  A completion finds its key
 * among the few a batch has, so taking the batch out is one add per key.
 */
#define IOB_LAT_BATCH		8

struct iob_lat_batch {
	u8 n;			/* completions in it */
	u8 keys;		/* distinct keys */
	u8 first;		/* the next key to take */
	u8 count[IOB_LAT_BATCH];
	u16 key[IOB_LAT_BATCH];	/* bucket | direction << 8 */
};

/* a bucket fits the key's low byte, and a count a u8 */
_Static_assert(IOB_LAT_BUCKETS <= 256 && IOB_LAT_BATCH <= 255, "iob_lat_batch");

/*
 * A completion in bucket @idx of direction @dir; true when @b is full (the
 * caller empties it before the next).  Keys already taken out are not
 * counted into again: an add between two takes starts a key of its own.
 */
static inline bool iob_lat_batch_add(struct iob_lat_batch *b, int dir, u32 idx)
{
	u16 key = idx | (dir ? 1U << 8 : 0);
	u32 i;

	if (b->n >= IOB_LAT_BATCH)
		return true;
	for (i = b->first; i < b->keys; i++)
		if (b->key[i] == key)
			break;
	if (i == b->keys) {
		b->key[i] = key;
		b->count[i] = 0;
		b->keys++;
	}
	b->count[i]++;
	return ++b->n == IOB_LAT_BATCH;
}

/* @b emptied, its completions elsewhere (a copy of it taken out). */
static inline void iob_lat_batch_clear(struct iob_lat_batch *b)
{
	b->n = 0;
	b->keys = 0;
	b->first = 0;
}

/*
 * The next key of @b: its completions' count, their direction in @dir and
 * bucket in @idx; 0 when @b is empty (then it is cleared).
 */
static inline u32 iob_lat_batch_take(struct iob_lat_batch *b, int *dir,
				     u32 *idx)
{
	u32 k;

	if (b->first >= b->keys) {
		iob_lat_batch_clear(b);
		return 0;
	}
	k = b->first++;
	*dir = b->key[k] >> 8;
	*idx = b->key[k] & 0xff;
	return b->count[k];
}

/*
 * One group as the controller sees it, on a list.  In: its target (0:
 * none), its completions in the window and how many of them took longer
 * than the target, the bytes it completed, its part of the device by
 * weight and whether that part is its reservation.  Kept: the moving
 * span's counts, its cap (0: not held back), the rate of the last miss
 * that pinned it, whether the cap is a first cut, counted windows.  Out:
 * missed, whether it missed its target this window.
 */
struct iob_lat {
	struct iob_lat *next;
	u64 target_ns;
	u32 n;
	u32 over;
	u64 bytes;
	u32 part_ppm;
	bool reserved;		/* its part is its reservation */
	u64 span_n;		/* the moving span's counts, x256 */
	u64 span_over;
	u64 cap_bps;
	u64 ceil_bps;		/* the rate of its last pinning miss: 0 none */
	bool first_cut;		/* its cap was cut from its window's rate */
	bool missed;
	u64 missed_windows;
	u64 capped_windows;
};

/*
 * The device group's side: its rate, what it did of late, the step caps
 * grow by, and the late bios of the groups that missed in the last window.
 */
struct iob_lat_dom {
	u64 peak_bps;
	u64 recent_bps;		/* every window's rate, an eighth each */
	u64 late;
	u32 step;
	u32 calm;
	bool held;		/* a window held since control (re)started */
	bool grew;		/* the last window held with no stray */
	u64 windows;
};

/* What a window did, for the tracepoint and the tests. */
enum iob_lat_decision {
	IOB_LAT_IDLE,		/* no group with a target completed a bio */
	IOB_LAT_MET,		/* every target met: caps grow (or stay) */
	IOB_LAT_MISSED,		/* a target missed: caps cut */
};

void iob_lat_dom_init(struct iob_lat_dom *d);
void iob_lat_dom_restart(struct iob_lat_dom *d);
enum iob_lat_decision iob_lat_window(struct iob_lat_dom *d,
				     struct iob_lat *head, u64 len_ns);
u64 iob_lat_floor_bps(const struct iob_lat_dom *d, const struct iob_lat *g);

/* A cap's virtual clock (as the limits': GCRA): charge a bio of @bytes. */
void iob_lat_charge(u64 *vt, u64 cap_bps, u32 bytes, u64 now_ns, bool held,
		    bool urgent);

#endif /* IOBAND_LATENCY_H */
