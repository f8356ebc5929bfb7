// SPDX-License-Identifier: GPL-2.0
/*
 * ioband latency targets, shared by dm-ioband.ko and the unit tests.
 *
 * A group's target is for its completion latency: from the bio's arrival
 * in ioband to its completion by the device below.  Every window
 * (IOB_LAT_WINDOW_NS) the controller looks at the groups with a target
 * that completed bios in it; one misses its target when its 99th
 * percentile is above it (ioband-latency.h says over which bios).
 *
 * A device's latency for a light tenant is the queue the others keep in
 * it: bytes that must pass before its bio.  So while a target is missed
 * the groups without a target are held back, each by a cap on its rate
 * (bytes per second, paced like a limit) that starts a little below what
 * it did in the window and is cut by a thirty-second each window that
 * misses; a window in which the device did less than half of what it did
 * of late (quiet) makes no cap, and cuts a cap its group did not use from
 * the cap, not from the group's rate.  Each window in which every target
 * holds and none had more than 1/200 of its bios late, the caps grow by a
 * step (a window with more that was no miss leaves them); a cap an eighth
 * above the device's rate is gone.  A miss that follows such a window
 * (the caps grew, if there were any) halves the growth (the step one
 * larger).  Once a window has held since control began, a miss with two
 * or more late bios (IOB_LAT_MISS_MIN) in it and the window before pins
 * each cap that its group used and that was not cut from the group's own
 * rate a window before: the cap does not grow past the rate at which it
 * missed, less a thirty-second, until a calm spell (IOB_LAT_CALM_WINDOWS
 * without a miss) has passed.  So the caps settle just under the rate at
 * which the targets are missed instead of probing into it every few
 * seconds, and a calm spell lets them probe again.  When no group with a target
 * completes anything in a window, every cap is gone at once: the
 * controller holds back nobody for a tenant that is not there.
 *
 * A held-back group is never cut below half of its part of the device by
 * weight (its floor): a target can take the excess a neighbour gets from
 * work conservation, not what its weight gives it.  Groups with targets
 * are never held back for each other.
 */
#include "ioband-latency.h"

#define NS_PER_SEC 1000000000ULL

/* The midpoint of bucket @idx, in microseconds. */
u64 iob_lat_bucket_us(u32 idx)
{
	unsigned int shift;
	u64 low;

	if (idx < IOB_LAT_SUB)
		return idx;
	shift = idx / IOB_LAT_SUB - 1;
	low = (u64)(IOB_LAT_SUB + idx % IOB_LAT_SUB) << shift;
	return low + ((1ULL << shift) >> 1);
}

/* The @pct percentile of histogram @hist, in microseconds; 0 if empty. */
u64 iob_lat_percentile_us(const u64 *hist, u32 pct)
{
	u64 n = 0, rank, seen = 0;
	u32 i;

	for (i = 0; i < IOB_LAT_BUCKETS; i++)
		n += hist[i];
	if (!n)
		return 0;
	rank = div64_u64(n * pct + 99, 100);
	if (!rank)
		rank = 1;
	for (i = 0; i < IOB_LAT_BUCKETS; i++) {
		seen += hist[i];
		if (seen >= rank)
			break;
	}
	return iob_lat_bucket_us(i < IOB_LAT_BUCKETS ? i : IOB_LAT_BUCKETS - 1);
}

/* Control starts again from nothing learnt; the count of windows goes on. */
void iob_lat_dom_restart(struct iob_lat_dom *d)
{
	d->peak_bps = 0;
	d->recent_bps = 0;
	d->step = IOB_LAT_STEP_MIN;
	d->calm = 0;
	d->late = 0;
	d->held = false;
	d->grew = false;
}

void iob_lat_dom_init(struct iob_lat_dom *d)
{
	iob_lat_dom_restart(d);
	d->windows = 0;
}

/*
 * The least a held-back group keeps: half its part of the device, or all
 * of it when its reservation is what its part is.
 */
u64 iob_lat_floor_bps(const struct iob_lat_dom *d, const struct iob_lat *g)
{
	u64 half = g->reserved ? d->peak_bps : d->peak_bps / IOB_LAT_FLOOR_DIV;
	u64 floor = div64_u64(half * g->part_ppm, 1000000);

	return floor > IOB_LAT_MIN_BPS ? floor : IOB_LAT_MIN_BPS;
}

/* Bytes per second; @len_ns is not 0. */
static u64 rate_of(u64 bytes, u64 len_ns)
{
	u64 us;

	if (bytes < (1ULL << 34))	/* times 10^9 fits in 64 bits */
		return div64_u64(bytes * NS_PER_SEC, len_ns);
	us = div64_u64(len_ns, 1000);
	return div64_u64(bytes, us ? us : 1) * 1000000;
}

/*
 * One window of @len_ns: read each group's counts, decide, and set the
 * caps.  The caller resets the counts.  Returns what it decided.
 */
enum iob_lat_decision iob_lat_window(struct iob_lat_dom *d,
				     struct iob_lat *head, u64 len_ns)
{
	bool measured = false, missed = false, capped = false, calm, pin, quiet;
	bool full, stray = false;
	u64 total = 0, bps, late = 0, steady, grow;
	struct iob_lat *g;

	if (!len_ns)
		len_ns = 1;
	d->windows++;
	for (g = head; g; g = g->next) {
		total += g->bytes;
		capped |= g->cap_bps != 0;
		g->missed = false;
		if (!g->target_ns) {
			g->span_n = 0;
			g->span_over = 0;
			continue;
		}
		g->cap_bps = 0;		/* never held back: not for others */
		g->ceil_bps = 0;
		/*
		 * A new span, or one under half of what this window's count
		 * would make of it (the group paused: the decay's rounding
		 * never takes it to 0), starts as if that count had been
		 * steady.
		 */
		steady = ((u64)g->n << 8) * IOB_LAT_SPAN;
		if (g->span_n < steady / 2)
			g->span_n = steady;
		g->span_n += ((u64)g->n << 8) - g->span_n / IOB_LAT_SPAN;
		g->span_over += ((u64)g->over << 8) - g->span_over / IOB_LAT_SPAN;
		if (!g->n)
			continue;
		measured = true;
		/* more than 1/IOB_LAT_SPAN_DIV of the window's bios late */
		if ((u64)g->over * IOB_LAT_SPAN_DIV > g->n)
			stray = true;
		g->missed = ((u64)g->over * IOB_LAT_MISS_DIV > g->n &&
			     g->over >= IOB_LAT_MISS_MIN) ||
			    (g->over && g->span_over * IOB_LAT_SPAN_DIV > g->span_n);
		if (g->missed) {
			g->missed_windows++;
			missed = true;
			late += g->over;
		}
	}
	/*
	 * A miss answers for the late bios so far, every target's: the
	 * caps it cuts are judged by the ones that follow.
	 */
	if (missed) {
		for (g = head; g; g = g->next)
			g->span_over = 0;
	}
	/*
	 * The device's rate: a moving average of the windows' (an eighth
	 * each), from the first, while nobody is held back; while somebody
	 * is, less is seen and only more counts.  What it did of late is
	 * the same average of every window's: the window is quiet when the
	 * device did less than half of that in it.
	 */
	bps = rate_of(total, len_ns);
	quiet = bps < d->recent_bps / 2;
	if (d->recent_bps)
		d->recent_bps += (s64)(bps - d->recent_bps) / IOB_LAT_AVG_DIV;
	else
		d->recent_bps = bps;
	if (!capped && d->peak_bps)
		d->peak_bps += (s64)(bps - d->peak_bps) / IOB_LAT_AVG_DIV;
	else if (bps > d->peak_bps)
		d->peak_bps = bps;

	if (!measured) {
		for (g = head; g; g = g->next) {
			g->cap_bps = 0;
			g->ceil_bps = 0;
		}
		d->step = IOB_LAT_STEP_MIN;
		d->calm = 0;
		d->late = 0;
		d->held = false;
		d->grew = false;
		return IOB_LAT_IDLE;
	}
	/* the device did about all it can: a group's shortfall is its queue */
	full = bps >= d->peak_bps - d->peak_bps / 16;
	pin = d->held && late + d->late >= IOB_LAT_MISS_MIN;
	d->late = late;
	if (missed) {
		/* a miss after a window that held, clean: growth too fast */
		if (d->grew && d->step < IOB_LAT_STEP_MAX)
			d->step++;
		d->grew = false;
		d->calm = 0;
		for (g = head; g; g = g->next) {
			u64 cur, floor = iob_lat_floor_bps(d, g);

			if (g->target_ns || (!g->bytes && !g->cap_bps) ||
			    (quiet && !g->cap_bps))
				continue;
			/*
			 * A cap it used is the rate that missed: not again
			 * for a calm spell, if a window has held since
			 * control began (until then what the groups queued
			 * before their first caps may still drain), if the
			 * misses had two or more late bios in this window and
			 * the one before (one may be anybody's: a stall of a
			 * CPU or of the device), and the cap was not cut from
			 * its rate a window ago (that window may have begun
			 * part way, or with the group only starting, and what
			 * it queued before the cut drains in this one).  A
			 * first cut, or one of a cap it does not use, is from
			 * what it did in the window.  But a quiet window (a
			 * writer's flusher waiting, say) says nothing of what
			 * a group that moved little in it will do: then none
			 * gets a first cap, and a cap its group did not use
			 * is cut from itself.  On a full device that the
			 * group moved at least half of, a cap it used but did
			 * a thirty-second below does not hold it (its bios
			 * queue in the device): the cut is from what it did.
			 */
			cur = rate_of(g->bytes, len_ns);
			if (g->cap_bps && cur > g->cap_bps / 2) {
				if (!full || cur * 2 < bps ||
				    cur + cur / IOB_LAT_CUT_DIV >= g->cap_bps)
					cur = g->cap_bps;
				if (pin && !g->first_cut)
					g->ceil_bps = cur;
				g->first_cut = false;
			} else if (quiet) {
				cur = g->cap_bps;
				g->first_cut = false;
			} else {
				g->first_cut = true;
			}
			cur -= cur / IOB_LAT_CUT_DIV;
			g->cap_bps = cur > floor ? cur : floor;
			g->capped_windows++;
		}
		return IOB_LAT_MISSED;
	}
	d->held = true;
	calm = ++d->calm >= IOB_LAT_CALM_WINDOWS;
	if (calm) {
		d->calm = 0;
		if (d->step > IOB_LAT_STEP_MIN)
			d->step--;
	}
	/*
	 * A window in which a target had more than 1/IOB_LAT_SPAN_DIV of its
	 * bios late but did not miss (a stray, or late bios since the last
	 * miss not yet over the span's share) grows nothing: else the caps
	 * would climb where every window has a late bio.
	 */
	grow = stray ? 0 : (d->peak_bps >> d->step) + 1;
	d->grew = !stray;
	for (g = head; g; g = g->next) {
		u64 ceil = g->ceil_bps - g->ceil_bps / IOB_LAT_CUT_DIV;

		g->first_cut = false;
		if (calm)
			g->ceil_bps = 0;
		if (!g->cap_bps)
			continue;
		g->cap_bps += grow;
		/* below the rate of its last pinning miss, to a calm spell */
		if (g->ceil_bps && g->cap_bps > ceil)
			g->cap_bps = ceil > g->cap_bps - grow ? ceil : g->cap_bps - grow;
		/*
		 * Gone when an eighth above the device's rate, where it can
		 * no longer hold the group: released at the rate itself, on
		 * a full device, the group's whole queue would go into it at
		 * once.  (While the group runs at its cap the rate follows
		 * it up, so the cap is gone only once the device is full.)
		 */
		if (g->cap_bps >= d->peak_bps + d->peak_bps / 8) {
			g->cap_bps = 0;
			g->ceil_bps = 0;
		} else {
			g->capped_windows++;
		}
	}
	return IOB_LAT_MET;
}

/*
 * A bio of @bytes went down at @now_ns under a cap of @cap_bps: move the
 * cap's clock on by the time the cap takes to pass it, from no further
 * back than a bucket's depth (IOB_LAT_DEPTH_NS for a bio the group held,
 * @held; else IOB_LAT_BURST_NS).  The next bio goes when the clock is not
 * ahead of now.  A bio that went whatever the cap (@urgent: flushes,
 * metadata, swap, reclaim, I/O during a suspend) takes the clock at most
 * IOB_LAT_BURST_NS ahead, so that a storm of them cannot hold the group
 * for long.
 */
void iob_lat_charge(u64 *vt, u64 cap_bps, u32 bytes, u64 now_ns, bool held,
		    bool urgent)
{
	u64 depth = held ? IOB_LAT_DEPTH_NS : IOB_LAT_BURST_NS;
	u64 floor = now_ns > depth ? now_ns - depth : 0;

	if (!cap_bps)
		return;
	if (*vt < floor)
		*vt = floor;
	*vt += div64_u64((u64)(bytes ? bytes : 4096) * NS_PER_SEC, cap_bps);
	if (urgent && *vt > now_ns + IOB_LAT_BURST_NS)
		*vt = now_ns + IOB_LAT_BURST_NS;
}
