// SPDX-License-Identifier: GPL-2.0
/*
 * ioband reservations and limits, shared by dm-ioband.ko and the unit
 * tests.
 *
 * A limit is a token bucket per key (bps, rbps, wbps, iops, riops, wiops)
 * that refills at its rate from elapsed time and holds "burst"
 * milliseconds of it, at least one largest bio.  A bio goes down while
 * every bucket that applies to it is not in debt, and is charged to them
 * all; the last bio may take a bucket into debt, which the rate then pays
 * off.  So a limit is exact over any window longer than its burst, and a
 * group that was idle for a burst's time may run above its rate until the
 * bucket is empty.
 *
 * A reservation is a floor under the group's share of the device.  The
 * weights give each busy group a part of every epoch's tokens; a group
 * whose reservation is more than its weight would give it gets the part
 * of the device its reservation is (from the device's measured rate), and
 * the others share the rest by weight (iob_floors).  The epoch rule then
 * holds it to that part exactly as it holds weights, whatever the queue
 * depths.  Reservations that ask for more than the device does are scaled
 * down, each by the same factor (iob_reserve_scale).
 *
 * Each limit bucket is kept as a virtual clock (GCRA): the time at which
 * it would be empty.  Refilling is then free, and the time a held group
 * becomes eligible is the clock itself, so the dispatcher can sleep until
 * then.
 */
#include "ioband-qos.h"

#ifdef __KERNEL__
#include <linux/math64.h>
#include <linux/string.h>
#else
#include <string.h>
#define div64_u64(a, b) ((a) / (b))
static u64 mul_u64_u64_div_u64(u64 a, u64 b, u64 c)
{
	return (u64)((__uint128_t)a * b / c);
}
#endif

#define NS_PER_SEC 1000000000ULL
#define NS_PER_MS 1000000ULL

static const char *const key_names[IOB_NR_KEYS] = {
	[IOB_BPS] = "bps", [IOB_RBPS] = "rbps", [IOB_WBPS] = "wbps",
	[IOB_IOPS] = "iops", [IOB_RIOPS] = "riops", [IOB_WIOPS] = "wiops",
};

const char *iob_key_name(enum iob_key k)
{
	return key_names[k];
}

/* Does key @k count bios of direction @dir (0 read, 1 write)? */
bool iob_key_applies(enum iob_key k, int dir)
{
	switch (k) {
	case IOB_RBPS:
	case IOB_RIOPS:
		return dir == 0;
	case IOB_WBPS:
	case IOB_WIOPS:
		return dir != 0;
	default:
		return true;
	}
}

u32 iob_burst_ms(const struct iob_qos *q)
{
	return q->burst_ms ? q->burst_ms : IOB_DEFAULT_BURST_MS;
}

bool iob_qos_empty(const struct iob_qos *q)
{
	int k;

	for (k = 0; k < IOB_NR_KEYS; k++)
		if (q->limit[k] || q->reserve[k])
			return false;
	return !q->burst_ms && !q->latency_us;
}

/* Nanoseconds for @rate (per second) to pass @units, rounded up. */
static u64 rate_ns(u64 units, u64 rate)
{
	return div64_u64(units * NS_PER_SEC + rate - 1, rate);
}

/*
 * Configure @s as @q says, at @now_ns.  A new key starts full; a key that
 * stays keeps its bucket (a new burst or rate refills nothing), and what
 * it owes is owed at the new rate: a debt run up at 1 KB/s is paid at
 * once when the limit goes up to 1 GB/s, not over minutes.
 */
void iob_qos_set(struct iob_qos_state *s, const struct iob_qos *q, u64 now_ns)
{
	u64 burst = (u64)iob_burst_ms(q) * NS_PER_MS;
	bool has_limit = false, has_reserve = false;
	int k;

	for (k = 0; k < IOB_NR_KEYS; k++) {
		u64 old = s->conf.limit[k];

		if (old && q->limit[k] && old != q->limit[k] &&
		    s->limit_vt[k] > now_ns)
			s->limit_vt[k] = now_ns +
				mul_u64_u64_div_u64(s->limit_vt[k] - now_ns, old,
						    q->limit[k]);
		if (!q->limit[k]) {
			s->limit_vt[k] = 0;
			s->depth_ns[k] = 0;
		} else {
			u64 one = rate_ns(iob_qos_units(k, IOB_MAX_BIO_BYTES),
					  q->limit[k]);

			s->depth_ns[k] = burst > one ? burst : one;
			has_limit = true;
		}
		if (q->reserve[k])
			has_reserve = true;
	}
	s->conf = *q;
	/* once: descendants read it without the lock (WRITE_ONCE) */
	WRITE_ONCE(s->has_limit, has_limit);
	s->has_reserve = has_reserve;
}

/*
 * The time from which the group's next bio of @dir is within its limits
 * (0 if it has none): the latest clock of the buckets that apply.
 */
u64 iob_qos_limit_at(const struct iob_qos_state *s, int dir)
{
	u64 at = 0;
	int k;

	if (!s->has_limit)
		return 0;
	for (k = 0; k < IOB_NR_KEYS; k++)
		if (s->conf.limit[k] && iob_key_applies(k, dir) &&
		    s->limit_vt[k] > at)
			at = s->limit_vt[k];
	return at;
}

/*
 * Is the group running at one of its limits: less than half its burst
 * left?  Such a group is not waited for: it could not use its share.
 */
bool iob_qos_limit_bound(const struct iob_qos_state *s, u64 now_ns)
{
	int k;

	if (!s->has_limit)
		return false;
	for (k = 0; k < IOB_NR_KEYS; k++)
		if (s->conf.limit[k] &&
		    s->limit_vt[k] + s->depth_ns[k] / 2 > now_ns)
			return true;
	return false;
}

/* Move a clock on by @ns, from no further back than @floor. */
static void advance(u64 *vt, u64 floor, u64 ns)
{
	if (*vt < floor)
		*vt = floor;
	*vt += ns;
}

/*
 * A bio of @dir and @bytes went down at @now_ns: charge its limits.  A
 * bio that went whatever its limit (@urgent: metadata, swap, reclaim,
 * flushes, I/O during a suspend) runs a bucket at most one burst into
 * debt, so a storm of them cannot lock the group out for minutes.
 */
void iob_qos_charge(struct iob_qos_state *s, int dir, u32 bytes, u64 now_ns,
		    bool urgent)
{
	int k;

	for (k = 0; k < IOB_NR_KEYS; k++) {
		if (!s->conf.limit[k] || !iob_key_applies(k, dir))
			continue;
		advance(&s->limit_vt[k],
			now_ns > s->depth_ns[k] ? now_ns - s->depth_ns[k] : 0,
			rate_ns(iob_qos_units(k, bytes), s->conf.limit[k]));
		if (urgent && s->limit_vt[k] > now_ns + s->depth_ns[k])
			s->limit_vt[k] = now_ns + s->depth_ns[k];
	}
}

/* What is left in limit @k's bucket at @now_ns, in its units. */
u64 iob_qos_burst_left(const struct iob_qos_state *s, enum iob_key k,
		       u64 now_ns)
{
	u64 ns;

	if (!s->conf.limit[k] || s->limit_vt[k] >= now_ns)
		return 0;
	ns = now_ns - s->limit_vt[k];
	if (ns > s->depth_ns[k])
		ns = s->depth_ns[k];
	/* ns < 2^46 (60 s), rate <= 2^40: split to stay within 64 bits */
	return div64_u64(ns, NS_PER_MS) * s->conf.limit[k] / 1000 +
	       div64_u64((ns % NS_PER_MS) * s->conf.limit[k], NS_PER_SEC);
}

/*
 * Key @k at @v per second as a part of the device (@dev bytes or I/Os
 * per second), in millionths, given the group's mean bio size.
 */
static u64 key_ppm(int k, u64 v, bool iosize, u64 dev, u64 avg_bytes)
{
	/* v <= 2^40: the product is below 2^60 */
	u64 part = mul_u64_u64_div_u64(v, IOB_PPM, dev);

	/* the other unit: I/Os as bytes, or bytes as I/Os */
	if (iosize && !iob_key_is_bytes(k))
		return part > IOB_RESERVE_PPM_MAX / avg_bytes ?
		       IOB_RESERVE_PPM_MAX : part * avg_bytes;
	if (!iosize && iob_key_is_bytes(k))
		return div64_u64(part, avg_bytes);
	return part;
}

/*
 * Keys @v as parts of the device, in millionths, at most
 * IOB_RESERVE_PPM_MAX: their sum (@sum), or the least of them; 0 for none
 * or an unknown rate.  The device's rate is in tokens per second (sectors
 * for weight-iosize, I/Os for weight); @avg_bytes, the group's mean bio
 * size, converts between bytes and I/Os.
 */
static u64 keys_ppm(const u64 *v, bool sum, enum iob_policy policy,
		    u64 tokens_per_s, u64 avg_bytes)
{
	bool iosize = policy == IOB_POLICY_WEIGHT_IOSIZE;
	u64 ppm = 0, dev, part;
	int k;

	if (!tokens_per_s || !avg_bytes || tokens_per_s > IOB_RATE_MAX)
		return 0;
	/* the device in bytes (512 per token) or in I/Os per second */
	dev = iosize ? tokens_per_s * 512 : tokens_per_s;
	for (k = 0; k < IOB_NR_KEYS; k++) {
		if (!v[k])
			continue;
		part = key_ppm(k, v[k], iosize, dev, avg_bytes);
		if (part > IOB_RESERVE_PPM_MAX)
			part = IOB_RESERVE_PPM_MAX;
		if (sum)
			ppm += part;
		else if (!ppm || part < ppm)
			ppm = part ? part : 1;
	}
	return ppm < IOB_RESERVE_PPM_MAX ? ppm : IOB_RESERVE_PPM_MAX;
}

/*
 * How much of the device a group's reservations ask for.  A direction's
 * key counts as if it were both: the group's share covers all its I/O.
 */
u64 iob_reserve_ppm(const struct iob_qos *q, enum iob_policy policy,
		    u64 tokens_per_s, u64 avg_bytes)
{
	return keys_ppm(q->reserve, true, policy, tokens_per_s, avg_bytes);
}

/*
 * The most of the device a group's limits let it have: the tightest of
 * its keys, a direction's key as if it were both.
 */
u64 iob_limit_ppm(const struct iob_qos *q, enum iob_policy policy,
		  u64 tokens_per_s, u64 avg_bytes)
{
	return keys_ppm(q->limit, false, policy, tokens_per_s, avg_bytes);
}

/*
 * Reservations that ask for more than the device does are scaled down in
 * proportion, to leave IOB_RESERVE_HEADROOM of it to the weights: every
 * reserved group keeps the same fraction of its reservation, and no group
 * stalls.  Returns the scale, IOB_SCALE_ONE for none.
 */
u32 iob_reserve_scale(u64 demand_ppm)
{
	u64 room = IOB_PPM * (IOB_SCALE_ONE - IOB_RESERVE_HEADROOM) /
		   IOB_SCALE_ONE;
	u64 scale;

	if (demand_ppm <= room)
		return IOB_SCALE_ONE;
	scale = div64_u64(room * IOB_SCALE_ONE, demand_ppm);
	return scale ? (u32)scale : 1;
}

/*
 * Each group's part of the device: its weight's part of what the floors
 * leave, or its reservation where that is more (water-filling: a group
 * that the floors of others push below its own reservation gets its
 * floor too, until no more do).  Only groups that count share; one that
 * does not gets its weight's part as if over the counting groups' rest.  The reservations of the
 * counting groups sum to less than the device (iob_reserve_scale); if
 * they did not, the floors that fit are kept and the rest share by
 * weight.
 */
void iob_floors(struct iob_floor *head)
{
	u64 floors = 0, rest_w = 0;
	struct iob_floor *f;
	bool changed = true;

	for (f = head; f; f = f->next) {
		f->floored = false;
		if (f->counts)
			rest_w += f->weight;
	}
	/* each pass floors at least one group, or ends */
	while (changed) {
		changed = false;
		for (f = head; f; f = f->next) {
			if (!f->counts || f->floored || !f->reserve_ppm ||
			    floors + f->reserve_ppm >= IOB_PPM)
				continue;
			/* reserve / 10^6 > (1 - floors) * weight / rest_w */
			if ((u64)f->reserve_ppm * rest_w <=
			    (IOB_PPM - floors) * f->weight)
				continue;
			f->floored = true;
			floors += f->reserve_ppm;
			rest_w -= f->weight;
			changed = true;
		}
	}
	for (f = head; f; f = f->next) {
		u64 w = rest_w ? rest_w : f->weight;
		u64 part = div64_u64((IOB_PPM - floors) * f->weight, w ? w : 1);

		/* a group that does not count may be heavier than the rest */
		f->part_ppm = f->floored ? f->reserve_ppm :
			      (u32)(part < IOB_PPM ? part : IOB_PPM);
	}
}
