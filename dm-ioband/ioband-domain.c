// SPDX-License-Identifier: GPL-2.0
/*
 * dm-ioband device groups: the token economy shared by the ioband targets
 * with one device-group id, the admission fast path and the dispatcher
 * that releases held bios.
 */
#include <linux/blkdev.h>
#include <linux/log2.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "ioband.h"

#define CREATE_TRACE_POINTS
#include "ioband-trace.h"

DEFINE_MUTEX(ioband_domains_lock);

static LIST_HEAD(ioband_domains);

/* Bios dispatched per group per round, so that groups interleave. */
#define IOBAND_BATCH 16
/* last_active_ns is stamped when it is older than this. */
#define IOBAND_STAMP_NS NSEC_PER_MSEC

static void ioband_dispatch_work(struct work_struct *work);

/* Run the dispatcher at the time it asked for. */
static enum hrtimer_restart ioband_timer_fn(struct hrtimer *timer)
{
	struct ioband_domain *dom = container_of(timer, struct ioband_domain,
						 timer);

	queue_work(dom->wq, &dom->work);
	return HRTIMER_NORESTART;
}

static bool params_equal(const struct iob_params *a, const struct iob_params *b)
{
	return a->policy == b->policy && a->token == b->token &&
	       a->carryover == b->carryover &&
	       a->io_throttle == b->io_throttle && a->io_limit == b->io_limit;
}

/*
 * Find or create the domain @name for a target of @table.  A target
 * joining a domain that has members of another mapped device must use the
 * same parameters, and so must the targets of one table; a reload of the
 * only device may change them (they apply when it resumes).  Called with
 * ioband_domains_lock held.
 */
struct ioband_domain *ioband_domain_get(const char *name,
					const struct iob_params *p,
					struct dm_table *table,
					const char **error)
{
	struct mapped_device *md = dm_table_get_md(table);
	struct ioband_domain *dom;
	struct ioband_target *ib;

	lockdep_assert_held(&ioband_domains_lock);
	list_for_each_entry(dom, &ioband_domains, node) {
		if (strcmp(dom->name, name))
			continue;
		list_for_each_entry(ib, &dom->targets, dom_node) {
			if (ib->md != md && !params_equal(&dom->params, p)) {
				*error = "Device group exists with other policy, token, carryover, io_throttle or io_limit";
				return ERR_PTR(-EINVAL);
			}
			if (ib->ti->table == table && !params_equal(&ib->params, p)) {
				*error = "Targets of one table in a device group need the same policy, token, carryover, io_throttle and io_limit";
				return ERR_PTR(-EINVAL);
			}
		}
		dom->members++;
		return dom;
	}

	dom = kzalloc(sizeof(*dom), GFP_KERNEL);
	if (!dom)
		goto nomem;
	dom->pc = alloc_percpu(struct ioband_dom_pcpu);
	dom->wq = alloc_ordered_workqueue("ioband-%s", WQ_MEM_RECLAIM, name);
	if (!dom->wq || !dom->pc) {
		if (dom->wq)
			destroy_workqueue(dom->wq);
		free_percpu(dom->pc);
		kfree(dom);
		goto nomem;
	}
	strscpy(dom->name, name, sizeof(dom->name));
	INIT_LIST_HEAD(&dom->targets);
	INIT_LIST_HEAD(&dom->groups);
	INIT_LIST_HEAD(&dom->busy);
	INIT_LIST_HEAD(&dom->left);
	spin_lock_init(&dom->lock);
	INIT_WORK(&dom->work, ioband_dispatch_work);
	hrtimer_init(&dom->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	dom->timer.function = ioband_timer_fn;
	dom->res_scale = IOB_SCALE_ONE;
	/* no slots until the first resume's parameters (io_limit 0) */
	dom->slots[READ].batch = 1;
	dom->slots[WRITE].batch = 1;
	iob_lat_dom_init(&dom->lat);
	dom->params = *p;
	dom->members = 1;
	list_add(&dom->node, &ioband_domains);
	return dom;
nomem:
	*error = "Cannot allocate device group";
	return ERR_PTR(-ENOMEM);
}

/* Every CPU's stock of slots in @dir back to the pool; returns the pool. */
static int slots_collect(struct ioband_domain *dom, int dir)
{
	int cpu;

	for_each_possible_cpu(cpu)
		iob_slots_collect(&dom->slots[dir],
				  &per_cpu_ptr(dom->pc, cpu)->stock[dir]);
	return atomic_read(&dom->slots[dir].pool);
}

void ioband_domain_put(struct ioband_domain *dom)
{
	lockdep_assert_held(&ioband_domains_lock);
	if (--dom->members)
		return;
	list_del(&dom->node);
	/*
	 * The timer queues the work and the work arms the timer, but only
	 * for groups that hold bios, and no group is left.
	 */
	hrtimer_cancel(&dom->timer);
	cancel_work_sync(&dom->work);
	hrtimer_cancel(&dom->timer);
	destroy_workqueue(dom->wq);
	WARN_ON(!list_empty(&dom->groups));
	WARN_ON(!list_empty(&dom->busy));
	WARN_ON(!list_empty(&dom->left));
	/* nothing in flight: every slot is back */
	WARN_ON(slots_collect(dom, READ) != (int)dom->io_limit);
	WARN_ON(slots_collect(dom, WRITE) != (int)dom->io_limit);
	free_percpu(dom->pc);
	kfree(dom);
}

/*
 * The device group's cap on bios in flight per direction: io_limit as
 * configured, else dm-ioband's default, what the queue below accepts plus
 * half, taking the deepest queue of the members (they are parts of one
 * device or one array).  Never below io_throttle.
 */
static u32 domain_io_limit(struct ioband_domain *dom,
			   const struct iob_params *p)
{
	struct ioband_target *ib;
	u32 limit = p->io_limit;

	lockdep_assert_held(&ioband_domains_lock);
	if (!limit) {
		list_for_each_entry(ib, &dom->targets, dom_node) {
			struct request_queue *q = bdev_get_queue(ib->dev->bdev);

			limit = max(limit, 3 * q->nr_requests / 2);
		}
	}
	return max(limit, iob_io_throttle(p));
}

/* The largest bio ioband lets through: what the device below takes. */
u32 ioband_max_io_len(struct dm_dev *dev)
{
	u32 max = queue_max_sectors(bdev_get_queue(dev->bdev));

	return rounddown_pow_of_two(clamp(max, 8U, 2048U));
}

/*
 * Keep @g on dom->left while it is off dom->busy and counted busy by the
 * shares in force (node.busy) or used this epoch (floor.counts): the
 * epoch's end looks at dom->busy and dom->left only.  Called with
 * dom->lock held.
 */
static void left_update(struct ioband_domain *dom, struct ioband_group *g)
{
	bool want = g->active && !g->on_busy &&
		    (g->node.busy || g->floor.counts);

	lockdep_assert_held(&dom->lock);

	if (want && !g->on_left)
		list_add_tail(&g->left_node, &dom->left);
	else if (!want && g->on_left)
		list_del_init(&g->left_node);
	g->on_left = want;
}

static void new_base(struct ioband_domain *dom, u32 base);

/*
 * Recompute every group's share of an epoch's tokens.  The tree gives
 * each group's weight as a part of the device (its hierarchical weight:
 * flat when no group has a parent) and its reservation, its own or its
 * ancestors' (iob_tree_shares); then a group whose reservation is above
 * that part gets its reservation and the others share the rest
 * (iob_floors).  Weights are normalised over the groups that used the
 * device in the last epoch (@busy_known: floor.counts says which), or
 * over all groups when that is not known: a group alone on the device
 * then gets whole epochs, not a fifth of one.  The shares are for @epoch:
 * the current one, or the next when an epoch ends (a resumed bucket
 * starts it full).  Called with dom->lock held.
 */
static void domain_reshare(struct ioband_domain *dom, bool busy_known,
			   u64 epoch)
{
	u32 base = iob_token_base(&dom->params, &dom->clock);
	struct iob_floor *head = NULL, **tail = &head;
	struct iob_node *nodes = NULL, **ntail = &nodes;
	struct ioband_group *g, *p;

	if (busy_known) {
		busy_known = false;
		list_for_each_entry(g, &dom->groups, dom_node)
			busy_known |= g->floor.counts;
	}
	list_for_each_entry(g, &dom->groups, dom_node) {
		if (!busy_known)
			g->floor.counts = true;
		p = g->parent;
		g->node.parent = p && p->active ? &p->node : NULL;
		g->node.weight = READ_ONCE(g->weight);	/* msg_weight */
		g->node.busy = g->floor.counts;
		*ntail = &g->node;
		ntail = &g->node.next;
	}
	*ntail = NULL;
	iob_tree_shares(nodes);
	list_for_each_entry(g, &dom->groups, dom_node) {
		g->floor.weight = max(g->node.self_ppm, 1U);
		g->floor.reserve_ppm = g->node.self_res_ppm;
		*tail = &g->floor;
		tail = &g->floor.next;
	}
	*tail = NULL;
	iob_floors(head);
	dom->any_qos = false;
	list_for_each_entry(g, &dom->groups, dom_node) {
		dom->any_qos |= g->qos.has_reserve || g->qos.has_limit;
		left_update(dom, g);
		spin_lock(&g->lock);
		g->share_ppm = g->floor.part_ppm;
		g->share_gen = dom->share_gen + 1;
		iob_set_share(&g->bucket, base, g->share_ppm);
		if (g->resume_due)
			iob_resume_bucket(&g->bucket, epoch);
		g->resume_due = false;
		spin_unlock(&g->lock);
	}
	new_base(dom, base);
	dom->reshare_due = false;
}

/*
 * The shares are made of @base tokens from now: a group's share follows
 * when it is next touched (share_refresh).  Called with dom->lock held.
 */
static void new_base(struct ioband_domain *dom, u32 base)
{
	lockdep_assert_held(&dom->lock);
	WRITE_ONCE(dom->share_base, base);
	smp_wmb();	/* a reader that sees the generation sees the base */
	WRITE_ONCE(dom->share_gen, dom->share_gen + 1);
}

/*
 * @g's share of the current token base, if it has not taken it yet.
 * Called with g->lock held (dom->lock need not be).
 */
static void share_refresh(struct ioband_domain *dom, struct ioband_group *g)
{
	unsigned long gen = READ_ONCE(dom->share_gen);

	lockdep_assert_held(&g->lock);
	/*
	 * Forward only: a reshare running now may have given @g the next
	 * generation already, before it publishes the base.  Nor before
	 * its first reshare (attached, not yet active): it has no part.
	 */
	if (!g->share_gen || (long)(gen - g->share_gen) <= 0)
		return;
	smp_rmb();	/* the base of that generation, or a newer one */
	iob_set_share(&g->bucket, READ_ONCE(dom->share_base), g->share_ppm);
	g->share_gen = gen;
}

/*
 * A change that moves shares (a weight, a parent, a group coming or
 * going, the parameters) costs O(1): it marks the shares stale and kicks
 * the dispatcher, whose next round recomputes them once however many
 * changes came meanwhile (domain_settle).  Resuming a target with n
 * groups is one reshare, not n.  Called with dom->lock held.
 */
static void reshare_later(struct ioband_domain *dom)
{
	dom->reshare_due = true;
}

/* The shares reflect every change made so far.  Called with dom->lock held. */
static void domain_settle(struct ioband_domain *dom)
{
	if (dom->reshare_due)
		domain_reshare(dom, false, dom->clock.epoch);
}

/* For a reader of the shares (the "groups" query). */
void ioband_domain_settle(struct ioband_domain *dom)
{
	spin_lock_irq(&dom->lock);
	domain_settle(dom);
	spin_unlock_irq(&dom->lock);
}

/*
 * Make @p the device group's parameters.  Called with ioband_domains_lock
 * held; the fast path reads the fields one at a time, without a lock.
 */
void ioband_domain_set_params(struct ioband_domain *dom,
			      const struct iob_params *p)
{
	u32 io_limit = domain_io_limit(dom, p);
	int dir;

	spin_lock_irq(&dom->lock);
	for (dir = READ; dir <= WRITE; dir++) {
		slots_collect(dom, dir);
		iob_slots_resize(&dom->slots[dir], dom->io_limit, io_limit,
				 num_online_cpus());
	}
	WRITE_ONCE(dom->params.policy, p->policy);
	WRITE_ONCE(dom->params.token, p->token);
	WRITE_ONCE(dom->params.carryover, p->carryover);
	WRITE_ONCE(dom->params.io_throttle, p->io_throttle);
	WRITE_ONCE(dom->params.io_limit, p->io_limit);
	WRITE_ONCE(dom->io_limit, io_limit);
	reshare_later(dom);
	spin_unlock_irq(&dom->lock);
	ioband_domain_kick(dom);
}

/*
 * A latency window starts for @g: what it completed so far counts for
 * none.  Returns what it completed since the last window began.  Called
 * with dom->lock held.
 */
static void latency_counts_start(struct ioband_group *g, struct iob_lat *l)
{
	struct ioband_stats s;

	if (!g->on_busy && g->lat_fresh) {
		if (l)
			l->n = l->over = l->bytes = 0;
		return;
	}
	g->lat_fresh = !g->on_busy;
	ioband_group_sum(g, &s);
	if (l) {
		l->n = s.lat_n - g->lat_n;
		l->over = s.lat_over - g->lat_over;
		l->bytes = s.bytes - g->lat_bytes;
	}
	g->lat_n = s.lat_n;
	g->lat_over = s.lat_over;
	g->lat_bytes = s.bytes;
}

/*
 * Latency control starts with a window from now (a group has a target):
 * what the groups completed before counts for nothing.  Called with
 * dom->lock held.
 */
static void latency_on(struct ioband_domain *dom)
{
	struct ioband_group *g;
	u64 now = ktime_get_ns();

	if (dom->lat_on)
		return;
	list_for_each_entry(g, &dom->groups, dom_node)
		latency_counts_start(g, NULL);
	iob_lat_dom_restart(&dom->lat);
	dom->lat_start_ns = now;
	WRITE_ONCE(dom->lat_next_ns, now + IOB_LAT_WINDOW_NS);
	WRITE_ONCE(dom->lat_on, true);
}

/*
 * Give @g the reservation, limit and latency target @q.  Called with the target's
 * cfg_lock held; bios a removed limit held go at once, and a reservation
 * counts from the next epoch (the device's rate says how much it is).
 */
void ioband_group_set_qos(struct ioband_group *g, const struct iob_qos *q)
{
	struct ioband_domain *dom = g->ib->dom;

	spin_lock_irq(&dom->lock);
	spin_lock(&g->lock);
	spin_lock(&g->qos_lock);
	iob_qos_set(&g->qos, q, ktime_get_ns());
	spin_unlock(&g->qos_lock);
	spin_unlock(&g->lock);
	if (q->latency_us && g->active)
		latency_on(dom);
	/* the epoch's end follows reservations and limits (dom->any_qos) */
	if (g->active && (g->qos.has_reserve || g->qos.has_limit))
		dom->any_qos = true;
	if ((!g->qos.has_reserve && g->node.reserve_ppm) ||
	    (!g->qos.has_limit && g->node.limit_ppm)) {
		if (!g->qos.has_reserve) {
			g->res_ppm = 0;
			g->node.reserve_ppm = 0;
		}
		if (!g->qos.has_limit)
			g->node.limit_ppm = 0;
		if (g->active)
			reshare_later(dom);
	}
	spin_unlock_irq(&dom->lock);
	ioband_domain_kick(dom);
}

void ioband_domain_reweight(struct ioband_domain *dom)
{
	spin_lock_irq(&dom->lock);
	reshare_later(dom);
	spin_unlock_irq(&dom->lock);
	ioband_domain_kick(dom);
}

static void busy_insert(struct ioband_domain *dom, struct ioband_group *g);

/*
 * Called with dom->lock held.  On dom->busy at once: map() may have found
 * it before (a per-child group, an attach) and held a bio on it; a round
 * takes it off if it is idle.
 */
static void activate(struct ioband_domain *dom, struct ioband_group *g)
{
	/* what it completed while inactive is no latency window's */
	latency_counts_start(g, NULL);
	list_add_tail(&g->dom_node, &dom->groups);
	g->seq = ++dom->seq;
	g->active = true;
	if (g->qos.has_reserve || g->qos.has_limit)
		dom->any_qos = true;
	if (g->qos.conf.latency_us)
		latency_on(dom);
	/*
	 * Its bucket starts the epoch with the share the reshare gives it;
	 * till then no tokens left from before (nor a refill at the old
	 * share for the epochs it missed).
	 */
	spin_lock(&g->lock);
	g->bucket.epoch = dom->clock.epoch;
	g->bucket.tokens = min_t(s64, g->bucket.tokens, 0);
	spin_unlock(&g->lock);
	g->resume_due = true;
	reshare_later(dom);
	if (!g->on_busy)
		busy_insert(dom, g);
}

void ioband_domain_activate(struct ioband_domain *dom, struct ioband_group *g)
{
	spin_lock_irq(&dom->lock);
	if (!g->active)
		activate(dom, g);
	spin_unlock_irq(&dom->lock);
	ioband_domain_kick(dom);	/* the reshare; bios held before */
}

/*
 * Make @parent @g's parent in the tree.  A per-child group, new from
 * map(), is activated here too, unless it was removed meanwhile or the
 * table is suspended (the reaper relinks then too; the resume activates
 * it).  Never sleeps.
 */
void ioband_domain_link(struct ioband_domain *dom, struct ioband_group *g,
			struct ioband_group *parent)
{
	unsigned long flags;
	bool dead;

	spin_lock_irqsave(&dom->lock, flags);
	WRITE_ONCE(g->parent, parent);
	spin_lock(&g->lock);
	dead = g->dead;
	spin_unlock(&g->lock);
	if (g->active)
		reshare_later(dom);
	else if (g->auto_child && !dead && READ_ONCE(g->ib->resumed))
		activate(dom, g);
	spin_unlock_irqrestore(&dom->lock, flags);
	ioband_domain_kick(dom);	/* the reshare; bios held before */
}

void ioband_domain_deactivate(struct ioband_domain *dom, struct ioband_group *g)
{
	spin_lock_irq(&dom->lock);
	if (g->active) {
		list_del_init(&g->dom_node);
		g->active = false;
		if (g->on_busy) {
			list_del_init(&g->busy_node);
			WRITE_ONCE(g->on_busy, false);
		}
		left_update(dom, g);	/* inactive: off dom->left */
		g->lat.cap_bps = 0;
		g->lat.ceil_bps = 0;
		spin_lock(&g->lock);
		WRITE_ONCE(g->lat_cap, 0);
		spin_unlock(&g->lock);
		g->resume_due = false;
		/* its bios still in flight complete while it is inactive */
		g->ep_fresh = false;
		g->lat_fresh = false;
		reshare_later(dom);
	}
	spin_unlock_irq(&dom->lock);
	/* Whoever waited for this group need not any more. */
	ioband_domain_kick(dom);
}

void ioband_domain_kick(struct ioband_domain *dom)
{
	queue_work(dom->wq, &dom->work);
}

/*
 * Is the device group at io_limit in @dir for this CPU?  A read of its
 * stock and the pool; the dispatcher (@collect) first has the CPUs give
 * their slots back and takes back every stock, once until its next round
 * (ioband-slots.h).  The CPU may change under the caller: a stock is
 * atomic, any CPU's is as good.
 */
static __always_inline bool io_limit_reached(struct ioband_domain *dom, int dir,
					     bool collect)
{
	struct iob_slots *s = &dom->slots[dir];

	if (iob_slot_room(s, &raw_cpu_ptr(dom->pc)->stock[dir]))
		return false;
	if (!collect)
		return true;
	if (iob_slots_wait(s))
		slots_collect(dom, dir);
	return !iob_slot_room(s, &raw_cpu_ptr(dom->pc)->stock[dir]);
}

/*
 * Fewer than io_throttle bios in flight?  io_limit less the pools bounds
 * them from above; the exact count reads every CPU's stock.
 */
static bool domain_quiet(struct ioband_domain *dom)
{
	u32 throttle = READ_ONCE(dom->params.io_throttle);
	int n = 2 * READ_ONCE(dom->io_limit), cpu;

	if (!throttle)
		throttle = IOB_DEFAULT_IO_THROTTLE;
	n -= atomic_read(&dom->slots[READ].pool) +
	     atomic_read(&dom->slots[WRITE].pool);
	if (n < (int)throttle)
		return true;
	for_each_possible_cpu(cpu) {
		struct ioband_dom_pcpu *pc = per_cpu_ptr(dom->pc, cpu);

		n -= atomic_read(&pc->stock[READ]) +
		     atomic_read(&pc->stock[WRITE]);
	}
	return n < (int)throttle;
}

/*
 * Has @g a latency cap, or @g or an ancestor a limit?  Under RCU or
 * dom->lock.
 */
static bool tree_limited(struct ioband_group *g)
{
	if (READ_ONCE(g->lat_cap))
		return true;
	for (; g; g = READ_ONCE(g->parent))
		if (READ_ONCE(g->qos.has_limit))
			return true;
	return false;
}

/*
 * When @g's latency cap and the limits of @g and of its ancestors (they
 * bound their subtree) let a bio of @dir go.  Called with g->lock held,
 * under RCU or dom->lock.
 */
static u64 tree_limit_at(struct ioband_group *g, int dir)
{
	u64 at = g->lat_cap ? g->lat_vt : 0, t;

	for (; g; g = READ_ONCE(g->parent)) {
		if (!READ_ONCE(g->qos.has_limit))
			continue;
		spin_lock(&g->qos_lock);
		t = iob_qos_limit_at(&g->qos, dir);
		spin_unlock(&g->qos_lock);
		at = max(at, t);
	}
	return at;
}

/*
 * Is @g running at its latency cap, or @g or an ancestor at a limit
 * (iob_qos_limit_bound)?  Called with g->lock held.
 */
static bool tree_limit_bound(struct ioband_group *g, u64 now)
{
	bool bound = g->lat_cap && g->lat_vt + IOB_LAT_DEPTH_NS / 2 > now;

	for (; g && !bound; g = READ_ONCE(g->parent)) {
		if (!READ_ONCE(g->qos.has_limit))
			continue;
		spin_lock(&g->qos_lock);
		bound = iob_qos_limit_bound(&g->qos, now);
		spin_unlock(&g->qos_lock);
	}
	return bound;
}

/*
 * The admission rule, one for map and for the dispatcher: may @g send a
 * bio in direction @dir down now?  Room under io_limit, then its limits
 * and its tokens (iob_may_send).  A group with tokens and no limit is
 * answered without reading the domain's counters.  Called with g->lock
 * held.
 */
static bool may_send(struct ioband_domain *dom, struct ioband_group *g,
		     int dir, u64 now, bool dispatcher)
{
	if (io_limit_reached(dom, dir, dispatcher))
		return false;
	if (g->bucket.tokens > 0 && !tree_limited(g))
		return true;
	return iob_may_send(&g->bucket, domain_quiet(dom),
			    tree_limit_at(g, dir), now);
}

/*
 * Charge a bio that goes down: its tokens (urgent ones within a bound),
 * its latency cap (@held: it was held, iob_lat_charge) and its limits.
 * True if this used up the group's last tokens.  Called with g->lock held.
 */
static bool charge(struct ioband_group *g, struct ioband_io *io, bool held,
		   bool urgent, u64 now)
{
	struct ioband_group *p;

	if (g->lat_cap)
		iob_lat_charge(&g->lat_vt, g->lat_cap, io->bytes, now, held,
			       urgent);
	for (p = g; p; p = READ_ONCE(p->parent)) {
		if (!READ_ONCE(p->qos.has_limit))
			continue;
		spin_lock(&p->qos_lock);
		iob_qos_charge(&p->qos, io->dir, io->bytes, now, urgent);
		spin_unlock(&p->qos_lock);
	}
	if (urgent)
		return iob_charge_urgent(&g->bucket, io->cost);
	return iob_charge(&g->bucket, io->cost);
}

/* Stamp @g active at @now, at most once a millisecond: a shared line. */
static void stamp_active(struct ioband_group *g, u64 now)
{
	if (ioband_since(now, READ_ONCE(g->last_active_ns)) >= IOBAND_STAMP_NS)
		WRITE_ONCE(g->last_active_ns, now);
}

/*
 * CPUs with bios of @g in flight (g->users less the group's own
 * reference; for a moment one more, ioband-inflight.h): 0 when it has
 * none.
 */
static int inflight(struct ioband_group *g)
{
	return atomic_read(&g->users) - 1;
}

/* @g had nothing in flight before a bio went: io_ticks start. */
static void busy_from(struct ioband_group *g, bool first, u64 now)
{
	if (first && !READ_ONCE(g->held))
		WRITE_ONCE(g->busy_since_ns, now);
}

/*
 * @io of @g is in flight from now, counted on this CPU (ioband-inflight.h),
 * with a fully ordered atomic; irqs off, so that nothing else of this CPU
 * runs between its count and g->users.  Returns IOB_INFLIGHT_GONE if the
 * group is being freed (never under g->lock, see start_bio),
 * IOB_INFLIGHT_EDGE if @g had none in flight.
 */
static __always_inline int __inflight_get(struct ioband_group *g,
					  struct ioband_io *io, u64 now)
{
	int r;

	lockdep_assert_irqs_disabled();
	io->cpu = smp_processor_id();
	r = iob_inflight_get(&per_cpu_ptr(g->pc, io->cpu)->inflight, &g->users);
	busy_from(g, r == IOB_INFLIGHT_EDGE, now);
	return r;
}

/* The same where irqs may be on (g->lock leaves them on under RT). */
static int inflight_get(struct ioband_group *g, struct ioband_io *io, u64 now)
{
	unsigned long flags;
	int r;

	local_irq_save(flags);
	r = __inflight_get(g, io, now);
	local_irq_restore(flags);
	return r;
}

/* @io of @g is no longer in flight; true if @g has none left. */
static __always_inline bool inflight_put(struct ioband_group *g,
					 struct ioband_io *io)
{
	int r = iob_inflight_put(&per_cpu_ptr(g->pc, io->cpu)->inflight,
				 &g->users);

	if (r == IOB_INFLIGHT_FREE)
		ioband_group_put(g);
	return r != IOB_INFLIGHT_MORE;
}

/*
 * A bio leaves ioband for the device below, counted in flight by the
 * caller (inflight_get).
 */
static __always_inline void send_bio(struct ioband_group *g,
				     struct ioband_io *io, u64 now)
{
	struct ioband_domain *dom = g->ib->dom;

	stamp_active(g, now);
	io->start_ns = now;
	if (iob_slot_take(&dom->slots[io->dir],
			  &raw_cpu_ptr(dom->pc)->stock[io->dir]))
		ioband_domain_kick(dom);	/* it waits for slots */
}

/*
 * A bio leaves ioband for the device below.  Called with g->lock held: a
 * detach drops the group's own reference after its turn under the lock,
 * and whoever takes the lock after it finds the group dead or holding
 * nothing, so the count is not 0.
 */
static void start_bio(struct ioband_group *g, struct ioband_io *io, u64 now)
{
	int r = inflight_get(g, io, now);

	if (WARN_ON_ONCE(r == IOB_INFLIGHT_GONE)) {
		/* not counted: it goes down without a slot, and end_io skips it */
		io->g = NULL;
		return;
	}
	send_bio(g, io, now);
}

static struct bio *pop_held(struct ioband_group *g, u64 now)
{
	struct bio *bio = bio_list_pop(&g->queue);
	struct ioband_io *io;

	if (!bio)
		return NULL;
	io = dm_per_bio_data(bio, sizeof(*io));
	g->queue_ns += ioband_since(now, io->arrive_ns);
	start_bio(g, io, now);	/* before held drops: still busy */
	trace_ioband_dispatch(g->ib->devt, g->id, bio->bi_iter.bi_sector,
			      io->sectors, io->dir,
			      ioband_since(now, io->arrive_ns));
	WRITE_ONCE(g->held, g->held - 1);
	atomic_dec(&g->ib->dom->held);
	return bio;
}

static void take_all_held(struct ioband_group *g, struct bio_list *out,
			  u64 now)
{
	struct bio *bio;

	while ((bio = pop_held(g, now)))
		bio_list_add(out, bio);
}

static void submit_list(struct bio_list *list)
{
	struct bio *bio;

	while ((bio = bio_list_pop(list)))
		dm_submit_bio_remap(bio, NULL);
}

/*
 * Put @g on dom->busy in the order of dom->groups: the dispatcher's rounds
 * take groups in a fixed order, whoever came first.  The busy list is
 * short; walked from its end.  Called with dom->lock held.
 */
static void busy_insert(struct ioband_domain *dom, struct ioband_group *g)
{
	struct ioband_group *p;

	list_for_each_entry_reverse(p, &dom->busy, busy_node)
		if (p->seq < g->seq)
			break;
	list_add(&g->busy_node, &p->busy_node);
	WRITE_ONCE(g->on_busy, true);
	left_update(dom, g);
	g->ep_fresh = false;
	g->lat_fresh = false;
}

/*
 * @g has a bio in ioband: the dispatcher looks at it again.  Takes the
 * device group's lock only when @g was idle (off dom->busy), once per
 * busy period; never with g->lock held.
 */
static void busy_add(struct ioband_group *g)
{
	struct ioband_domain *dom = g->ib->dom;
	unsigned long flags;

	/*
	 * The caller read on_busy after it counted the bio in flight (a
	 * fully ordered atomic) or held it (under g->lock, which busy_check
	 * holds too): either it saw false, or busy_check saw the bio.  A bio
	 * whose CPU had some in flight raised only that CPU's count, but the
	 * CPU's earlier step of g->users, fully ordered before this read,
	 * stays until the bio completes: busy_check sees the group in
	 * flight.
	 */
	if (READ_ONCE(g->on_busy))
		return;
	spin_lock_irqsave(&dom->lock, flags);
	if (g->active && !g->on_busy)
		busy_insert(dom, g);
	spin_unlock_irqrestore(&dom->lock, flags);
}

/*
 * In a dispatcher round, with dom->lock and g->lock held: an idle group
 * (nothing held or in flight, and no bio for IOB_IDLE_WINDOW_NS, so that
 * it can neither be ready nor busy) leaves dom->busy.  A bio that comes
 * meanwhile is either seen here (it was counted first) or sees on_busy
 * false and puts the group back (busy_add).
 */
static void busy_check(struct ioband_group *g, const struct iob_gstate *st,
		       u64 now)
{
	if (st->held || st->inflight ||
	    ioband_since(now, st->last_active_ns) < IOB_IDLE_WINDOW_NS)
		return;
	list_del_init(&g->busy_node);
	WRITE_ONCE(g->on_busy, false);
	/* on_busy false before the count is read; busy_add: the reverse */
	smp_mb();
	if (inflight(g) || g->held)
		busy_insert(g->ib->dom, g);
	else
		left_update(g->ib->dom, g);
}

/* Update @g's mean think time (iob_think) if it changes: a shared line. */
static __always_inline void think(struct ioband_group *g, bool was_empty,
				  u64 now)
{
	u64 t = READ_ONCE(g->think_ns), old = t;

	iob_think(&t, was_empty, now, READ_ONCE(g->last_done_ns));
	if (t != old)
		WRITE_ONCE(g->think_ns, t);
}

/*
 * The lock-free admission: a group with an empty queue, no limit or cap
 * and tokens in this CPU's magazine of the current epoch sends the bio
 * down.  False if it could not (the caller takes the lock).
 */
static bool admit_fast(struct ioband_group *g, struct ioband_io *io, u64 now)
{
	struct ioband_domain *dom = g->ib->dom;
	unsigned long flags;
	bool spent;
	int first;

	if (READ_ONCE(g->held) || READ_ONCE(g->dead) || tree_limited(g) ||
	    io_limit_reached(dom, io->dir, false))
		return false;
	local_irq_save(flags);
	spent = iob_mag_spend(&this_cpu_ptr(g->pc)->mag,
			      READ_ONCE(dom->clock.epoch), io->cost);
	first = spent ? __inflight_get(g, io, now) : IOB_INFLIGHT_GONE;
	local_irq_restore(flags);
	/* no tokens, or being freed (the slow path sees it dead) */
	if (first == IOB_INFLIGHT_GONE)
		return false;
	if (unlikely(READ_ONCE(g->dead))) {
		/* detached meanwhile: the default group's (see ioband.h) */
		inflight_put(g, io);
		return false;
	}
	think(g, first == IOB_INFLIGHT_EDGE && !READ_ONCE(g->held), now);
	send_bio(g, io, now);
	if (unlikely(!READ_ONCE(g->on_busy)))
		busy_add(g);
	return true;
}

/*
 * Charge a bio that may go down from the lock-held path: from a new
 * magazine for this CPU when the group has no limit or cap (what its next
 * bios spend without the lock), else as charge() does.  True if this used
 * up the group's last tokens.  Called with g->lock held (irqs off).
 */
static bool charge_mag(struct ioband_group *g, struct ioband_io *io, u64 now)
{
	unsigned long flags;
	struct iob_mag *m;
	bool spent = false;

	if (!tree_limited(g)) {
		/* the debt the rule allows now (iob_may_take) */
		s64 floor = domain_quiet(g->ib->dom) ? -(g->bucket.share / 2) : 0;

		/* irqs off here even where spinlocks leave them on (RT) */
		local_irq_save(flags);
		m = this_cpu_ptr(&g->pc->mag);
		spent = iob_mag_fill(&g->bucket, m,
				     iob_mag_batch(g->bucket.share, num_online_cpus()),
				     floor) &&
			iob_mag_spend(m, g->bucket.epoch, io->cost);
		local_irq_restore(flags);
	}
	if (!spent)
		return charge(g, io, false, false, now);
	return g->bucket.tokens <= 0;
}

/* This CPU's magazine of @g back to its bucket.  Called with g->lock held. */
static void mag_return(struct ioband_group *g, u32 carryover)
{
	unsigned long flags;

	local_irq_save(flags);
	iob_mag_return(&g->bucket, this_cpu_ptr(&g->pc->mag), carryover);
	local_irq_restore(flags);
}

/* ioband_admit() under the group's lock: a bio the fast path did not send. */
static noinline bool admit_locked(struct ioband_group *g, struct bio *bio,
				  struct ioband_io *io, bool urgent)
{
	struct ioband_domain *dom = g->ib->dom;
	u64 now = io->arrive_ns, epoch;
	unsigned long flags;
	bool go, kick = false;

	spin_lock_irqsave(&g->lock, flags);
	if (unlikely(g->dead)) {
		/* Detached after the lookup: the bio is the default group's. */
		spin_unlock_irqrestore(&g->lock, flags);
		g = g->ib->def;
		io->g = g;
		spin_lock_irqsave(&g->lock, flags);
	}
	epoch = READ_ONCE(dom->clock.epoch);
	smp_rmb();	/* its shares were published before it (dispatch_round) */
	share_refresh(dom, g);
	/* this CPU's magazine back first: its tokens are the bucket's again */
	mag_return(g, READ_ONCE(dom->params.carryover));
	think(g, !g->held && !inflight(g), now);
	iob_refill(&g->bucket, epoch, READ_ONCE(dom->params.carryover));
	if (unlikely(urgent || READ_ONCE(g->ib->suspending))) {
		kick = charge(g, io, false, true, now) &&
		       atomic_read(&dom->held);
		start_bio(g, io, now);
		go = true;
	} else if (bio_list_empty(&g->queue) && may_send(dom, g, io->dir, now, false)) {
		/* Out of tokens: others may be waiting for this group. */
		kick = charge_mag(g, io, now) && atomic_read(&dom->held);
		start_bio(g, io, now);
		go = true;
	} else {
		trace_ioband_hold(g->ib->devt, g->id, bio->bi_iter.bi_sector,
				  io->sectors, io->dir, g->held + 1);
		if (!g->held && !inflight(g))
			WRITE_ONCE(g->busy_since_ns, now);
		/* its submitter polls the device below, where it is not yet */
		bio_clear_polled(bio);
		/*
		 * Its submitter is not blocked: the dispatcher may be.  A
		 * REQ_NOWAIT bio it sent down could fail with BLK_STS_AGAIN
		 * (no tag free, a split), and io_uring does not reissue a bio
		 * another task submitted.
		 */
		bio->bi_opf &= ~REQ_NOWAIT;
		bio_list_add(&g->queue, bio);
		WRITE_ONCE(g->held, g->held + 1);
		atomic_inc(&dom->held);
		kick = true;
		go = false;
	}
	if (go)
		trace_ioband_admit(g->ib->devt, g->id, bio->bi_iter.bi_sector,
				   io->sectors, io->dir, g->held);
	spin_unlock_irqrestore(&g->lock, flags);
	if (!READ_ONCE(g->on_busy))
		busy_add(g);
	if (kick)
		ioband_domain_kick(dom);
	return go;
}

/*
 * Map-time admission of @bio, whose per-bio data @io map() has filled in.
 * Returns true if @bio may go down now; otherwise it has been queued on
 * its group and the dispatcher will submit it.  Takes no lock while the
 * group has tokens in this CPU's magazine, else the group's lock, and the
 * device group's once when the group was idle (busy_add); never sleeps.
 */
bool ioband_admit(struct ioband_group *g, struct bio *bio,
		  struct ioband_io *io, bool urgent)
{
	if (likely(!urgent && !READ_ONCE(g->ib->suspending)) &&
	    admit_fast(g, io, io->arrive_ns)) {
		trace_ioband_admit(g->ib->devt, g->id, bio->bi_iter.bi_sector,
				   io->sectors, io->dir, 0);
		return true;
	}
	return admit_locked(g, bio, io, urgent);
}

/* A per-CPU count grows (WRITE_ONCE: others read it without a lock). */
#define pc_add(x, v) WRITE_ONCE(x, (x) + (v))

/* @b's completions into @g's histogram, each bucket once. */
static void lat_flush(struct ioband_group *g, struct iob_lat_batch *b)
{
	u32 idx, n;
	int dir;

	while ((n = iob_lat_batch_take(b, &dir, &idx)))
		atomic64_add(n, &g->hist[dir][idx]);
}

/*
 * @cpu's batch of @g's completions into its histogram, before it is read
 * or zeroed: called on @cpu, or for a CPU that is offline (and so runs
 * nothing) with CPU hotplug held off.
 */
void ioband_group_lat_flush(struct ioband_group *g, int cpu)
{
	unsigned long flags;

	local_irq_save(flags);
	lat_flush(g, &per_cpu_ptr(g->pc, cpu)->lat);
	local_irq_restore(flags);
}

/*
 * A bio of @g completed.  Takes no lock: its counts are this CPU's, its
 * histogram atomic and written a batch at a time.  The last completion of
 * a detached group frees it.
 */
void ioband_complete(struct ioband_group *g, struct ioband_io *io, int error)
{
	struct ioband_domain *dom = g->ib->dom;
	u64 now = ktime_get_ns();
	u64 lat = ioband_since(now, io->arrive_ns);
	u64 bytes = iob_qos_units(IOB_BPS, io->bytes);
	u32 target_us = READ_ONCE(g->qos.conf.latency_us);
	struct ioband_pcpu *pc;
	struct ioband_stats *s;
	unsigned long flags;
	bool kick, svc, full, empty;
	int dir = io->dir;

	trace_ioband_complete(g->ib->devt, g->id, io->sectors, dir,
			      ioband_since(io->start_ns, io->arrive_ns), lat,
			      error);
	/*
	 * An RCU read section (preemption off): once this bio no longer
	 * counts, another completion may free the group after a grace
	 * period, and the section's end is where this one stops using it.
	 */
	rcu_read_lock_sched();
	local_irq_save(flags);
	pc = this_cpu_ptr(g->pc);
	/*
	 * A full batch goes into the histogram here, with irqs off: this
	 * CPU's flush work (ioband-target.c) never finds part of one.  The
	 * first completion of a batch updates the mean service time: one in
	 * IOB_LAT_BATCH per CPU, more while the histograms are read (which
	 * takes the batches out early), and every one until it has a sample.
	 */
	full = iob_lat_batch_add(&pc->lat, dir, iob_lat_bucket(lat));
	svc = pc->lat.n == 1;
	if (full)
		lat_flush(g, &pc->lat);
	else if (svc)
		WRITE_ONCE(this_cpu_ptr(g->ib->pc)->lat_dirty, true);
	s = &pc->s;
	pc_add(s->ios[dir], 1);
	pc_add(s->sectors[dir], io->sectors);
	pc_add(s->ticks_ns[dir], lat);
	pc_add(s->bytes, bytes);
	if (target_us) {
		pc_add(s->lat_n, 1);
		pc_add(s->lat_over, lat > (u64)target_us * NSEC_PER_USEC);
	}
	__this_cpu_add(dom->pc->completed, io->cost);
	local_irq_restore(flags);
	if (svc || !READ_ONCE(g->svc_ns)) {
		u64 v = READ_ONCE(g->svc_ns);

		iob_svc(&v, ioband_since(now, io->start_ns));
		WRITE_ONCE(g->svc_ns, v);
	}
	stamp_active(g, now);
	empty = inflight_put(g, io);
	if (empty) {
		WRITE_ONCE(g->last_done_ns, now);
		if (!READ_ONCE(g->held))
			this_cpu_add(g->pc->s.io_ticks_ns,
				     ioband_since(now, READ_ONCE(g->busy_since_ns)));
	}
	/*
	 * Its slot to this CPU's stock, or, while the dispatcher waits for
	 * slots, to the pool: one that refills it kicks (ioband-slots.h).
	 * The group's last bio kicks only while the dispatcher waits for
	 * busy groups (dom->wait_busy): held bios that wait for a limit, a
	 * cap or a slot do not wait for this group, and the kick would wake
	 * a worker on another CPU from a light group's completion, for
	 * nothing.  The fully ordered atomic_dec_return() of g->users in
	 * inflight_put() pairs with dispatch_round()'s smp_mb().
	 */
	kick = iob_slot_put(&dom->slots[dir], &raw_cpu_ptr(dom->pc)->stock[dir]);
	kick |= empty && READ_ONCE(dom->wait_busy);
	rcu_read_unlock_sched();
	if (kick && atomic_read(&dom->held))
		ioband_domain_kick(dom);
	else if (READ_ONCE(dom->lat_on) && now >= READ_ONCE(dom->lat_next_ns))
		ioband_domain_kick(dom);	/* a latency window ends */
}

/*
 * Detach: admit nothing more, send down what the group holds (a detach
 * never strands or stalls I/O), and free it once nothing is in flight.
 */
void ioband_group_retire(struct ioband_group *g)
{
	struct bio_list out = BIO_EMPTY_LIST;

	spin_lock_irq(&g->lock);
	WRITE_ONCE(g->dead, true);
	take_all_held(g, &out, ktime_get_ns());
	spin_unlock_irq(&g->lock);
	/* the group's own reference: @g may be gone from here on */
	if (iob_inflight_unref(&g->users))
		ioband_group_put(g);
	submit_list(&out);
}

/* Submit everything @g holds, whatever its tokens (suspend, detach). */
void ioband_group_release_held(struct ioband_group *g)
{
	struct bio_list out = BIO_EMPTY_LIST;

	spin_lock_irq(&g->lock);
	take_all_held(g, &out, ktime_get_ns());
	spin_unlock_irq(&g->lock);
	submit_list(&out);
}

/* Move up to IOBAND_BATCH held bios of a READY group to @out. */
static void take_ready(struct ioband_domain *dom, struct ioband_group *g,
		       u64 now, struct bio_list *out)
{
	unsigned int n;

	for (n = 0; n < IOBAND_BATCH && g->held; n++) {
		struct bio *bio = bio_list_peek(&g->queue);
		struct ioband_io *io = dm_per_bio_data(bio, sizeof(*io));

		if (!may_send(dom, g, io->dir, now, true))
			break;
		charge(g, io, true, false, now);
		bio_list_add(out, pop_held(g, now));
	}
}

/*
 * At the end of an epoch that saw @done tokens complete in @len_ns: what
 * each group's reservation asks of the device and the scale that makes
 * those of the groups that used the device fit, and how much of it each
 * group's limit lets it have (iob_tree_shares caps parents with it).  The device's rate is
 * the lower of the clock's (iob_clock_measure) and this epoch's: a
 * reservation is a floor, better a little too much than too little.
 * Starts the groups' epoch counts.  Called with dom->lock held.
 */
static void rescale_reservations(struct ioband_domain *dom, u64 done,
				 u64 len_ns)
{
	u64 tokens = mul_u64_u32_shr(dom->clock.rate, NSEC_PER_SEC, 30);
	u32 base = iob_token_base(&dom->params, &dom->clock);
	u64 all_bytes = 0, all_ios = 0, cap_bytes, ppm = 0;
	struct ioband_group *g;
	u32 scale;

	/* an epoch too short to say anything about the device says nothing */
	if (len_ns >= IOB_RATE_SPAN_NS && done >= base / 4 && done < (1ULL << 32))
		tokens = min(tokens, div64_u64(done * NSEC_PER_SEC, len_ns));

	list_for_each_entry(g, &dom->groups, dom_node) {
		struct ioband_stats st;
		u64 ep_bytes = 0, ep_ios = 0;

		/* an idle group summed once since it went idle: nothing new */
		if (g->on_busy || !g->ep_fresh) {
			g->ep_fresh = !g->on_busy;
			ioband_group_sum(g, &st);
			ep_bytes = st.bytes - g->ep_bytes;
			ep_ios = st.ios[READ] + st.ios[WRITE] - g->ep_ios;
			g->ep_bytes = st.bytes;
			g->ep_ios = st.ios[READ] + st.ios[WRITE];
		}
		spin_lock(&g->lock);
		if (ep_ios)
			g->avg_bytes = div64_u64(ep_bytes, ep_ios);
		/* a parent without bios of its own: its children's, roughly */
		cap_bytes = ep_ios || !dom->avg_bytes ? g->avg_bytes : dom->avg_bytes;
		all_bytes += ep_bytes;
		all_ios += ep_ios;
		/* what it asks, scaled below; kept while the rate is unknown */
		if (tokens)
			g->res_ppm = iob_reserve_ppm(&g->qos.conf, dom->params.policy,
						     tokens, g->avg_bytes ? g->avg_bytes : 4096);
		if (!g->qos.has_reserve)
			g->res_ppm = 0;
		/* a limit's part of the device caps a parent's subtree */
		if (tokens && g->qos.has_limit)
			g->node.limit_ppm = min_t(u64, IOB_RESERVE_PPM_MAX,
				iob_limit_ppm(&g->qos.conf, dom->params.policy, tokens,
					      cap_bytes ? cap_bytes : 4096) *
				(100 + IOB_CAP_SLACK_PCT) / 100);
		if (!g->qos.has_limit)
			g->node.limit_ppm = 0;
		spin_unlock(&g->lock);
		if (g->floor.counts)
			ppm += g->res_ppm;
	}
	if (all_ios)
		dom->avg_bytes = div64_u64(all_bytes, all_ios);
	scale = iob_reserve_scale(ppm);
	if (scale != dom->res_scale && scale < IOB_SCALE_ONE * 95 / 100)
		DMINFO_LIMIT("%s: reservations ask for %llu%% of the device: each gets %u%% of what it asks",
			     dom->name, div_u64(ppm, 10000),
			     scale * 100 / IOB_SCALE_ONE);
	WRITE_ONCE(dom->res_ppm, ppm);
	WRITE_ONCE(dom->res_scale, scale);
	list_for_each_entry(g, &dom->groups, dom_node)
		g->node.reserve_ppm = (u64)g->res_ppm * scale / IOB_SCALE_ONE;
}

/*
 * A latency window ends: give the controller each active group's counts
 * and its part of the device, and set the caps it decides.  A window
 * much longer than IOB_LAT_WINDOW_NS (the device was idle) decides
 * nothing: its counts are old.  Called with dom->lock held.
 */
static void latency_window(struct ioband_domain *dom, u64 now)
{
	u64 len = ioband_since(now, dom->lat_start_ns);
	bool fresh = len <= 2 * IOB_LAT_WINDOW_NS, on = false;
	struct iob_lat *head = NULL, **tail = &head;
	enum iob_lat_decision d = IOB_LAT_IDLE;
	struct ioband_group *g;

	list_for_each_entry(g, &dom->groups, dom_node) {
		g->lat.target_ns = (u64)READ_ONCE(g->qos.conf.latency_us) * NSEC_PER_USEC;
		latency_counts_start(g, &g->lat);
		g->lat.part_ppm = g->floor.part_ppm;
		g->lat.reserved = g->floor.floored;
		*tail = &g->lat;
		tail = &g->lat.next;
	}
	*tail = NULL;
	if (fresh) {
		d = iob_lat_window(&dom->lat, head, len);
	} else {
		/* what it did before it was idle is not what it did of late */
		dom->lat.recent_bps = 0;
		/* nor did a window hold since: no pin, no halving, until one does */
		dom->lat.held = false;
		dom->lat.late = 0;
		dom->lat.grew = false;
	}
	list_for_each_entry(g, &dom->groups, dom_node) {
		if (!fresh) {
			g->lat.cap_bps = 0;
			g->lat.ceil_bps = 0;
		}
		spin_lock(&g->lock);
		if (g->lat.cap_bps && !g->lat_cap)
			g->lat_vt = now;
		WRITE_ONCE(g->lat_cap, g->lat.cap_bps);
		spin_unlock(&g->lock);
		if (g->lat.target_ns || g->lat.cap_bps)
			trace_ioband_latency(dom->name, g->id, d,
					     g->qos.conf.latency_us, g->lat.n,
					     g->lat.over, g->lat.bytes,
					     g->lat.cap_bps, g->lat.ceil_bps,
					     dom->lat.peak_bps);
		on |= g->lat.target_ns || g->lat.cap_bps;
	}
	dom->lat_start_ns = now;
	WRITE_ONCE(dom->lat_next_ns, now + IOB_LAT_WINDOW_NS);
	WRITE_ONCE(dom->lat_on, on);
}

/*
 * An epoch ends: the shares of the next.  Reservations and limits follow
 * the device's rate, so with any of them every group's part is made
 * again; so it is when the groups that used the device changed
 * (@changed).  Otherwise every part stays and only the token base moves:
 * no pass over the groups (each takes its share when next touched).
 * Called with dom->lock held, before the next epoch is published.
 */
static void epoch_reshare(struct ioband_domain *dom, bool changed, u64 done,
			  u64 len)
{
	u32 base;

	lockdep_assert_held(&dom->lock);
	if (dom->any_qos) {
		rescale_reservations(dom, done, len);
	} else {
		WRITE_ONCE(dom->res_ppm, 0);
		WRITE_ONCE(dom->res_scale, IOB_SCALE_ONE);
	}
	if (changed || dom->any_qos) {
		domain_reshare(dom, true, dom->clock.epoch + 1);
		return;
	}
	/*
	 * The groups on dom->left are all counted, by the shares in force
	 * and this epoch alike (a group with one but not the other is a
	 * change): they stay on it.
	 */
	base = iob_token_base(&dom->params, &dom->clock);
	if (base != dom->share_base)
		new_base(dom, base);
}

/* The group's state for iob_classify.  Called with g->lock held. */
static void group_state(struct ioband_group *g, u64 now,
			struct iob_gstate *st)
{
	st->bucket = &g->bucket;
	st->held = g->held;
	st->inflight = inflight(g);
	st->last_active_ns = READ_ONCE(g->last_active_ns);
	st->think_ns = READ_ONCE(g->think_ns);
	st->svc_ns = READ_ONCE(g->svc_ns);
	st->limit_at = 0;
	st->limit_bound = tree_limit_bound(g, now);
	if (g->held) {
		struct ioband_io *io = dm_per_bio_data(bio_list_peek(&g->queue),
						       sizeof(*io));

		st->limit_at = tree_limit_at(g, io->dir);
	}
}

/*
 * One round over the domain's groups: refill, dispatch what may go, and
 * decide whether a new epoch starts.  Returns the verdict; bios to submit
 * are left in @out, and *@wake_at is when the dispatcher must look again
 * if nothing else makes it (0: not before a bio arrives or completes).
 */
static enum iob_verdict dispatch_round(struct ioband_domain *dom,
				       struct bio_list *out, u64 *wake_at)
{
	struct ioband_group *g, *next;
	struct iob_round r;
	enum iob_verdict v;
	u64 retry = 0, done, len;
	bool quiet, changed = false;
	int cpu;
	u64 now;

	spin_lock_irq(&dom->lock);
	/*
	 * Waiting for busy groups until this round says otherwise, before it
	 * reads their users counts: a completion that empties a group after
	 * the round read it sees this and kicks (a store, a full barrier and
	 * a load on both sides; the completion's is its atomic_dec_return).
	 */
	if (!dom->wait_busy)
		WRITE_ONCE(dom->wait_busy, true);
	/* pairs with the atomic_dec_return() of g->users in ioband_complete() */
	smp_mb();
	domain_settle(dom);
	/* a round that finds no room takes the stocks back again */
	iob_slots_unwait(&dom->slots[READ]);
	iob_slots_unwait(&dom->slots[WRITE]);
	now = ktime_get_ns();
	if (dom->lat_on && now >= dom->lat_next_ns)
		latency_window(dom, now);
	quiet = domain_quiet(dom);
	iob_round_init(&r);
	/* idle groups can be neither ready nor busy: only dom->busy */
	list_for_each_entry_safe(g, next, &dom->busy, busy_node) {
		struct iob_gstate st;
		u64 until = 0;
		enum iob_class c;

		spin_lock(&g->lock);
		share_refresh(dom, g);
		iob_refill(&g->bucket, dom->clock.epoch, dom->params.carryover);
		group_state(g, now, &st);
		g->floor.counts = iob_used_since(&st, dom->clock.start_ns);
		c = iob_classify(&st, now, quiet, &until);
		if (c == IOB_READY)
			take_ready(dom, g, now, out);
		else
			busy_check(g, &st, now);
		spin_unlock(&g->lock);
		iob_round_add(&r, c, 0, until);
	}
	/* what every group completed: no jump when groups come and go */
	for_each_possible_cpu(cpu)
		r.completed += READ_ONCE(per_cpu_ptr(dom->pc, cpu)->completed);
	v = iob_round_verdict(&r, &dom->params, now, &dom->clock, &retry);
	if (v == IOB_ADVANCE) {
		DMDEBUG("%s: epoch %llu ends after %llu us (waited %llu us, busy %d, rate %llu, reserve scale %u)",
			dom->name, dom->clock.epoch,
			div_u64(now - dom->clock.start_ns, NSEC_PER_USEC),
			dom->clock.wait_ns ? div_u64(now - dom->clock.wait_ns, NSEC_PER_USEC) : 0,
			r.busy, dom->clock.rate, dom->res_scale);
		/*
		 * Did the groups that used the device change?  Only those on
		 * dom->busy (the rounds just counted them) and dom->left can
		 * have been, or be, counted: not every attached group.
		 */
		list_for_each_entry(g, &dom->busy, busy_node) {
			DMDEBUG("  group %lld tokens %lld/%lld held %u inflight on %u CPUs idle %lld us think %llu us svc %llu us",
				g->id, g->bucket.tokens, g->bucket.share, g->held,
				inflight(g),
				(s64)(now - g->last_active_ns) / 1000,
				div_u64(g->think_ns, NSEC_PER_USEC),
				div_u64(g->svc_ns, NSEC_PER_USEC));
			changed |= g->floor.counts != g->node.busy;
		}
		list_for_each_entry(g, &dom->left, left_node) {
			/* one the rounds did not look at: used this epoch? */
			g->floor.counts = READ_ONCE(g->held) || inflight(g) ||
				READ_ONCE(g->last_active_ns) >= dom->clock.start_ns;
			DMDEBUG("  group %lld idle, part %u ppm, used this epoch %d, counted %d",
				g->id, g->share_ppm, g->floor.counts,
				g->node.busy);
			changed |= g->floor.counts != g->node.busy;
		}
		done = r.completed - dom->clock.start_completed;
		len = now - dom->clock.start_ns;
		trace_ioband_epoch(dom->name, dom->clock.epoch, len, done,
				   dom->res_scale);
		iob_clock_measure(&dom->clock, &dom->params, now, r.completed);
		epoch_reshare(dom, changed, done, len);
		/*
		 * The next epoch's shares first, then its number: an admit
		 * that refills for the new epoch takes the new base
		 * (ioband_admit).  The base is published before the
		 * generation (new_base), the generation before the epoch.
		 */
		smp_wmb();
		WRITE_ONCE(dom->clock.epoch, dom->clock.epoch + 1);
	}
	*wake_at = r.wake_ns;
	if (v == IOB_WAIT && (!*wake_at || retry < *wake_at))
		*wake_at = retry;
	/*
	 * A round that found a group ready and sent nothing (the domain no
	 * longer quiet by the time it took) keeps it too: the completion
	 * that makes the domain quiet again is what that group waits for.
	 */
	if (v != IOB_WAIT && !(v == IOB_DISPATCH && bio_list_empty(out)))
		WRITE_ONCE(dom->wait_busy, false);
	spin_unlock_irq(&dom->lock);
	return v;
}

static void ioband_dispatch(struct ioband_domain *dom)
{
	for (;;) {
		struct bio_list out = BIO_EMPTY_LIST;
		enum iob_verdict v;
		u64 wake_at = 0;
		bool sent;

		v = dispatch_round(dom, &out, &wake_at);
		sent = !bio_list_empty(&out);
		submit_list(&out);
		/*
		 * Nothing went though a group was ready: io_limit reached,
		 * and the completion that frees a slot kicks us
		 * (ioband_complete); or what made it ready changed during
		 * the round (the domain no longer quiet, a shared limit
		 * spent by a sibling), and nothing may kick us: look again
		 * soon, whatever later wake-up the round asked for.
		 */
		if (v == IOB_DISPATCH && !sent) {
			u64 look = ktime_get_ns() + IOB_WAIT_LOOK_NS;

			if (!wake_at || look < wake_at)
				wake_at = look;
		}
		if (v == IOB_NOTHING || v == IOB_WAIT ||
		    (v == IOB_DISPATCH && !sent)) {
			if (wake_at)
				hrtimer_start(&dom->timer, ns_to_ktime(wake_at),
					      HRTIMER_MODE_ABS);
			return;
		}
		cond_resched();
	}
}

static void ioband_dispatch_work(struct work_struct *work)
{
	ioband_dispatch(container_of(work, struct ioband_domain, work));
}
