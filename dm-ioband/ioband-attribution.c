// SPDX-License-Identifier: GPL-2.0
/*
 * dm-ioband attribution accuracy: for every bio of a cgroup type device,
 * does the group ioband charges (from bio-cgroup's owner: the pages'
 * memory cgroup) match the group of the cgroup the kernel itself
 * associates the bio with?
 *
 * A target cannot read the kernel's association off its clone: dm core
 * copies it there only after map, and bio_endio() drops it before end_io
 * runs.  So the check asks what the kernel asks, independently of the
 * pages' memory cgroups: for a write of page-cache pages, the cgroup that
 * owns the inode's writeback (inode->i_wb, which wbc_init_bio() uses and
 * which the kernel switches to whoever writes most of the inode); for
 * everything else, the submitting task's io cgroup (bio_associate_blkg()).
 *
 * The counts are in /sys/kernel/debug/ioband/<major:minor> while the
 * device is resumed (<major:minor>+<start sector> for a target that does
 * not start at sector 0 of its table):
 *   agree N      same group
 *   disagree N   another group
 * They are kept only while the module parameter "attribution" is 1 (a
 * static key): the check costs a second lookup on every bio of a cgroup
 * device, for counts only a test or a person looking at them wants.
 */
#include <linux/backing-dev.h>
#include <linux/cgroup.h>
#include <linux/debugfs.h>
#include <linux/jump_label.h>
#include <linux/moduleparam.h>
#include <linux/device-mapper.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>

#include "bio-cgroup.h"
#include "ioband.h"

static struct dentry *ioband_debugfs;
DEFINE_STATIC_KEY_FALSE(ioband_attr_key);

static int attr_param_set(const char *val, const struct kernel_param *kp)
{
	bool on;
	int r = kstrtobool(val, &on);

	if (r)
		return r;
	if (on)
		static_branch_enable(&ioband_attr_key);
	else
		static_branch_disable(&ioband_attr_key);
	return 0;
}

static int attr_param_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", static_key_enabled(&ioband_attr_key));
}

static const struct kernel_param_ops attr_param_ops = {
	.set = attr_param_set,
	.get = attr_param_get,
};
module_param_cb(attribution, &attr_param_ops, NULL, 0644);
MODULE_PARM_DESC(attribution, "Count how often ioband's owner of a bio agrees with the kernel's (debugfs ioband/<major:minor>[+<start>])");

int ioband_attr_init(struct ioband_target *ib)
{
	ib->attr = alloc_percpu(struct ioband_attr);
	return ib->attr ? 0 : -ENOMEM;
}

void ioband_attr_exit(struct ioband_target *ib)
{
	ioband_attr_hide(ib);
	free_percpu(ib->attr);
}

static int attr_show(struct seq_file *m, void *v)
{
	struct ioband_target *ib = m->private;
	struct ioband_attr sum = { 0 };
	int cpu;

	for_each_possible_cpu(cpu) {
		struct ioband_attr *a = per_cpu_ptr(ib->attr, cpu);

		sum.agree += READ_ONCE(a->agree);
		sum.disagree += READ_ONCE(a->disagree);
	}
	seq_printf(m, "agree %llu\ndisagree %llu\n", sum.agree, sum.disagree);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(attr);

/*
 * The file appears at resume and goes at suspend, so that a reload's two
 * tables never show at once.  It is named by the device's major:minor
 * (dm_device_name()), and a target that does not start the table also by
 * its start sector: "253:0+2048".
 */
void ioband_attr_show(struct ioband_target *ib)
{
	char name[64];

	if (!ioband_debugfs || ib->attr_file)
		return;
	if (ib->ti->begin)
		snprintf(name, sizeof(name), "%s+%llu", dm_device_name(ib->md),
			 (unsigned long long)ib->ti->begin);
	else
		strscpy(name, dm_device_name(ib->md), sizeof(name));
	ib->attr_file = debugfs_create_file(name, 0444, ioband_debugfs, ib,
					    &attr_fops);
	if (IS_ERR(ib->attr_file))
		ib->attr_file = NULL;
}

void ioband_attr_hide(struct ioband_target *ib)
{
	debugfs_remove(ib->attr_file);	/* waits for readers */
	ib->attr_file = NULL;
}

/* The cgroup the kernel associates @bio with.  Under rcu_read_lock(). */
static struct cgroup *kernel_owner(struct bio *bio)
{
	if (op_is_write(bio_op(bio)) && bio_has_data(bio)) {
		struct address_space *mapping;
		struct bdi_writeback *wb;

		/* stable: the page is under writeback or locked */
		mapping = folio_mapping(page_folio(bio_page(bio)));
		if (mapping && mapping->host) {
			wb = READ_ONCE(mapping->host->i_wb);
			if (wb && wb->blkcg_css)
				return wb->blkcg_css->cgroup;
		}
	}
	return task_css(current, io_cgrp_id)->cgroup;
}

/*
 * At map, with the group @g the bio is charged to.  Its owner is asked
 * again here, not kept by the lookup: that would cost every bio a stack
 * slot the counters seldom read (an attach, a detach or bio-cgroup
 * switched off between the two may count one bio on the wrong side).
 * With no group attached everything is the default group's.  Under
 * rcu_read_lock().
 */
void __ioband_attr_count(struct ioband_target *ib, struct bio *bio,
			 struct ioband_group *g)
{
	struct ioband_group *kg = g;
	struct cgroup *owner, *kcg, *below;

	if (READ_ONCE(ib->type) != IOB_TYPE_CGROUP)
		return;
	/* The same cgroup (the usual case) needs no second lookup. */
	if (READ_ONCE(ib->nr_groups)) {
		owner = bio_cgroup_owner(bio);
		kcg = kernel_owner(bio);
		if (kcg != owner) {
			kg = ioband_group_of_cgroup(ib, kcg, &below);
			if (!kg)
				kg = ib->def;
		}
	}
	if (kg == g)
		this_cpu_inc(ib->attr->agree);
	else
		this_cpu_inc(ib->attr->disagree);
}

void ioband_attr_module_init(void)
{
	ioband_debugfs = debugfs_create_dir("ioband", NULL);
	if (IS_ERR(ioband_debugfs))
		ioband_debugfs = NULL;
}

void ioband_attr_module_exit(void)
{
	debugfs_remove_recursive(ioband_debugfs);
}
