// SPDX-License-Identifier: GPL-2.0
/*
 * dm-ioband groups: which group a bio belongs to, attaching and detaching
 * groups on a target, the tree cgroup groups form, and the per-child
 * groups of a marked cgroup (made on a child's first bio, removed when
 * the cgroup is gone and the group idle).
 */
#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uidgid.h>

#include "ioband.h"
#include "bio-cgroup.h"

static void group_free(struct ioband_group *g)
{
	free_percpu(g->pc);
	kfree(g);
}

static void group_free_rcu(struct rcu_head *rcu)
{
	group_free(container_of(rcu, struct ioband_group, rcu));
}

/*
 * Free @g a grace period from now (map() may still be looking at it under
 * RCU): called by whoever took g->users to 0.
 */
void ioband_group_put(struct ioband_group *g)
{
	call_rcu(&g->rcu, group_free_rcu);
}

/* ioband_group_sum() adds them up as an array */
static_assert(sizeof(struct ioband_stats) % sizeof(u64) == 0);

/* @g's completion counts on every CPU: what it ever completed. */
void ioband_group_sum(struct ioband_group *g, struct ioband_stats *sum)
{
	u64 *out = (u64 *)sum;
	unsigned int i;
	int cpu;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		const u64 *c = (const u64 *)&per_cpu_ptr(g->pc, cpu)->s;

		for (i = 0; i < sizeof(*sum) / sizeof(u64); i++)
			out[i] += READ_ONCE(c[i]);
	}
}

/* One place that initialises a group's locks: one lockdep class each. */
static struct ioband_group *group_new(struct ioband_target *ib, s64 id,
				      u32 weight, gfp_t gfp)
{
	struct ioband_group *g = kzalloc(sizeof(*g), gfp);

	if (!g)
		return NULL;
	g->pc = alloc_percpu_gfp(struct ioband_pcpu, gfp);
	if (!g->pc) {
		kfree(g);
		return NULL;
	}
	atomic_set(&g->users, 1);	/* its own reference (ioband.h) */
	g->ib = ib;
	g->id = id;
	g->weight = weight;
	INIT_LIST_HEAD(&g->dom_node);
	INIT_LIST_HEAD(&g->busy_node);
	INIT_LIST_HEAD(&g->left_node);
	spin_lock_init(&g->lock);
	spin_lock_init(&g->qos_lock);
	bio_list_init(&g->queue);
	return g;
}

struct ioband_group *ioband_group_alloc(struct ioband_target *ib, s64 id,
					u32 weight)
{
	return group_new(ib, id, weight, GFP_KERNEL);
}

struct ioband_group *ioband_group_find(struct ioband_target *ib, s64 id)
{
	if (id == IOB_DEFAULT_GROUP_ID)
		return ib->def;
	return xa_load(&ib->groups, (unsigned long)id);
}

/*
 * The group of @cgrp's nearest attached ancestor (itself included), or
 * NULL; *@below is the cgroup one step down from it towards @cgrp (NULL
 * if it is @cgrp's own).  Called under rcu_read_lock().
 */
struct ioband_group *ioband_group_of_cgroup(struct ioband_target *ib,
					    struct cgroup *cgrp,
					    struct cgroup **below)
{
	struct ioband_group *g;

	*below = NULL;
	for (; cgrp; *below = cgrp, cgrp = cgroup_parent(cgrp)) {
		g = xa_load(&ib->groups, (unsigned long)cgroup_id(cgrp));
		if (g)
			return g;
	}
	return NULL;
}

/*
 * A group of its own for @child, a child cgroup of @parent's, which is
 * marked: made without sleeping, or @parent if that cannot be done now
 * (counted).  Called under rcu_read_lock().
 */
static struct ioband_group *spawn(struct ioband_target *ib,
				  struct ioband_group *parent,
				  struct cgroup *child)
{
	unsigned long id = (unsigned long)cgroup_id(child);
	struct ioband_group *g, *old;
	unsigned long flags;
	int r = -ENOENT;

	/* a cgroup being removed (writeback of its pages) gets none */
	if (!css_tryget_online(&child->self))
		goto fallback;
	g = group_new(ib, id, IOB_DEFAULT_WEIGHT, GFP_NOWAIT | __GFP_NOWARN);
	if (!g) {
		css_put(&child->self);
		goto fallback;
	}
	g->auto_child = true;
	g->cgrp = child;
	g->parent = parent;

	/* the mark and the parent's place are read and cleared under xa_lock */
	atomic_inc(&ib->nr_auto);
	xa_lock_irqsave(&ib->groups, flags);
	old = xa_load(&ib->groups, id);
	if (!old && parent->children &&
	    xa_load(&ib->groups, (unsigned long)parent->id) == parent)
		r = __xa_insert(&ib->groups, id, g, GFP_NOWAIT | __GFP_NOWARN);
	xa_unlock_irqrestore(&ib->groups, flags);
	if (r) {
		atomic_dec(&ib->nr_auto);
		css_put(&child->self);
		group_free(g);
		if (old)	/* another CPU made it first */
			return old;
		goto fallback;
	}
	ioband_groups_changed(ib);
	ioband_domain_link(ib->dom, g, parent);
	/* groups attached below the child's cgroup have a new parent */
	WRITE_ONCE(ib->relink, true);
	mod_delayed_work(system_wq, &ib->reaper, 0);
	return g;
fallback:
	atomic64_inc(&ib->auto_fallbacks);
	return parent;
}

/*
 * Which group an id's bios go to has changed (ib->groups, a mark, the
 * type): each CPU looks its next id up again.  After the change, and
 * before a group that left the xarray can be freed.
 */
void ioband_groups_changed(struct ioband_target *ib)
{
	smp_mb__before_atomic();	/* the change first: owner_lookup */
	atomic64_inc(&ib->groups_gen);
}

/*
 * The group of id @id as this CPU last found it, at groups_gen @gen, or
 * false.  A bio usually comes from the tenant the CPU's last bio came
 * from: one compare, not a walk up a cgroup's ancestors with an xarray
 * load at each level.
 */
static bool last_found(struct ioband_target *ib, u64 gen, u64 id,
		       struct ioband_group **g)
{
	struct ioband_target_pcpu *pc;
	unsigned long flags;
	bool hit;

	local_irq_save(flags);
	pc = this_cpu_ptr(ib->pc);
	hit = pc->last_gen == gen && pc->last_id == id;
	*g = pc->last_g;
	local_irq_restore(flags);
	return hit;
}

static void set_last_found(struct ioband_target *ib, u64 gen, u64 id,
			   struct ioband_group *g)
{
	struct ioband_target_pcpu *pc;
	unsigned long flags;

	local_irq_save(flags);
	pc = this_cpu_ptr(ib->pc);
	pc->last_gen = gen;
	pc->last_id = id;
	pc->last_g = g;
	local_irq_restore(flags);
}

/*
 * The group of @id (@cgrp's, for cgroups), not kept on this CPU: looked
 * up, and kept under @gen.  Out of line: the path of a bio of the tenant
 * the CPU last saw is owner_lookup's first half.
 */
static noinline struct ioband_group *owner_find(struct ioband_target *ib,
						enum iob_type type,
						struct cgroup *cgrp, u64 id,
						u64 gen)
{
	struct ioband_group *g;
	struct cgroup *below;

	if (type == IOB_TYPE_CGROUP) {
		g = ioband_group_of_cgroup(ib, cgrp, &below);
		/* made or not, not kept: a group made moved the gen */
		if (g && below && READ_ONCE(g->children))
			return spawn(ib, g, below);
	} else {
		g = xa_load(&ib->groups, (unsigned long)id);
	}
	set_last_found(ib, gen, id, g);
	return g;
}

static struct ioband_group *owner_lookup(struct ioband_target *ib,
					 struct bio *bio)
{
	/*
	 * Read before the xarray (ioband_groups_changed): what is found is
	 * kept under a gen no newer than what it saw.  A group kept under
	 * the gen this RCU read section read is freed only a grace period
	 * after a move of the gen that the section has not seen: not
	 * during the section.
	 */
	u64 gen = atomic64_read_acquire(&ib->groups_gen);
	enum iob_type type = READ_ONCE(ib->type);
	struct cgroup *cgrp = NULL;
	struct ioband_group *g;
	u64 id;

	switch (type) {
	case IOB_TYPE_CGROUP:
		/* the pages' owner: writeback belongs to who dirtied */
		cgrp = bio_cgroup_owner(bio);
		id = cgroup_id(cgrp);
		break;
	case IOB_TYPE_UID:
		id = from_kuid(&init_user_ns, current_uid());
		break;
	case IOB_TYPE_GID:
		id = from_kgid(&init_user_ns, current_gid());
		break;
	case IOB_TYPE_PID:
		id = task_tgid_nr(current);
		break;
	case IOB_TYPE_PGRP:
		id = task_pgrp_nr(current);
		break;
	default:
		return NULL;
	}
	if (last_found(ib, gen, id, &g))
		return g;
	return owner_find(ib, type, cgrp, id, gen);
}

/* The group @bio is charged to.  Called under rcu_read_lock(). */
struct ioband_group *ioband_group_of_bio(struct ioband_target *ib,
					 struct bio *bio)
{
	struct ioband_group *g = NULL;

	if (READ_ONCE(ib->nr_groups))
		g = owner_lookup(ib, bio);
	return g ? g : ib->def;
}

/*
 * The group of the nearest attached ancestor of @g's cgroup, or NULL.  A
 * per-child group's parent is the marked group it was made for.
 */
static struct ioband_group *find_parent(struct ioband_target *ib,
					struct ioband_group *g)
{
	struct ioband_group *p = NULL;
	struct cgroup *cgrp, *c;

	if (g->auto_child)
		return g->parent;
	cgrp = cgroup_get_from_id(g->id);
	if (IS_ERR(cgrp))
		return NULL;	/* not (or no longer) a cgroup: at the top */
	rcu_read_lock();
	for (c = cgroup_parent(cgrp); c && !p; c = cgroup_parent(c))
		p = xa_load(&ib->groups, (unsigned long)cgroup_id(c));
	rcu_read_unlock();
	cgroup_put(cgrp);
	return p;
}

/*
 * Link every group to its parent, after a group came or a limit changed.
 * Called with ib->cfg_lock held.  O(groups x depth).
 */
void ioband_group_relink(struct ioband_target *ib)
{
	struct ioband_group *g, *p;
	unsigned long id;

	xa_for_each(&ib->groups, id, g) {
		p = ib->type == IOB_TYPE_CGROUP ? find_parent(ib, g) : NULL;
		if (p != g->parent)
			ioband_domain_link(ib->dom, g, p);
	}
}

static void group_retire(struct ioband_target *ib, struct ioband_group *g)
{
	/*
	 * Dead before it leaves the domain: map() may be activating a group
	 * it has just made (ioband_domain_link), and does not once it is.
	 */
	spin_lock_irq(&g->lock);
	WRITE_ONCE(g->dead, true);
	spin_unlock_irq(&g->lock);
	if (ib->dom)	/* none yet when the ctr fails early */
		ioband_domain_deactivate(ib->dom, g);
	if (g->auto_child)
		css_put(&g->cgrp->self);
	ioband_group_retire(g);
}

static void remove_group(struct ioband_target *ib, struct ioband_group *g);

/* Remove the groups @g's mark made.  Called with cfg_lock held. */
static void remove_made_by(struct ioband_target *ib, struct ioband_group *g)
{
	struct ioband_group *c;
	unsigned long id;

	xa_for_each(&ib->groups, id, c) {
		if (c->auto_child && c->parent == g) {
			xa_erase_irq(&ib->groups, id);
			ioband_groups_changed(ib);
			remove_group(ib, c);
		}
	}
}

/*
 * @g has left the xarray: remove the groups made for it, link its other
 * children to its parent, and retire it.  Called with cfg_lock held.
 */
static void remove_group(struct ioband_target *ib, struct ioband_group *g)
{
	struct ioband_group *c;
	unsigned long id;

	if (g->auto_child) {
		atomic_dec(&ib->nr_auto);
	} else {
		WRITE_ONCE(ib->nr_groups, ib->nr_groups - 1);
		if (g->children)
			ib->nr_marked--;
	}
	remove_made_by(ib, g);
	xa_for_each(&ib->groups, id, c)
		if (c->parent == g)
			ioband_domain_link(ib->dom, c, find_parent(ib, c));
	group_retire(ib, g);
}

/*
 * Called with ib->cfg_lock held; the caller links the tree again
 * (ioband_group_relink) once it has attached what it attaches.
 */
int ioband_group_attach(struct ioband_target *ib, s64 id, u32 weight)
{
	struct ioband_group *g;
	int r;

	g = ioband_group_alloc(ib, id, weight);
	if (!g)
		return -ENOMEM;
	r = xa_insert_irq(&ib->groups, (unsigned long)id, g, GFP_KERNEL);
	if (!r) {
		ioband_groups_changed(ib);
	} else {
		group_free(g);
		if (r != -EBUSY)
			return r;
		g = xa_load(&ib->groups, (unsigned long)id);
		if (!g->auto_child)
			return r;	/* -EBUSY: attached already */
		/* a per-child group becomes one of the configuration */
		atomic_dec(&ib->nr_auto);
		css_put(&g->cgrp->self);
		g->cgrp = NULL;
		g->auto_child = false;
		WRITE_ONCE(g->weight, weight);
		ioband_domain_reweight(ib->dom);
	}
	/* a group map() made may not be active yet: it is now */
	if (ib->resumed)
		ioband_domain_activate(ib->dom, g);
	WRITE_ONCE(ib->nr_groups, ib->nr_groups + 1);
	return 0;
}

/* Called with ib->cfg_lock held. */
int ioband_group_detach(struct ioband_target *ib, s64 id)
{
	struct ioband_group *g = xa_load(&ib->groups, (unsigned long)id);

	if (!g || g->auto_child)
		return -ENOENT;
	xa_erase_irq(&ib->groups, (unsigned long)id);
	ioband_groups_changed(ib);
	remove_group(ib, g);
	return 0;
}

/*
 * Mark @id's group so that each child cgroup of its own is a group, or
 * take the mark away (and the groups it made).  cfg_lock held.
 */
int ioband_group_mark(struct ioband_target *ib, s64 id, bool children)
{
	struct ioband_group *g = xa_load(&ib->groups, (unsigned long)id);

	if (!g || g->auto_child)
		return -ENOENT;
	if (g->children == children)
		return 0;
	xa_lock_irq(&ib->groups);
	WRITE_ONCE(g->children, children);
	xa_unlock_irq(&ib->groups);
	ioband_groups_changed(ib);
	if (children) {
		if (!ib->nr_marked++ && ib->resumed)
			mod_delayed_work(system_wq, &ib->reaper, HZ);
		return 0;
	}
	ib->nr_marked--;
	remove_made_by(ib, g);
	return 0;
}

/*
 * Is @g's cgroup gone (removed: its self css is offline; css_is_dying()
 * does not say so for it on 6.12), and nothing of its left in ioband?
 */
static bool reapable(struct ioband_group *g)
{
	bool idle;

	if (!g->auto_child || (READ_ONCE(g->cgrp->self.flags) & CSS_ONLINE))
		return false;
	spin_lock_irq(&g->lock);
	idle = !g->held && atomic_read(&g->users) == 1;
	spin_unlock_irq(&g->lock);
	return idle;
}

/*
 * Once a second while a group is marked, and at once after map() made a
 * group: remove gone cgroups' groups and link the tree again.
 */
void ioband_reaper_fn(struct work_struct *work)
{
	struct ioband_target *ib = container_of(to_delayed_work(work),
						struct ioband_target, reaper);
	struct ioband_group *g;
	unsigned long id;

	mutex_lock(&ib->cfg_lock);
	xa_for_each(&ib->groups, id, g) {
		if (reapable(g)) {
			xa_erase_irq(&ib->groups, id);
			ioband_groups_changed(ib);
			remove_group(ib, g);
		}
	}
	/* map() made groups: link what is below them to them */
	if (READ_ONCE(ib->relink)) {
		WRITE_ONCE(ib->relink, false);
		ioband_group_relink(ib);
	}
	if (ib->nr_marked || atomic_read(&ib->nr_auto))
		schedule_delayed_work(&ib->reaper, HZ);
	mutex_unlock(&ib->cfg_lock);
}

void ioband_group_destroy_all(struct ioband_target *ib)
{
	struct ioband_group *g;
	unsigned long id;

	xa_for_each(&ib->groups, id, g) {
		xa_erase_irq(&ib->groups, id);
		ioband_groups_changed(ib);
		group_retire(ib, g);
	}
	ib->nr_groups = 0;
	ib->nr_marked = 0;
	atomic_set(&ib->nr_auto, 0);
	group_retire(ib, ib->def);
}
