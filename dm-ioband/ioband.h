/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-ioband: objects shared by the target (ioband-target.c), the groups
 * (ioband-group.c) and the device groups with their dispatcher
 * (ioband-domain.c).
 *
 * Locking: ioband_domains_lock (mutex) guards the list of domains and
 * domain membership.  dom->lock (spinlock) guards the domain's list of
 * active groups and the epoch; it is taken by the dispatcher, by
 * configuration changes, and by map() once when an idle group gets a bio
 * (it joins dom->busy), never for a group that is busy.  g->lock (spinlock, irq
 * safe) guards one group's bucket and queue; map() takes it only when its
 * CPU's magazine of the group's tokens is empty (ioband-magazine.h), or
 * when the group holds bios or has a limit or cap; end_io() never.  A
 * device group's bios in flight are counted by per-CPU stocks of slots
 * (ioband-slots.h); a group's are counted per CPU (ioband-inflight.h), its
 * completion counts are per CPU (struct ioband_pcpu, summed by readers) and its
 * histograms atomic, added to a batch of completions per CPU at a time
 * (readers first have every CPU add its batches: lat_flush_all).
 * g->qos_lock guards a group's limit buckets, which its descendants'
 * bios charge too: taken inside any group's lock, one at a time.  The
 * xarray of groups has an irq-safe lock: map() inserts the groups a
 * marked parent makes for its child cgroups.  Order: dom->lock, g->lock,
 * qos_lock.
 *
 * Group lifetime: map() finds a group under RCU (in the xarray, or as
 * its CPU found it before under the same groups_gen, whose move comes
 * before a group that left can be freed) and admits the bio with
 * its magazine or under the group's lock.  g->users counts the CPUs with
 * bios of the group in flight plus one, the group's own reference, as
 * percpu_ref's base reference (ioband-inflight.h): a detach marks the
 * group dead (map() then uses the default group instead), sends down what
 * it holds and drops that reference; who takes the count to 0 frees the
 * group after an RCU grace period.  map()'s lock-free path counts its bio
 * only while the count is not 0, then looks at dead and backs out if it
 * sees it set (a bio counted where the group still has some in flight
 * may miss it for a moment, and go down as the detached group's).  Its
 * children are linked to its parent first, and the groups made for its
 * child cgroups go with it.  The default group lives as long as the
 * target.
 */
#ifndef IOBAND_H
#define IOBAND_H

#include <linux/device-mapper.h>
#include <linux/bio.h>
#include <linux/hrtimer.h>
#include <linux/jump_label.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "ioband-args.h"
#include "ioband-inflight.h"
#include "ioband-latency.h"
#include "ioband-magazine.h"
#include "ioband-slots.h"
#include "ioband-tree.h"

#define DM_MSG_PREFIX "ioband"

struct ioband_target;

/*
 * A group's completion counts: per CPU, each only ever growing (readers sum
 * them and subtract what they saw before).
 */
struct ioband_stats {
	u64 ios[2];
	u64 sectors[2];
	u64 ticks_ns[2];	/* arrival in ioband to completion */
	u64 io_ticks_ns;	/* time with bios held or in flight */
	u64 bytes;		/* iob_qos_units(IOB_BPS) */
	u64 lat_n;		/* completions timed against a target */
	u64 lat_over;		/* of those, later than it */
};

/* What one CPU keeps of a device group. */
struct ioband_dom_pcpu {
	u64 completed;		/* tokens of completed bios (the dispatcher sums) */
	atomic_t stock[2];	/* in-flight slots per direction (ioband-slots.h) */
};

/* What one CPU keeps of a group. */
struct ioband_pcpu {
	atomic_t inflight;	/* bios it sent, not completed (ioband-inflight.h) */
	struct iob_mag mag;	/* tokens it spends without the lock */
	struct ioband_stats s;	/* completions it ran */
	struct iob_lat_batch lat;	/* not yet in the histogram (irqs off) */
};

struct ioband_group {
	struct rcu_head rcu;		/* freed by call_rcu (ioband_group_put) */
	struct ioband_target *ib;
	s64 id;				/* IOB_DEFAULT_GROUP_ID or an id */
	u32 weight;
	struct list_head dom_node;	/* on dom->groups while active */
	bool active;			/* on dom->groups */
	/*
	 * On dom->busy: the groups the dispatcher looks at, those with bios
	 * held or in flight or active within IOB_IDLE_WINDOW_NS.  Written
	 * under dom->lock; map() reads on_busy without it.
	 */
	struct list_head busy_node;
	bool on_busy;
	/*
	 * On dom->left (dom->lock): off dom->busy, but counted as busy by
	 * the shares in force (node.busy) or used this epoch, so the epoch's
	 * end must look at it (see dom->left).  Back on dom->busy, it is
	 * off dom->left.
	 */
	struct list_head left_node;
	bool on_left;
	u64 seq;			/* dom->lock: its place on dom->groups */
	bool resume_due;		/* dom->lock: activated, bucket not resumed */
	/*
	 * Under dom->lock: off dom->busy (so nothing in flight, no
	 * completion to come) and its counts summed since it left: the epoch
	 * end and the latency window need not sum its per-CPU counts again.
	 */
	bool ep_fresh;
	bool lat_fresh;
	/*
	 * cgroup type: the group of the nearest attached ancestor cgroup,
	 * NULL at the top.  Written under cfg_lock and dom->lock; read under
	 * dom->lock or RCU (a group is freed a grace period after it is
	 * unlinked from every child).
	 */
	struct ioband_group *parent;
	bool children;			/* each child cgroup: a group (xa_lock) */
	bool auto_child;		/* made for a marked parent's child */
	struct cgroup *cgrp;		/* auto_child: its cgroup, referenced */
	struct iob_node node;		/* dom->lock: its place in the tree */

	struct ioband_pcpu __percpu *pc;
	/*
	 * Read and written without the lock (READ_ONCE/WRITE_ONCE): held
	 * changes under it; last_active_ns is stamped at most once a
	 * millisecond; last_done_ns when a completion leaves nothing in
	 * flight; svc_ns by the first completion of each CPU's batch of
	 * IOB_LAT_BATCH (ioband_complete).
	 */
	atomic_t users;			/* 1 + CPUs with bios in flight (above) */
	u64 last_active_ns;
	u64 last_done_ns;		/* last completion that left it empty */
	u64 think_ns;			/* mean think time (iob_think) */
	u64 svc_ns;			/* mean time in the device (iob_svc) */
	u64 busy_since_ns;		/* io_ticks accounting */

	spinlock_t lock;
	bool dead;			/* detached: admits nothing */
	struct iob_bucket bucket;
	/*
	 * Its part of the device (millionths) as the last reshare set it,
	 * and the dom->share_gen its bucket's share was made for.
	 */
	u32 share_ppm;
	unsigned long share_gen;
	struct bio_list queue;		/* held bios, FIFO */
	u32 held;
	/*
	 * Reservation and limit.  The buckets are charged by the group's own
	 * bios and its descendants': under qos_lock, which nests inside any
	 * group's lock; conf is written under cfg_lock and qos_lock.
	 */
	spinlock_t qos_lock;
	struct iob_qos_state qos;
	/*
	 * dom->lock: the sums of the per-CPU counts when reservations were
	 * last rescaled (each epoch while a group has a reservation or a
	 * limit), and the mean bio size since then, of the last span with
	 * I/O (longer than an epoch the first time after none had one).
	 */
	u64 ep_bytes;
	u64 ep_ios;
	u64 avg_bytes;
	/* dom->lock: what its reservation asks of the device, and its part */
	u32 res_ppm;
	struct iob_floor floor;
	/* g->lock: time bios waited in ioband; the counts a reset zeroed */
	u64 queue_ns;
	struct ioband_stats zero;
	/*
	 * Latency (ioband-latency.c): the sums of the per-CPU counts when
	 * this window began (dom->lock); the cap the controller holds the
	 * group to (bytes/s, 0: none; the fast path reads it without the
	 * lock) and its clock (g->lock); the histogram of completion
	 * latencies by direction (atomic).  lat is the controller's view,
	 * under dom->lock.
	 */
	u64 lat_n;
	u64 lat_over;
	u64 lat_bytes;
	u64 lat_cap;
	u64 lat_vt;
	struct iob_lat lat;
	atomic64_t hist[2][IOB_LAT_BUCKETS];
};

/* A device group: ioband targets that share one token economy. */
struct ioband_domain {
	struct list_head node;		/* on ioband_domains */
	char name[IOB_DEVGROUP_MAX + 1];
	unsigned int members;		/* targets, under ioband_domains_lock */
	struct list_head targets;

	spinlock_t lock;
	struct list_head groups;	/* active groups of resumed targets */
	struct list_head busy;		/* of those, the ones not idle */
	/*
	 * Of those, the ones off dom->busy whose node.busy or floor.counts
	 * may be true: with dom->busy, every group an epoch's end must look
	 * at to tell whether the busy groups changed.
	 */
	struct list_head left;
	u64 seq;			/* activations so far */
	/*
	 * Weights, parents or groups changed: the next dispatcher round
	 * recomputes the shares once for all of them (domain_settle).
	 */
	bool reshare_due;
	/* dom->lock: a group has a reservation or a limit (see the epoch end) */
	bool any_qos;
	/*
	 * The token base the shares are made of, and its generation: a new
	 * base alone (the same busy groups) makes no pass over the groups; a
	 * group takes its share of it when next touched (share_refresh).
	 * Written under dom->lock, base first.
	 */
	u32 share_base;
	unsigned long share_gen;
	struct iob_clock clock;		/* epoch: written under lock */

	/*
	 * Written under ioband_domains_lock and dom->lock, field by field
	 * (WRITE_ONCE): the fast path reads single fields without a lock.
	 */
	struct iob_params params;
	u32 io_limit;			/* effective */
	struct ioband_dom_pcpu __percpu *pc;
	/* bios in flight per direction: at most io_limit (ioband-slots.h) */
	struct iob_slots slots[2] ____cacheline_aligned_in_smp;
	/* bios held by its groups: read by every completion */
	atomic_t held ____cacheline_aligned_in_smp;
	/*
	 * True during a round and after one that waits for busy groups to
	 * end an epoch (IOB_WAIT) or found a group ready and sent nothing:
	 * only then is a group's last completion worth a kick.  Written by
	 * dispatch_round() under the lock, read by a completion that
	 * empties its group.
	 */
	bool wait_busy;

	/*
	 * Reservations get res_scale / IOB_SCALE_ONE of what they ask, less
	 * than all when they ask for more than the device does (res_ppm of
	 * it, last epoch).  Written by the dispatcher under dom->lock.
	 */
	u32 res_scale;
	u64 res_ppm;
	u64 avg_bytes;			/* mean bio size, as a group's avg_bytes */

	/*
	 * Latency control: on while a group has a target or a cap (read
	 * without the lock on completion), the next window's end and the
	 * controller's state; under dom->lock.
	 */
	bool lat_on;
	u64 lat_next_ns;
	u64 lat_start_ns;
	struct iob_lat_dom lat;

	struct workqueue_struct *wq;	/* ordered: one dispatcher at a time */
	struct work_struct work;
	struct hrtimer timer;		/* runs the dispatcher at a time */
};

struct ioband_target {
	struct dm_target *ti;
	struct dm_dev *dev;
	struct ioband_domain *dom;
	struct list_head dom_node;	/* on dom->targets */
	struct mapped_device *md;
	dev_t devt;			/* the ioband device, for tracepoints */
	struct mutex cfg_lock;		/* serialises messages and suspend */
	enum iob_type type;
	/*
	 * Moves after every change of which group an id's bios go to (a
	 * group attached, detached, made for a child cgroup, reaped or
	 * removed with its parent, a mark, the type): what a CPU found
	 * before is then looked up again (ioband-group.c).  64 bits: it
	 * never comes back to a value a CPU kept.  Beside type, which map()
	 * reads too, away from the counts map() writes.
	 */
	atomic64_t groups_gen;
	/*
	 * The device group's parameters as this table says them: written by
	 * the ctr and, for every member at once, by messages; read and
	 * written under ioband_domains_lock.  They become the domain's when
	 * the table resumes.
	 */
	struct iob_params params;
	bool suspending;		/* admit everything: WRITE_ONCE */
	bool resumed;			/* cfg_lock; link() reads it without */
	struct ioband_group *def;	/* the default group, id -1 */
	struct xarray groups;		/* id -> attached group (irq-safe lock) */
	unsigned int nr_groups;		/* attached by table or message */
	unsigned int nr_marked;		/* groups with per-child groups */
	atomic_t nr_auto;		/* per-child groups */
	atomic64_t auto_fallbacks;	/* bios their parent took instead */
	bool relink;			/* map() made a group: WRITE_ONCE */
	struct delayed_work reaper;	/* removes the groups of gone cgroups */
	struct ioband_attr __percpu *attr;	/* attribution accuracy */
	struct dentry *attr_file;
	struct ioband_target_pcpu __percpu *pc;
};

/*
 * What one CPU keeps of a target: whether a batch of completions of one of
 * its groups on this CPU may not be in the histograms yet (set by
 * ioband_complete, irqs off), and the work that adds them (cfg_lock); the
 * group its last bio's id went to (NULL: the default group), found at
 * groups_gen last_gen (irqs off; 0: none).
 */
struct ioband_target_pcpu {
	bool lat_dirty;
	u64 last_gen;
	u64 last_id;
	struct ioband_group *last_g;
	struct work_struct lat_work;
	struct ioband_target *ib;
	int cpu;
};

/* How often ioband's owner agreed with the kernel's (ioband-attribution.c). */
struct ioband_attr {
	u64 agree;
	u64 disagree;
};

/* What ioband keeps per bio (ti->per_io_data_size). */
struct ioband_io {
	struct ioband_group *g;
	u64 arrive_ns;
	u64 start_ns;		/* sent to the device below */
	u32 sectors;
	u32 bytes;		/* of data; 0 for discards and the like */
	u32 cost;		/* tokens charged */
	int dir;		/* READ or WRITE */
	unsigned int cpu;	/* counted in flight on it (ioband-inflight.h) */
};

/*
 * Nanoseconds from @then to @now, 0 if @then is later: clocks read on two
 * CPUs, or before and after a lock, need not be in order.
 */
static inline u64 ioband_since(u64 now, u64 then)
{
	return now > then ? now - then : 0;
}

/* ioband-group.c */
void ioband_group_sum(struct ioband_group *g, struct ioband_stats *sum);
void ioband_group_put(struct ioband_group *g);
struct ioband_group *ioband_group_alloc(struct ioband_target *ib, s64 id,
					u32 weight);
void ioband_group_retire(struct ioband_group *g);
void ioband_groups_changed(struct ioband_target *ib);
struct ioband_group *ioband_group_of_bio(struct ioband_target *ib,
					 struct bio *bio);
int ioband_group_attach(struct ioband_target *ib, s64 id, u32 weight);
int ioband_group_detach(struct ioband_target *ib, s64 id);
struct ioband_group *ioband_group_find(struct ioband_target *ib, s64 id);
struct ioband_group *ioband_group_of_cgroup(struct ioband_target *ib,
					    struct cgroup *cgrp,
					    struct cgroup **below);
void ioband_group_destroy_all(struct ioband_target *ib);
int ioband_group_mark(struct ioband_target *ib, s64 id, bool children);
void ioband_group_relink(struct ioband_target *ib);
void ioband_reaper_fn(struct work_struct *work);

/* ioband-domain.c */
extern struct mutex ioband_domains_lock;
struct ioband_domain *ioband_domain_get(const char *name,
					const struct iob_params *p,
					struct dm_table *table,
					const char **error);
void ioband_domain_put(struct ioband_domain *dom);
void ioband_domain_set_params(struct ioband_domain *dom,
			      const struct iob_params *p);
void ioband_domain_activate(struct ioband_domain *dom,
			    struct ioband_group *g);
void ioband_domain_link(struct ioband_domain *dom, struct ioband_group *g,
			struct ioband_group *parent);
void ioband_domain_deactivate(struct ioband_domain *dom,
			      struct ioband_group *g);
void ioband_domain_reweight(struct ioband_domain *dom);
void ioband_domain_settle(struct ioband_domain *dom);
void ioband_group_set_qos(struct ioband_group *g, const struct iob_qos *q);
void ioband_domain_kick(struct ioband_domain *dom);
bool ioband_admit(struct ioband_group *g, struct bio *bio,
		  struct ioband_io *io, bool urgent);
void ioband_complete(struct ioband_group *g, struct ioband_io *io, int error);
void ioband_group_release_held(struct ioband_group *g);
void ioband_group_lat_flush(struct ioband_group *g, int cpu);
u32 ioband_max_io_len(struct dm_dev *dev);

/* ioband-attribution.c */
int ioband_attr_init(struct ioband_target *ib);
void ioband_attr_exit(struct ioband_target *ib);
void ioband_attr_show(struct ioband_target *ib);
void ioband_attr_hide(struct ioband_target *ib);
void __ioband_attr_count(struct ioband_target *ib, struct bio *bio,
			 struct ioband_group *g);
DECLARE_STATIC_KEY_FALSE(ioband_attr_key);

/* Counted only while the counters are on: map() does not call otherwise. */
static inline void ioband_attr_count(struct ioband_target *ib,
				     struct bio *bio, struct ioband_group *g)
{
	if (static_branch_unlikely(&ioband_attr_key))
		__ioband_attr_count(ib, bio, g);
}
void ioband_attr_module_init(void);
void ioband_attr_module_exit(void);

#endif /* IOBAND_H */
