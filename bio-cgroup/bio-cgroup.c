// SPDX-License-Identifier: GPL-2.0
/*
 * bio-cgroup: the owner of a bio is the memory cgroup of its pages.
 *
 * The kernel charges every page-cache and anonymous page to a memory
 * cgroup when it is allocated.  Reading that tag from the bio's first
 * pages gives the cgroup that dirtied (or will read into) them, also when
 * a flusher kernel thread submits the bio long after.  Bios without data
 * (flushes, discards, write-zeroes) and bios whose pages carry no memory
 * cgroup (kernel buffers) belong to the submitting task's cgroup.
 *
 * Attribution can be switched off with the module parameter "enable"
 * (/sys/module/bio_cgroup/parameters/enable): then every bio belongs to
 * its submitter, as in a controller that looks only at current.
 */
#include <linux/bio.h>
#include <linux/cgroup.h>
#include <linux/memcontrol.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>

#include "bio-cgroup.h"

static bool enable = true;
module_param(enable, bool, 0644);
MODULE_PARM_DESC(enable, "Charge bios to their pages' memory cgroup (default: yes)");

/* Pages looked at per bio: a bio's pages nearly always share an owner. */
#define BIO_CGROUP_PAGES 4

static struct cgroup *page_owner(struct page *page)
{
	struct mem_cgroup *memcg;

	/* memcg_data lives on the head page of a compound page. */
	memcg = page_memcg_check(compound_head(page));
	if (!memcg)
		return NULL;
	return memcg->css.cgroup;
}

struct cgroup *bio_cgroup_owner(struct bio *bio)
{
	struct bvec_iter iter;
	struct bio_vec bv;
	int n = 0;

	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "bio-cgroup: owner lookup outside rcu_read_lock()");
	/*
	 * On cgroup v1 a memcg is not a v2 cgroup, and ioband's ids are
	 * v2 ids: the submitter it is.
	 */
	if (!READ_ONCE(enable) || !bio_has_data(bio) || mem_cgroup_disabled() ||
	    !cgroup_subsys_on_dfl(memory_cgrp_subsys))
		return task_dfl_cgroup(current);
	bio_for_each_segment(bv, bio, iter) {
		struct cgroup *cgrp = page_owner(bv.bv_page);

		if (cgrp)
			return cgrp;
		if (++n == BIO_CGROUP_PAGES)
			break;
	}
	return task_dfl_cgroup(current);
}
EXPORT_SYMBOL_GPL(bio_cgroup_owner);

static int __init bio_cgroup_init(void)
{
	return 0;
}

static void __exit bio_cgroup_exit(void)
{
}

module_init(bio_cgroup_init);
module_exit(bio_cgroup_exit);

MODULE_DESCRIPTION("bio-cgroup: the cgroup that owns a bio, from its pages' memory cgroup");
MODULE_AUTHOR("The ioband developers");
MODULE_LICENSE("GPL");
MODULE_VERSION("2.0.0");
