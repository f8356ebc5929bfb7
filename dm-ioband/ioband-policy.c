// SPDX-License-Identifier: GPL-2.0
/*
 * ioband policy core, shared by dm-ioband.ko and the unit tests.
 *
 * Every group of a device group (domain) receives "share" tokens per epoch,
 * share = token_base * weight / sum of weights.  A bio costs one token
 * (policy "weight") or one token per sector ("weight-iosize") and may be
 * dispatched while its group has tokens left; the group may go into debt by
 * the cost of its last bio.  A group without tokens holds its bios.  When
 * every group that holds bios is out of tokens and no group with tokens is
 * still busy, a new epoch starts and every group is refilled; unused tokens
 * are carried over for at most "carryover" epochs.
 *
 * A group with tokens and bios in flight (or a completion within the idle
 * window) is busy: the others wait for it, because it is about to use its
 * share.  That is what makes shares independent of queue depth and thread
 * count.  The wait ends when the device is no longer kept busy (the
 * domain completes work at less than a quarter of its rate before the
 * wait), so a trickle of I/O cannot stall a heavy group.  A group that
 * thinks between its bios (iob_thinks) is never busy: it is light and
 * steady, and waiting would not make it use its share.
 */
#include "ioband-policy.h"

#ifdef __KERNEL__
#include <linux/kernel.h>
#include <linux/limits.h>
#endif

/*
 * Tokens per epoch.  With "token 0" the epoch follows the device: what it
 * completes in about IOB_EPOCH_NS, between 128 and 2048 I/Os (1024 and
 * 16384 sectors for weight-iosize).  Short epochs keep shares even over
 * short intervals; long enough ones stay well above the device's queue.
 */
u32 iob_token_base(const struct iob_params *p, const struct iob_clock *c)
{
	u32 lo = 128, hi = 2048;
	u64 t;

	if (p->token)
		return p->token;
	if (p->policy == IOB_POLICY_WEIGHT_IOSIZE) {
		lo *= 8;
		hi *= 8;
	}
	if (!c || !c->rate)
		return lo * 2;
	t = c->rate * IOB_EPOCH_NS >> 30;
	return t < lo ? lo : t > hi ? hi : (u32)t;
}

u32 iob_io_throttle(const struct iob_params *p)
{
	return p->io_throttle ? p->io_throttle : IOB_DEFAULT_IO_THROTTLE;
}

s64 iob_share(u32 token_base, u32 weight, u64 total_weight)
{
	u64 s;

	if (!total_weight)
		return token_base;
	s = (u64)token_base * weight / total_weight;
	return s ? (s64)s : 1;
}

/*
 * A group's share of @token_base tokens per epoch, @part_ppm millionths of
 * them, kept to a millionth of a token: a share of 11.4 is 11 tokens for
 * three epochs in five and 12 for two, where whole tokens would round
 * every small group down (by half a token an epoch on average).  At least
 * one token.  The tokens it holds stay: the next refill caps them at the
 * new share's carryover (a share made while it is not known which groups
 * are busy, after a configuration change, is small for an epoch).
 */
void iob_set_share(struct iob_bucket *b, u32 token_base, u32 part_ppm)
{
	u64 t = (u64)token_base * part_ppm;

	b->share = t / IOB_SHARE_FRAC;
	b->frac = t % IOB_SHARE_FRAC;
	if (!b->share) {
		b->share = 1;
		b->frac = 0;
	}
}

/* @n epochs' millionths to the bucket's sum; the whole tokens they make */
static void add_frac(struct iob_bucket *b, u64 n)
{
	u64 sum = b->frac_sum + b->frac * n;

	b->tokens += (s64)(sum / IOB_SHARE_FRAC);
	b->frac_sum = sum % IOB_SHARE_FRAC;
}

void iob_refill(struct iob_bucket *b, u64 epoch, u32 carryover)
{
	u64 n = epoch - b->epoch;
	s64 cap = iob_cap(b, carryover);

	/* an epoch read before the bucket's last refill is no new epoch */
	if ((s64)n <= 0)
		return;
	b->epoch = epoch;
	if (n > (u64)carryover + 1)
		n = (u64)carryover + 1;
	b->tokens += b->share * (s64)n;
	add_frac(b, n);
	if (b->tokens > cap)
		b->tokens = cap;
}

/*
 * A group whose device resumes starts the current epoch with its share,
 * less what it owes: a suspend does not wipe a debt.
 */
void iob_resume_bucket(struct iob_bucket *b, u64 epoch)
{
	b->epoch = epoch;
	b->tokens = (b->tokens < 0 ? b->tokens : 0) + b->share;
	add_frac(b, 1);
}

/*
 * Does the group pause between its bios, rather than keep the device busy
 * (see IOB_THINK_NS and IOB_THINK_MIN_NS)?
 */
bool iob_thinks(const struct iob_gstate *g)
{
	if (g->think_ns > IOB_THINK_NS)
		return true;
	return g->think_ns > IOB_THINK_MIN_NS && 8 * g->think_ns >= g->svc_ns;
}

/*
 * Below io_throttle in flight a group may run half an epoch into debt, so
 * that the next refill still leaves it with tokens.
 */
static bool iob_may_bypass(const struct iob_bucket *b)
{
	return b->tokens > -(b->share / 2);
}

/*
 * May a group's next bio go down now (given its queue is its turn), by
 * its weight?  With tokens (tokens > 0 says so without looking at the
 * domain), or in a little debt while the domain is quiet.
 */
bool iob_may_take(const struct iob_bucket *b, bool domain_quiet)
{
	return b->tokens > 0 || (domain_quiet && iob_may_bypass(b));
}

/*
 * The admission rule, for map and the dispatcher alike: a limit holds a
 * bio whatever the group's tokens (@limit_at, from iob_qos_limit_at);
 * otherwise its tokens decide (iob_may_take).
 */
bool iob_may_send(const struct iob_bucket *b, bool domain_quiet,
		  u64 limit_at, u64 now_ns)
{
	return limit_at <= now_ns && iob_may_take(b, domain_quiet);
}

/* Charge @cost; true if this used up the group's last tokens. */
bool iob_charge(struct iob_bucket *b, u32 cost)
{
	bool had = b->tokens > 0;

	b->tokens -= cost;
	return had && b->tokens <= 0;
}

/*
 * Urgent bios (metadata, swap, reclaim, empty flushes) go down whatever
 * the group's tokens, and are charged; but they never put a group more
 * than one epoch's share into debt, so a burst of them cannot lock the
 * group out for many epochs.
 */
bool iob_charge_urgent(struct iob_bucket *b, u32 cost)
{
	s64 floor = -(b->share > 0 ? b->share : 1);
	bool had = b->tokens > 0;

	if (b->tokens - (s64)cost >= floor)
		b->tokens -= cost;
	else if (b->tokens > floor)
		b->tokens = floor;
	return had && b->tokens <= 0;
}

/* Did the group use the device since @since_ns (e.g. this epoch)? */
bool iob_used_since(const struct iob_gstate *g, u64 since_ns)
{
	return g->held || g->inflight || g->last_active_ns >= since_ns;
}

enum iob_class iob_classify(const struct iob_gstate *g, u64 now_ns,
			    bool domain_quiet, u64 *busy_until_ns)
{
	const struct iob_bucket *b = g->bucket;

	if (g->held) {
		/*
		 * Held by its limit: neither ready nor waiting for an epoch
		 * (a new one would not let it go); the dispatcher wakes at
		 * limit_at.
		 */
		if (g->limit_at > now_ns) {
			*busy_until_ns = g->limit_at;
			return IOB_LIMITED;
		}
		if (iob_may_take(b, domain_quiet))
			return IOB_READY;
		return IOB_WAITING;
	}
	/* A group running at its limit could not use more: not waited for. */
	if (b->tokens <= 0 || iob_thinks(g) || g->limit_bound)
		return IOB_IDLE;
	if (g->inflight) {
		*busy_until_ns = U64_MAX;	/* until its completions say */
		return IOB_BUSY;
	}
	/* last_active may be stamped on another CPU a moment after now. */
	if (now_ns < g->last_active_ns ||
	    now_ns - g->last_active_ns < IOB_IDLE_WINDOW_NS) {
		*busy_until_ns = g->last_active_ns + IOB_IDLE_WINDOW_NS;
		return IOB_BUSY;
	}
	return IOB_IDLE;
}

void iob_round_init(struct iob_round *r)
{
	r->ready = false;
	r->waiting = false;
	r->busy = false;
	r->busy_inflight = false;
	r->busy_until_ns = 0;
	r->wake_ns = 0;
	r->completed = 0;
}

static void add_wake(struct iob_round *r, u64 at_ns)
{
	if (at_ns && (!r->wake_ns || at_ns < r->wake_ns))
		r->wake_ns = at_ns;
}

void iob_round_add(struct iob_round *r, enum iob_class c, u64 completed,
		   u64 busy_until_ns)
{
	r->completed += completed;
	switch (c) {
	case IOB_READY:
		r->ready = true;
		break;
	case IOB_WAITING:
		r->waiting = true;
		break;
	case IOB_LIMITED:
		add_wake(r, busy_until_ns);
		break;
	case IOB_BUSY:
		r->busy = true;
		if (busy_until_ns == U64_MAX)
			r->busy_inflight = true;
		if (busy_until_ns > r->busy_until_ns)
			r->busy_until_ns = busy_until_ns;
		break;
	case IOB_IDLE:
		break;
	}
}

/*
 * Tokens completed per 2^30 ns between two points, or 0 if that span says
 * nothing about the device.  Devices complete in bursts (a queue's worth,
 * a tick's worth at once): one bio completing a millisecond into an epoch
 * would pass for ten times the device's speed.  A span is believed if it
 * is long (IOB_RATE_SPAN_NS), or if it is at least IOB_RATE_MIN_NS and saw
 * a fair part of an epoch's work (a quarter of the token base).
 */
static u64 span_rate(const struct iob_params *p, const struct iob_clock *c,
		     u64 from_ns, u64 from_done, u64 to_ns, u64 to_done)
{
	u64 len = to_ns - from_ns, done = to_done - from_done;

	if (to_ns <= from_ns || done >= (1ULL << 33))
		return 0;
	if (len < IOB_RATE_SPAN_NS &&
	    (len < IOB_RATE_MIN_NS || done < iob_token_base(p, c) / 4))
		return 0;
	return (done << 30) / len;
}

/*
 * The part of an epoch before any wait shows what the device does while
 * everyone keeps it busy (the whole epoch may include a wait for a group
 * that only trickled); if that part says nothing, the whole epoch does.
 * No epoch more than doubles the rate, so whatever burst slips through
 * does not make the next epochs seconds long.
 */
void iob_clock_measure(struct iob_clock *c, const struct iob_params *p,
		       u64 now_ns, u64 completed)
{
	u64 rate = 0;

	if (c->wait_ns)
		rate = span_rate(p, c, c->start_ns, c->start_completed,
				 c->wait_ns, c->wait_completed);
	if (!rate)
		rate = span_rate(p, c, c->start_ns, c->start_completed,
				 now_ns, completed);
	if (c->rate && rate > 2 * c->rate)
		rate = 2 * c->rate;
	if (rate)
		c->rate = rate;
	c->start_ns = now_ns;
	c->start_completed = completed;
	c->wait_ns = 0;
}

/*
 * The epoch ends and the next begins.  The kernel measures first, makes
 * the next epoch's shares from the new rate, and only then publishes the
 * epoch number (see dispatch_round).
 */
void iob_clock_advance(struct iob_clock *c, const struct iob_params *p,
		       u64 now_ns, u64 completed)
{
	iob_clock_measure(c, p, now_ns, completed);
	c->epoch++;
}

/*
 * Waiting is worth it while the busy groups use the device.  It is not
 * when, for two looks (20 ms), none of them has had a bio in the device at
 * the moments we looked and the domain has completed work at less than a
 * quarter of the rate it had before anyone waited: they only trickle.
 * (Devices complete in bursts, so a shorter look or a higher bar would
 * mistake a group that is between bursts for a trickle.)  A busy group
 * (one that does not think: see iob_classify) with bios in the device is
 * always waited for, up to IOB_MAX_WAIT_NS.
 */
static bool wait_is_futile(const struct iob_round *r,
			   const struct iob_clock *c, u64 waited_ns)
{
	u64 done = r->completed - c->wait_completed;

	if (waited_ns < 2 * IOB_WAIT_LOOK_NS || !c->wait_rate ||
	    r->busy_inflight)
		return false;
	if (done >= (1ULL << 31) || c->wait_rate >= (1ULL << 32))
		return false;
	/* done / waited < rate / 2^30 / 4; every product < 2^63 */
	return (done << 32) < c->wait_rate * waited_ns;
}

enum iob_verdict iob_round_verdict(const struct iob_round *r,
				   const struct iob_params *p, u64 now_ns,
				   struct iob_clock *c, u64 *retry_at_ns)
{
	u64 retry;

	if (r->ready)
		return IOB_DISPATCH;
	if (!r->waiting) {
		c->wait_ns = 0;
		return IOB_NOTHING;
	}
	if (!r->busy)
		return IOB_ADVANCE;
	if (!c->wait_ns) {
		c->wait_ns = now_ns;
		c->wait_completed = r->completed;
		c->wait_rate = span_rate(p, c, c->start_ns,
					 c->start_completed, now_ns,
					 r->completed);
		if (!c->wait_rate)
			c->wait_rate = c->rate;
	}
	if (now_ns < c->wait_ns)	/* a clock read on another CPU */
		now_ns = c->wait_ns;
	if (wait_is_futile(r, c, now_ns - c->wait_ns) ||
	    now_ns - c->wait_ns >= IOB_MAX_WAIT_NS)
		return IOB_ADVANCE;
	retry = now_ns + IOB_WAIT_LOOK_NS;
	if (r->busy_until_ns < retry)
		retry = r->busy_until_ns;
	*retry_at_ns = retry;
	return IOB_WAIT;
}
