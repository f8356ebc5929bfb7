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
#include <linux/string.h>
#else
#include <stdio.h>
#include <string.h>
#define S64_MAX INT64_MAX
#define U64_MAX UINT64_MAX
#endif

static const char *const type_names[] = {
	[IOB_TYPE_NONE] = "none",
	[IOB_TYPE_CGROUP] = "cgroup",
	[IOB_TYPE_UID] = "uid",
	[IOB_TYPE_GID] = "gid",
	[IOB_TYPE_PID] = "pid",
	[IOB_TYPE_PGRP] = "pgrp",
};

static const char *const policy_names[] = {
	[IOB_POLICY_WEIGHT] = "weight",
	[IOB_POLICY_WEIGHT_IOSIZE] = "weight-iosize",
};

static bool streq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

/* Strict unsigned decimal: digits only, no sign, no junk, no overflow. */
static int parse_u64(const char *s, u64 max, u64 *out)
{
	u64 v = 0;

	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		unsigned int d;

		if (*s < '0' || *s > '9')
			return -EINVAL;
		d = *s - '0';
		if (v > (max - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int iob_parse_u32(const char *s, u32 min, u32 max, u32 *out)
{
	u64 v;
	int r = parse_u64(s, max, &v);

	if (r)
		return r;
	if (v < min)
		return -ERANGE;
	*out = (u32)v;
	return 0;
}

int iob_parse_type(const char *s, enum iob_type *out)
{
	unsigned int i;

	if (streq(s, "user")) {
		*out = IOB_TYPE_UID;
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(type_names); i++) {
		if (streq(s, type_names[i])) {
			*out = (enum iob_type)i;
			return 0;
		}
	}
	/* dm-ioband had these as stubs that never worked. */
	if (streq(s, "node") || streq(s, "cpuset"))
		return -EOPNOTSUPP;
	return -EINVAL;
}

const char *iob_type_name(enum iob_type type)
{
	return type_names[type];
}

int iob_parse_policy(const char *s, enum iob_policy *out)
{
	if (streq(s, "weight") || streq(s, "default")) {
		*out = IOB_POLICY_WEIGHT;
		return 0;
	}
	if (streq(s, "weight-iosize")) {
		*out = IOB_POLICY_WEIGHT_IOSIZE;
		return 0;
	}
	return -EINVAL;
}

const char *iob_policy_name(enum iob_policy policy)
{
	return policy_names[policy];
}

/*
 * Group ids: a cgroup v2 id (cgroup_id(), >= 1) for "cgroup", a 32-bit
 * uid/gid/pid/pgrp otherwise ((u32)-1 is never a valid one).
 */
int iob_parse_group_id(enum iob_type type, const char *s, s64 *id)
{
	u64 v;
	int r;

	if (type == IOB_TYPE_NONE)
		return -EPERM;
	r = parse_u64(s, type == IOB_TYPE_CGROUP ? (u64)S64_MAX : 0xfffffffeULL,
		      &v);
	if (r)
		return r;
	if (type == IOB_TYPE_CGROUP && v == 0)
		return -ERANGE;
	*id = (s64)v;
	return 0;
}

/* "W", ":W" (default group) or "ID:W". */
int iob_parse_weight_arg(enum iob_type type, const char *s, s64 *id,
			 u32 *weight)
{
	char buf[32];
	const char *colon = strchr(s, ':');
	size_t n;
	int r;

	if (colon && strchr(colon + 1, ':'))
		return -EINVAL;
	if (!colon || colon == s) {
		*id = IOB_DEFAULT_GROUP_ID;
		return iob_parse_u32(colon ? s + 1 : s, 1, IOB_WEIGHT_MAX,
				     weight);
	}
	n = (size_t)(colon - s);
	if (n >= sizeof(buf))
		return -ERANGE;
	memcpy(buf, s, n);
	buf[n] = '\0';
	r = iob_parse_group_id(type, buf, id);
	if (r)
		return r;
	return iob_parse_u32(colon + 1, 1, IOB_WEIGHT_MAX, weight);
}

/*
 * A device-group parameter by name, as in "dmsetup message DEV 0 KEY VAL"
 * and the table line.  On error @p is unchanged and @err says why.
 */
int iob_parse_param(const char *key, const char *val, struct iob_params *p,
		    char *err, size_t errlen)
{
	struct iob_params n = *p;
	u32 max = IOB_IO_PARAM_MAX, *field, v;

	if (streq(key, "policy")) {
		if (iob_parse_policy(val, &n.policy)) {
			snprintf(err, errlen, "policy %s: unknown policy (weight, weight-iosize, default)", val);
			return -EINVAL;
		}
		*p = n;
		return 0;
	}
	if (streq(key, "token")) {
		field = &n.token;
		max = IOB_TOKEN_MAX;
	} else if (streq(key, "carryover")) {
		field = &n.carryover;
		max = IOB_CARRYOVER_MAX;
	} else if (streq(key, "io_throttle")) {
		field = &n.io_throttle;
	} else if (streq(key, "io_limit")) {
		field = &n.io_limit;
	} else {
		snprintf(err, errlen, "unknown parameter '%s'", key);
		return -EINVAL;
	}
	if (iob_parse_u32(val, 0, max, &v)) {
		snprintf(err, errlen, "%s %s: expected 0 to %u", key, val, max);
		return -EINVAL;
	}
	*field = v;
	if (n.io_limit && n.io_limit < iob_io_throttle(&n)) {
		snprintf(err, errlen, "%s %s: io_limit %u would be below io_throttle %u",
			 key, val, n.io_limit, iob_io_throttle(&n));
		return -EINVAL;
	}
	*p = n;
	return 0;
}

/*
 * A device-group id is printed in the table line and the status: 1 to 31
 * printable ASCII characters without spaces, so that it reads back the same.
 */
bool iob_valid_devgroup(const char *s)
{
	size_t n;

	for (n = 0; s[n]; n++)
		if (s[n] <= ' ' || s[n] > '~' || n == IOB_DEVGROUP_MAX)
			return false;
	return n > 0;
}

static int parse_table_head(char **argv, struct iob_table *t,
			    const char **error)
{
	struct iob_params *p = &t->params;
	u32 v;

	if (!iob_valid_devgroup(argv[0])) {
		*error = "Invalid device-group id: 1 to 31 printable ASCII characters, no spaces";
		return -EINVAL;
	}
	strcpy(t->devgroup, argv[0]);
	if (iob_parse_u32(argv[1], 0, IOB_IO_PARAM_MAX, &v)) {
		*error = "Invalid io_throttle: expected 0 to 32767";
		return -EINVAL;
	}
	p->io_throttle = v;
	if (iob_parse_u32(argv[2], 0, IOB_IO_PARAM_MAX, &v)) {
		*error = "Invalid io_limit: expected 0 to 32767";
		return -EINVAL;
	}
	p->io_limit = v;
	if (p->io_limit && p->io_limit < iob_io_throttle(p)) {
		*error = "io_limit is smaller than io_throttle";
		return -EINVAL;
	}
	switch (iob_parse_type(argv[3], &t->type)) {
	case 0:
		break;
	case -EOPNOTSUPP:
		*error = "Group types node and cpuset are not supported";
		return -EINVAL;
	default:
		*error = "Unknown group type: expected none, cgroup, uid, user, gid, pid or pgrp";
		return -EINVAL;
	}
	if (iob_parse_policy(argv[4], &p->policy)) {
		*error = "Unknown policy: expected weight, weight-iosize or default";
		return -EINVAL;
	}
	if (iob_parse_u32(argv[5], 0, IOB_TOKEN_MAX, &v)) {
		*error = "Invalid token base: expected 0 to 1073741824";
		return -EINVAL;
	}
	p->token = v;
	return 0;
}

/* One argument of the tail: carryover=N, :<weight> or <id>:<weight>. */
static int parse_table_arg(const char *arg, struct iob_table *t,
			   bool *have_default, bool *have_carryover,
			   const char **error)
{
	struct iob_group_arg *ga = &t->groups[t->ngroups];
	unsigned int i;
	int r;

	if (!strncmp(arg, "carryover=", 10)) {
		if (*have_carryover) {
			*error = "carryover given twice";
			return -EINVAL;
		}
		if (iob_parse_u32(arg + 10, 0, IOB_CARRYOVER_MAX, &t->params.carryover)) {
			*error = "Invalid carryover: expected carryover=0 to carryover=64";
			return -EINVAL;
		}
		*have_carryover = true;
		return 0;
	}
	r = iob_parse_weight_arg(t->type, arg, &ga->id, &ga->weight);
	if (r == -EPERM) {
		*error = "Group type none takes no groups";
		return -EINVAL;
	}
	if (r || (ga->id == IOB_DEFAULT_GROUP_ID && arg[0] != ':')) {
		*error = "Invalid group argument: expected :<weight> or <id>:<weight>, weight 1 to 10000";
		return -EINVAL;
	}
	if (ga->id == IOB_DEFAULT_GROUP_ID) {
		if (*have_default) {
			*error = "Default weight given twice";
			return -EINVAL;
		}
		*have_default = true;
		t->def_weight = ga->weight;
		return 0;
	}
	for (i = 0; i < t->ngroups; i++) {
		if (t->groups[i].id == ga->id) {
			*error = "Group id given twice";
			return -EINVAL;
		}
	}
	t->ngroups++;
	return 0;
}

/*
 * <device-group-id> <io_throttle> <io_limit> <group-type> <policy>
 * <token-base> [carryover=<n>] [:<default-weight>] [<id>:<weight> ...]
 * (argv without the table's <dev>; carryover= may stand anywhere in the
 * tail).  t->groups must have room for @argc entries.
 */
int iob_parse_table(unsigned int argc, char **argv, struct iob_table *t,
		    const char **error)
{
	bool have_default = false, have_carryover = false;
	unsigned int i;
	int r;

	t->ngroups = 0;
	t->def_weight = IOB_DEFAULT_WEIGHT;
	memset(&t->params, 0, sizeof(t->params));
	t->params.carryover = IOB_DEFAULT_CARRYOVER;
	if (argc < 6) {
		*error = "Not enough arguments: <dev> <device-group-id> <io_throttle> <io_limit> <group-type> <policy> <token-base> [carryover=<n>] [:<weight>] [<id>:<weight>...]";
		return -EINVAL;
	}
	r = parse_table_head(argv, t, error);
	for (i = 6; !r && i < argc; i++)
		r = parse_table_arg(argv[i], t, &have_default, &have_carryover,
				    error);
	return r;
}

/*
 * The table line from <device-group-id> to the default weight; carryover
 * only when it is not the default, so that dm-ioband 1.x lines print back
 * as they were written.  Returns what snprintf() returns.
 */
int iob_format_params(char *buf, size_t len, const char *devgroup,
		      const struct iob_params *p, enum iob_type type,
		      u32 def_weight)
{
	if (p->carryover != IOB_DEFAULT_CARRYOVER)
		return snprintf(buf, len, "%s %u %u %s %s %u carryover=%u :%u",
				devgroup, p->io_throttle, p->io_limit,
				iob_type_name(type), iob_policy_name(p->policy),
				p->token, p->carryover, def_weight);
	return snprintf(buf, len, "%s %u %u %s %s %u :%u", devgroup,
			p->io_throttle, p->io_limit, iob_type_name(type),
			iob_policy_name(p->policy), p->token, def_weight);
}

/* The whole line after <dev>; 0, or -1 if it does not fit in @len. */
int iob_format_table(const struct iob_table *t, char *buf, size_t len)
{
	size_t off;
	unsigned int i;
	int r;

	r = iob_format_params(buf, len, t->devgroup, &t->params, t->type,
			      t->def_weight);
	if (r < 0 || (size_t)r >= len)
		return -1;
	off = (size_t)r;
	for (i = 0; i < t->ngroups; i++) {
		r = snprintf(buf + off, len - off, " %lld:%u",
			     (long long)t->groups[i].id, t->groups[i].weight);
		if (r < 0 || (size_t)r >= len - off)
			return -1;
		off += (size_t)r;
	}
	return 0;
}

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

void iob_refill(struct iob_bucket *b, u64 epoch, u32 carryover)
{
	u64 n = epoch - b->epoch;
	s64 cap = b->share * ((s64)carryover + 1);

	/* an epoch read before the bucket's last refill is no new epoch */
	if ((s64)n <= 0)
		return;
	b->epoch = epoch;
	if (n > (u64)carryover + 1)
		n = (u64)carryover + 1;
	b->tokens += b->share * (s64)n;
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
}

/*
 * Think time: an exponentially weighted mean (1/8) of the time from the
 * completion that left a group with nothing queued or in flight to its
 * next bio; a bio that finds the group with I/O outstanding is a sample
 * of 0 (the group is backlogged).  One long pause (a descheduled
 * submitter) counts as at most IOB_THINK_CAP_NS.
 */
void iob_think(u64 *think_ns, bool was_empty, u64 now_ns, u64 last_done_ns)
{
	u64 sample = 0;

	if (was_empty) {
		if (!last_done_ns)
			return;		/* the group's first bio */
		sample = now_ns > last_done_ns ? now_ns - last_done_ns : 0;
		if (sample > IOB_THINK_CAP_NS)
			sample = IOB_THINK_CAP_NS;
	}
	*think_ns = *think_ns - *think_ns / 8 + sample / 8;
}

/*
 * Service time: an exponentially weighted mean (1/8) of the time a group's
 * bios spend below ioband, from dispatch to completion.
 */
void iob_svc(u64 *svc_ns, u64 sample_ns)
{
	*svc_ns = *svc_ns - *svc_ns / 8 + sample_ns / 8;
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
 * Discards, write-zeroes and flushes move no data through the bus: charge
 * them as one small I/O, so a 1 GiB discard cannot bankrupt its group.
 */
u32 iob_cost(enum iob_policy policy, u32 sectors, bool has_data)
{
	if (policy == IOB_POLICY_WEIGHT)
		return 1;
	if (!has_data)
		return 8;
	return sectors ? sectors : 1;
}

/*
 * Below io_throttle in flight a group may run half an epoch into debt, so
 * that the next refill still leaves it with tokens.
 */
static bool iob_may_bypass(const struct iob_bucket *b)
{
	return b->tokens > -(b->share / 2);
}

/* May a group's next bio go down now (given its queue is its turn)? */
bool iob_may_take(const struct iob_bucket *b, bool domain_quiet)
{
	return b->tokens > 0 || (domain_quiet && iob_may_bypass(b));
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
		if (iob_may_take(b, domain_quiet))
			return IOB_READY;
		return IOB_WAITING;
	}
	if (b->tokens <= 0 || iob_thinks(g))
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
	r->completed = 0;
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
void iob_clock_advance(struct iob_clock *c, const struct iob_params *p,
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
	WRITE_ONCE(c->epoch, c->epoch + 1);
	c->start_ns = now_ns;
	c->start_completed = completed;
	c->wait_ns = 0;
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
