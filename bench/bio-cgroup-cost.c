// SPDX-License-Identifier: GPL-2.0
/*
 * make bench only (never installed): what bio_cgroup_owner() costs per bio,
 * timed in the kernel, where a VM's IOPS are far too noisy to show it.
 *
 *   insmod bio-cgroup-cost.ko file=PATH
 *
 * takes the first four pages of PATH from the page cache (written by the
 * caller, so charged to its memory cgroup; -ENODATA if one is not there)
 * and times, in alternating blocks of calls, bio_cgroup_owner() on a bio
 * of those pages (the page lookup that finds the dirtier) and on a bio
 * without data (what the call costs with the lookup off: the submitter's
 * cgroup at once).  Each block is timed as a whole; the fastest block of
 * each kind is the call as it runs when no interrupt or host gets in the
 * way.  The result goes to the kernel log; the module stays loaded until
 * removed.
 */
#include <linux/bio.h>
#include <linux/cgroup.h>
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/pagemap.h>

#include "bio-cgroup.h"

#define COST_PAGES	4
#define COST_BLOCKS	200
#define COST_CALLS	1000

static char *file;
module_param(file, charp, 0444);
MODULE_PARM_DESC(file, "a file whose first 4 pages are in the page cache");

static u64 time_block(struct bio *bio, unsigned long *sink)
{
	u64 t0, t1;
	int i;

	rcu_read_lock();
	t0 = ktime_get_ns();
	for (i = 0; i < COST_CALLS; i++)
		*sink ^= (unsigned long)bio_cgroup_owner(bio);
	t1 = ktime_get_ns();
	rcu_read_unlock();
	return t1 - t0;
}

static int __init cost_init(void)
{
	struct page *pages[COST_PAGES] = { NULL };
	struct bio_vec vecs[COST_PAGES];
	struct bio data, empty;
	u64 best_data = U64_MAX, best_empty = U64_MAX;
	unsigned long sink = 0;
	struct cgroup *owner;
	struct file *f;
	int i, r = 0;

	if (!file)
		return -EINVAL;
	f = filp_open(file, O_RDONLY, 0);
	if (IS_ERR(f))
		return PTR_ERR(f);
	bio_init(&data, NULL, vecs, COST_PAGES, REQ_OP_WRITE);
	for (i = 0; i < COST_PAGES; i++) {
		/* no read: tmpfs, for one, has nothing to read with */
		pages[i] = find_get_page(f->f_mapping, i);
		if (!pages[i]) {
			r = -ENODATA;
			goto out;
		}
		__bio_add_page(&data, pages[i], PAGE_SIZE, 0);
	}
	bio_init(&empty, NULL, NULL, 0, REQ_OP_WRITE | REQ_PREFLUSH);

	for (i = 0; i < COST_BLOCKS; i++) {
		best_data = min(best_data, time_block(&data, &sink));
		best_empty = min(best_empty, time_block(&empty, &sink));
		cond_resched();
	}
	rcu_read_lock();
	owner = bio_cgroup_owner(&data);
	pr_info("bio-cgroup-cost: owner cgroup %llu; ns per %d calls, best of %d blocks: with pages %llu, without data %llu\n",
		cgroup_id(owner), COST_CALLS, COST_BLOCKS, best_data,
		best_empty);
	rcu_read_unlock();
out:
	for (i = 0; i < COST_PAGES; i++)
		if (pages[i])
			put_page(pages[i]);
	filp_close(f, NULL);
	return r;
}

static void __exit cost_exit(void)
{
}

module_init(cost_init);
module_exit(cost_exit);

MODULE_DESCRIPTION("make bench: the cost of bio_cgroup_owner() per bio");
MODULE_LICENSE("GPL");
