/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ioband policy core: token arithmetic and the epoch rule, and the types
 * and limits the arguments (ioband-args.h) are made of.  Plain C with no
 * kernel dependencies, so that the same code is built into dm-ioband.ko
 * and into the userspace unit tests.
 */
#ifndef IOBAND_POLICY_H
#define IOBAND_POLICY_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/errno.h>
#include <linux/compiler.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
typedef int64_t s64;
typedef uint64_t u64;
typedef uint32_t u32;
typedef uint16_t u16;
typedef uint8_t u8;
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define WRITE_ONCE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define READ_ONCE(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define S64_MAX INT64_MAX
#define U64_MAX UINT64_MAX
#endif

enum iob_type {
	IOB_TYPE_NONE,
	IOB_TYPE_CGROUP,
	IOB_TYPE_UID,
	IOB_TYPE_GID,
	IOB_TYPE_PID,
	IOB_TYPE_PGRP,
};

enum iob_policy {
	IOB_POLICY_WEIGHT,		/* one token per I/O */
	IOB_POLICY_WEIGHT_IOSIZE,	/* one token per 512-byte sector */
};

#define IOB_DEFAULT_WEIGHT	100
#define IOB_WEIGHT_MAX		10000
#define IOB_TOKEN_MAX		(1U << 30)
#define IOB_CARRYOVER_MAX	64
#define IOB_DEFAULT_CARRYOVER	2
#define IOB_DEFAULT_IO_THROTTLE	4
#define IOB_IO_PARAM_MAX	32767
#define IOB_DEVGROUP_MAX	31
#define IOB_DEFAULT_GROUP_ID	(-1LL)

/*
 * A group with tokens that was active this recently still counts as busy:
 * longer than a submitter's usual pause (a reader's think time, a thread
 * or vCPU that lost its CPU for a scheduler slice or two).
 */
#define IOB_IDLE_WINDOW_NS	30000000ULL
/* While waiting for busy groups, look again this often. */
#define IOB_WAIT_LOOK_NS	10000000ULL
/*
 * A device's rate is believed when measured over this long, or over a
 * shorter span that saw a quarter epoch's work, never under the minimum.
 */
#define IOB_RATE_SPAN_NS	20000000ULL
#define IOB_RATE_MIN_NS		1000000ULL
/* Nobody waits for busy groups longer than this per epoch. */
#define IOB_MAX_WAIT_NS		2000000000ULL
/*
 * A group whose mean think time (from a completion that left it with
 * nothing queued to its next bio) is longer than this is not waited for:
 * it is light and steady, not backlogged, and would only hold the others
 * back.  Samples are capped so that one long pause is forgotten soon.
 */
#define IOB_THINK_NS		2000000ULL
#define IOB_THINK_CAP_NS	(4 * IOB_THINK_NS)
/*
 * Nor is one that thinks for more than IOB_THINK_MIN_NS and at least an
 * eighth of its bios' time in the device: a reader paced at a fixed rate
 * thinks for less than IOB_THINK_NS once the device's latency rises under
 * the others' load, but still for a fair part of its cycle.  A group that
 * thinks less than that submits back to back (its think time is the
 * submitter's own overhead), or its device's latency is what paces it:
 * waiting for it is what gives it its share.
 */
#define IOB_THINK_MIN_NS	500000ULL

/* Device-group wide parameters, as configured (0 means "default"). */
struct iob_params {
	enum iob_policy policy;
	u32 token;		/* tokens per epoch over all groups */
	u32 carryover;		/* epochs of unused tokens a group keeps */
	u32 io_throttle;	/* below this many in flight, don't hold */
	u32 io_limit;		/* cap on in-flight bios per direction */
};

/* Per-group token state. */
struct iob_bucket {
	s64 tokens;
	s64 share;		/* whole tokens per epoch */
	u32 frac;		/* and millionths of a token more per epoch */
	u32 frac_sum;		/* millionths given so far, less whole tokens */
	u64 epoch;		/* domain epoch of the last refill */
};

/* The unit of iob_bucket.frac: a share is kept to a millionth of a token. */
#define IOB_SHARE_FRAC		1000000U

/* An automatic epoch lasts about this long. */
#define IOB_EPOCH_NS		200000000ULL

struct iob_clock;
u32 iob_token_base(const struct iob_params *p, const struct iob_clock *c);
u32 iob_io_throttle(const struct iob_params *p);
s64 iob_share(u32 token_base, u32 weight, u64 total_weight);
void iob_set_share(struct iob_bucket *b, u32 token_base, u32 part_ppm);

/*
 * Most tokens a bucket keeps: its share, and @carryover epochs' more (with
 * what their millionths make, rounded up).
 */
static inline s64 iob_cap(const struct iob_bucket *b, u32 carryover)
{
	u64 n = (u64)carryover + 1;

	return b->share * (s64)n +
	       (s64)((b->frac * n + IOB_SHARE_FRAC - 1) / IOB_SHARE_FRAC);
}

void iob_refill(struct iob_bucket *b, u64 epoch, u32 carryover);
void iob_resume_bucket(struct iob_bucket *b, u64 epoch);

/*
 * Discards, write-zeroes and flushes move no data through the bus: charge
 * them as one small I/O, so a 1 GiB discard cannot bankrupt its group.
 */
static inline u32 iob_cost(enum iob_policy policy, u32 sectors,
			   bool has_data)
{
	if (policy == IOB_POLICY_WEIGHT)
		return 1;
	if (!has_data)
		return 8;
	return sectors ? sectors : 1;
}

/*
 * Think time: an exponentially weighted mean (1/8) of the time from the
 * completion that left a group with nothing queued or in flight to its
 * next bio; a bio that finds the group with I/O outstanding is a sample
 * of 0 (the group is backlogged).  One long pause (a descheduled
 * submitter) counts as at most IOB_THINK_CAP_NS.  Inline: a backlogged
 * group's every bio comes here, and a mean below 8 ns stays where it is
 * for a sample of 0.
 */
static inline void iob_think(u64 *think_ns, bool was_empty, u64 now_ns,
			     u64 last_done_ns)
{
	u64 sample = 0;

	if (was_empty) {
		if (!last_done_ns)
			return;		/* the group's first bio */
		sample = now_ns > last_done_ns ? now_ns - last_done_ns : 0;
		if (sample > IOB_THINK_CAP_NS)
			sample = IOB_THINK_CAP_NS;
	} else if (*think_ns < 8) {
		return;			/* t - t / 8 is t */
	}
	*think_ns = *think_ns - *think_ns / 8 + sample / 8;
}

/*
 * Service time: an exponentially weighted mean (1/8) of the time a group's
 * bios spend below ioband, from dispatch to completion.  Inline: the
 * completion path's.
 */
static inline void iob_svc(u64 *svc_ns, u64 sample_ns)
{
	*svc_ns = *svc_ns - *svc_ns / 8 + sample_ns / 8;
}

/* What a group means for the dispatcher right now. */
enum iob_class {
	IOB_IDLE,	/* nothing held and not recently busy */
	IOB_READY,	/* holds bios it may dispatch now */
	IOB_WAITING,	/* holds bios and needs a new epoch */
	IOB_BUSY,	/* has tokens left and is (recently) active */
	IOB_LIMITED,	/* holds bios its limit does not let go yet */
};

struct iob_gstate {
	const struct iob_bucket *bucket;
	u32 held;
	u32 inflight;		/* not 0 if it has bios in the device */
	u64 last_active_ns;
	u64 think_ns;		/* mean think time (iob_think) */
	u64 svc_ns;		/* mean time in the device (iob_svc) */
	/* from ioband-qos.h: limit_at, when the first held bio is within its
	 * limits (0 if no limit); limit_bound, running at a limit
	 */
	u64 limit_at;
	bool limit_bound;
};

bool iob_may_take(const struct iob_bucket *b, bool domain_quiet);

bool iob_may_send(const struct iob_bucket *b, bool domain_quiet,
		  u64 limit_at, u64 now_ns);
bool iob_charge(struct iob_bucket *b, u32 cost);
bool iob_charge_urgent(struct iob_bucket *b, u32 cost);

bool iob_thinks(const struct iob_gstate *g);
bool iob_used_since(const struct iob_gstate *g, u64 since_ns);
enum iob_class iob_classify(const struct iob_gstate *g, u64 now_ns,
			    bool domain_quiet, u64 *busy_until_ns);

/* The dispatcher's decision, summed over the groups of one domain. */
struct iob_round {
	bool ready;
	bool waiting;
	bool busy;
	bool busy_inflight;	/* a BUSY group has bios in the device */
	u64 busy_until_ns;	/* latest time a BUSY group stops being busy */
	u64 wake_ns;		/* a held group's limit lets it go; 0: none */
	u64 completed;		/* tokens of completed bios, ever, all groups */
};

/* A domain's epochs, and its wait for busy groups within one. */
struct iob_clock {
	u64 epoch;
	u64 start_ns;		/* when this epoch began */
	u64 start_completed;	/* the domain's completed tokens then */
	/* tokens completed per 2^30 ns, last measured (iob_clock_measure) */
	u64 rate;
	u64 wait_ns;		/* waiting for busy groups since; 0 if not */
	u64 wait_completed;
	u64 wait_rate;		/* the rate the wait is judged against */
};

enum iob_verdict {
	IOB_NOTHING,	/* nobody waits */
	IOB_DISPATCH,	/* some group may dispatch held bios */
	IOB_ADVANCE,	/* start a new epoch */
	IOB_WAIT,	/* waiting groups must wait for busy ones */
};

void iob_round_init(struct iob_round *r);
void iob_round_add(struct iob_round *r, enum iob_class c, u64 completed,
		   u64 busy_until_ns);
enum iob_verdict iob_round_verdict(const struct iob_round *r,
				   const struct iob_params *p, u64 now_ns,
				   struct iob_clock *c, u64 *retry_at_ns);
void iob_clock_measure(struct iob_clock *c, const struct iob_params *p,
		       u64 now_ns, u64 completed);
void iob_clock_advance(struct iob_clock *c, const struct iob_params *p,
		       u64 now_ns, u64 completed);

#endif /* IOBAND_POLICY_H */
