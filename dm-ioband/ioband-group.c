// SPDX-License-Identifier: GPL-2.0
/*
 * dm-ioband groups: which group a bio belongs to, and attaching and
 * detaching groups on a target.
 */
#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uidgid.h>

#include "ioband.h"
#include "bio-cgroup.h"

struct ioband_group *ioband_group_alloc(struct ioband_target *ib, s64 id,
					u32 weight)
{
	struct ioband_group *g = kzalloc(sizeof(*g), GFP_KERNEL);

	if (!g)
		return NULL;
	g->ib = ib;
	g->id = id;
	g->weight = weight;
	INIT_LIST_HEAD(&g->dom_node);
	spin_lock_init(&g->lock);
	bio_list_init(&g->queue);
	return g;
}

struct ioband_group *ioband_group_find(struct ioband_target *ib, s64 id)
{
	if (id == IOB_DEFAULT_GROUP_ID)
		return ib->def;
	return xa_load(&ib->groups, (unsigned long)id);
}

/*
 * The group of @cgrp's nearest attached ancestor (itself included), or
 * NULL.  Called under rcu_read_lock().
 */
struct ioband_group *ioband_group_of_cgroup(struct ioband_target *ib,
					    struct cgroup *cgrp)
{
	struct ioband_group *g;

	for (; cgrp; cgrp = cgroup_parent(cgrp)) {
		g = xa_load(&ib->groups, (unsigned long)cgroup_id(cgrp));
		if (g)
			return g;
	}
	return NULL;
}

static struct ioband_group *owner_lookup(struct ioband_target *ib,
					 struct bio *bio, struct cgroup **owner)
{
	unsigned long id;

	switch (READ_ONCE(ib->type)) {
	case IOB_TYPE_CGROUP:
		/* the pages' owner: writeback belongs to who dirtied */
		*owner = bio_cgroup_owner(bio);
		return ioband_group_of_cgroup(ib, *owner);
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
	return xa_load(&ib->groups, id);
}

/*
 * The group @bio is charged to; for a cgroup type device with groups
 * attached, *@owner is the cgroup that owns the bio (else left alone).
 * Called under rcu_read_lock().
 */
struct ioband_group *ioband_group_of_bio(struct ioband_target *ib,
					 struct bio *bio, struct cgroup **owner)
{
	struct ioband_group *g = NULL;

	if (READ_ONCE(ib->nr_groups))
		g = owner_lookup(ib, bio, owner);
	return g ? g : ib->def;
}

/* Called with ib->cfg_lock held. */
int ioband_group_attach(struct ioband_target *ib, s64 id, u32 weight)
{
	struct ioband_group *g;
	int r;

	g = ioband_group_alloc(ib, id, weight);
	if (!g)
		return -ENOMEM;
	r = xa_insert(&ib->groups, (unsigned long)id, g, GFP_KERNEL);
	if (r) {
		kfree(g);
		return r;	/* -EBUSY: attached already */
	}
	WRITE_ONCE(ib->nr_groups, ib->nr_groups + 1);
	if (ib->resumed)
		ioband_domain_activate(ib->dom, g);
	return 0;
}

static void group_retire(struct ioband_target *ib, struct ioband_group *g)
{
	if (g->active)
		ioband_domain_deactivate(ib->dom, g);
	ioband_group_retire(g);
}

/* Called with ib->cfg_lock held. */
int ioband_group_detach(struct ioband_target *ib, s64 id)
{
	struct ioband_group *g = xa_erase(&ib->groups, (unsigned long)id);

	if (!g)
		return -ENOENT;
	WRITE_ONCE(ib->nr_groups, ib->nr_groups - 1);
	group_retire(ib, g);
	return 0;
}

void ioband_group_destroy_all(struct ioband_target *ib)
{
	struct ioband_group *g;
	unsigned long id;

	xa_for_each(&ib->groups, id, g) {
		xa_erase(&ib->groups, id);
		group_retire(ib, g);
	}
	ib->nr_groups = 0;
	group_retire(ib, ib->def);
}
