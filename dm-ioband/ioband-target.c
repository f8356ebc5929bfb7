// SPDX-License-Identifier: GPL-2.0
/*
 * dm-ioband: a device-mapper target that shares a device's bandwidth
 * between groups of processes by weight.
 *
 * Table line (compatible with dm-ioband 1.14):
 *   <dev> <device-group-id> <io_throttle> <io_limit> <group-type>
 *   <policy> <token-base> [carryover=<n>] [:<default-weight>]
 *   [<group-id>:<weight> ...] [children=<group-id> ...]
 *   [limit=<group-id>:<key>=<n>,...] [reserve=<group-id>:<key>=<n>,...]
 *   [latency=<group-id>:<usec>]
 *
 * See Documentation/ioband.rst.
 */
#include <linux/blkdev.h>
#include <linux/cpu.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "ioband.h"

#define IOBAND_VERSION_STR "2.0.0"

/* Log why a message was refused, with the device's name; -EINVAL. */
static __printf(2, 3) int ioband_refuse(struct ioband_target *ib,
					const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	DMERR("%s: %pV", dm_device_name(ib->md), &vaf);
	va_end(args);
	return -EINVAL;
}

/* Attach the table line's groups; the default group exists already. */
static int attach_groups(struct ioband_target *ib, const struct iob_table *t,
			 char **error)
{
	u64 now = ktime_get_ns();
	unsigned int i;
	int r;

	ib->def->weight = t->def_weight;
	iob_qos_set(&ib->def->qos, &t->def_qos, now);
	for (i = 0; i < t->ngroups; i++) {
		r = ioband_group_attach(ib, t->groups[i].id, t->groups[i].weight);
		if (r) {
			*error = "Cannot allocate group";
			return r;
		}
		/* not active yet: nothing else sees the group */
		iob_qos_set(&ioband_group_find(ib, t->groups[i].id)->qos,
			    &t->groups[i].qos, now);
		if (t->groups[i].children)
			ioband_group_mark(ib, t->groups[i].id, true);
	}
	return 0;
}

/* @cpu's batches of @ib's groups into their histograms (cfg_lock held). */
static void lat_flush_groups(struct ioband_target *ib, int cpu)
{
	struct ioband_group *g;
	unsigned long id;

	ioband_group_lat_flush(ib->def, cpu);
	xa_for_each(&ib->groups, id, g) {
		ioband_group_lat_flush(g, cpu);
		cond_resched();
	}
}

/* The work on one CPU: its batches, if it has any since the last. */
static void lat_flush_fn(struct work_struct *work)
{
	struct ioband_target_pcpu *p =
		container_of(work, struct ioband_target_pcpu, lat_work);

	/* before the walk: a completion after it sets the flag again */
	WRITE_ONCE(p->lat_dirty, false);
	lat_flush_groups(p->ib, p->cpu);
}

/*
 * Every CPU's batches of completions of @ib's groups into the histograms,
 * before they are read or zeroed: on each CPU that completed one of their
 * bios since, by a work bound to it (a walk of every group: not in an
 * interrupt); an offline CPU's here, with hotplug held off.  Called with
 * cfg_lock held: groups leave ib->groups only under it, so none goes
 * while the works walk them.  As schedule_on_each_cpu(), it waits for
 * those CPUs' kworkers: a CPU that a real-time task keeps busy delays it.
 */
static void lat_flush_all(struct ioband_target *ib)
{
	int cpu;

	cpus_read_lock();
	for_each_online_cpu(cpu)
		if (READ_ONCE(per_cpu_ptr(ib->pc, cpu)->lat_dirty))
			queue_work_on(cpu, system_wq,
				      &per_cpu_ptr(ib->pc, cpu)->lat_work);
	for_each_online_cpu(cpu)
		flush_work(&per_cpu_ptr(ib->pc, cpu)->lat_work);
	for_each_possible_cpu(cpu) {
		struct ioband_target_pcpu *p = per_cpu_ptr(ib->pc, cpu);

		if (!cpu_online(cpu) && p->lat_dirty) {
			p->lat_dirty = false;
			lat_flush_groups(ib, cpu);
		}
	}
	cpus_read_unlock();
}

static int ioband_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct ioband_domain *dom;
	struct ioband_target *ib;
	struct iob_table t = {};
	const char *err;
	int r, cpu;

	if (argc < 1) {
		ti->error = "Not enough arguments: <dev> <device-group-id> <io_throttle> <io_limit> <group-type> <policy> <token-base> [carryover=<n>] [:<weight>] [<id>:<weight>...]";
		return -EINVAL;
	}
	ib = kzalloc(sizeof(*ib), GFP_KERNEL);
	t.groups = kcalloc(argc, sizeof(*t.groups), GFP_KERNEL);
	if (!ib || !t.groups) {
		kfree(ib);
		kfree(t.groups);
		ti->error = "Cannot allocate ioband context";
		return -ENOMEM;
	}
	ib->ti = ti;
	ib->md = dm_table_get_md(ti->table);
	ib->devt = disk_devt(dm_disk(ib->md));
	mutex_init(&ib->cfg_lock);
	xa_init_flags(&ib->groups, XA_FLAGS_LOCK_IRQ);
	atomic64_set(&ib->groups_gen, 1);	/* a CPU's 0: nothing found */
	INIT_DELAYED_WORK(&ib->reaper, ioband_reaper_fn);
	INIT_LIST_HEAD(&ib->dom_node);
	ti->private = ib;
	r = ioband_attr_init(ib);
	if (r) {
		ti->error = "Cannot allocate attribution counters";
		goto bad;
	}
	ib->pc = alloc_percpu(struct ioband_target_pcpu);
	if (!ib->pc) {
		ti->error = "Cannot allocate per-CPU counters";
		r = -ENOMEM;
		goto bad;
	}
	for_each_possible_cpu(cpu) {
		struct ioband_target_pcpu *p = per_cpu_ptr(ib->pc, cpu);

		INIT_WORK(&p->lat_work, lat_flush_fn);
		p->ib = ib;
		p->cpu = cpu;
	}

	/* <dev> is opened last, after validation */
	r = iob_parse_table(argc - 1, argv + 1, &t, &err);
	if (r) {
		ti->error = (char *)err;
		goto bad;
	}
	ib->type = t.type;
	ib->params = t.params;

	r = -ENOMEM;
	ib->def = ioband_group_alloc(ib, IOB_DEFAULT_GROUP_ID,
				     IOB_DEFAULT_WEIGHT);
	if (!ib->def) {
		ti->error = "Cannot allocate default group";
		goto bad;
	}
	r = attach_groups(ib, &t, &ti->error);
	if (r)
		goto bad;

	r = dm_get_device(ti, argv[0], dm_table_get_mode(ti->table), &ib->dev);
	if (r) {
		ti->error = "Device lookup failed";
		goto bad;
	}
	/*
	 * Bios no larger than the device below takes: tokens are charged per
	 * bio, and a writeback bio of physically contiguous pages can be
	 * megabytes, many epochs' worth at once.
	 */
	r = dm_set_target_max_io_len(ti, ioband_max_io_len(ib->dev));
	if (r)
		goto bad;

	mutex_lock(&ioband_domains_lock);
	dom = ioband_domain_get(t.devgroup, &t.params, ti->table, &err);
	if (IS_ERR(dom)) {
		mutex_unlock(&ioband_domains_lock);
		ti->error = (char *)err;
		r = PTR_ERR(dom);
		goto bad;
	}
	ib->dom = dom;
	list_add_tail(&ib->dom_node, &dom->targets);
	mutex_unlock(&ioband_domains_lock);
	kfree(t.groups);
	ioband_group_relink(ib);	/* nothing else sees the groups yet */

	ti->num_flush_bios = 1;
	ti->num_discard_bios = 1;
	ti->num_write_zeroes_bios = 1;
	ti->per_io_data_size = sizeof(struct ioband_io);
	ti->accounts_remapped_io = true;
	return 0;

bad:
	kfree(t.groups);
	if (ib->dev)
		dm_put_device(ti, ib->dev);
	if (ib->def)
		ioband_group_destroy_all(ib);
	ioband_attr_exit(ib);
	free_percpu(ib->pc);
	kfree(ib);
	return r;
}

static void ioband_dtr(struct dm_target *ti)
{
	struct ioband_target *ib = ti->private;

	cancel_delayed_work_sync(&ib->reaper);
	ioband_group_destroy_all(ib);
	mutex_lock(&ioband_domains_lock);
	list_del(&ib->dom_node);
	ioband_domain_put(ib->dom);
	mutex_unlock(&ioband_domains_lock);
	dm_put_device(ti, ib->dev);
	ioband_attr_exit(ib);
	free_percpu(ib->pc);	/* its works run only within a message */
	kfree(ib);
}

static bool bio_is_urgent(struct bio *bio)
{
	/* Empty flushes carry no data; meta, swap and reclaim I/O must not
	 * wait behind throttled groups (priority inversion).  One test of
	 * the flags for the common bio, which has none of them.
	 */
	if (unlikely(bio->bi_opf & (REQ_PREFLUSH | REQ_FUA | REQ_META | REQ_SWAP))) {
		if (bio->bi_opf & (REQ_META | REQ_SWAP))
			return true;
		if (!bio_sectors(bio))
			return true;	/* an empty flush */
	}
	return current->flags & PF_MEMALLOC;
}

static int ioband_map(struct dm_target *ti, struct bio *bio)
{
	struct ioband_target *ib = ti->private;
	struct ioband_io *io = dm_per_bio_data(bio, sizeof(*io));
	bool data = bio_has_data(bio), go;
	struct ioband_group *g;

	io->arrive_ns = ktime_get_ns();
	io->sectors = bio_sectors(bio);
	io->dir = bio_data_dir(bio);
	io->bytes = data ? bio->bi_iter.bi_size : 0;
	io->cost = iob_cost(READ_ONCE(ib->dom->params.policy), io->sectors,
			    data);

	bio_set_dev(bio, ib->dev->bdev);
	if (io->sectors)
		bio->bi_iter.bi_sector = dm_target_offset(ti, bio->bi_iter.bi_sector);

	rcu_read_lock();
	g = ioband_group_of_bio(ib, bio);
	io->g = g;
	ioband_attr_count(ib, bio, g);
	go = ioband_admit(g, bio, io, bio_is_urgent(bio));
	rcu_read_unlock();
	return go ? DM_MAPIO_REMAPPED : DM_MAPIO_SUBMITTED;
}

static int ioband_end_io(struct dm_target *ti, struct bio *bio,
			 blk_status_t *error)
{
	struct ioband_io *io = dm_per_bio_data(bio, sizeof(*io));
	struct ioband_group *g = io->g;

	if (g) {
		io->g = NULL;
		/* a call per bio spared: nearly all complete without error */
		ioband_complete(g, io,
				*error ? blk_status_to_errno(*error) : 0);
	}
	return DM_ENDIO_DONE;
}

static void emit_group_stats(struct ioband_group *g, char *result,
			     unsigned int maxlen, unsigned int *szp)
{
	unsigned int sz = *szp, held;
	struct ioband_stats s;
	u64 now = ktime_get_ns(), *v = (u64 *)&s;
	const u64 *z = (const u64 *)&g->zero;
	u64 queue_ns;
	int i;

	ioband_group_sum(g, &s);
	spin_lock_irq(&g->lock);
	for (i = 0; i < sizeof(s) / sizeof(u64); i++)
		v[i] -= z[i];
	held = g->held;
	queue_ns = g->queue_ns;
	if (held || atomic_read(&g->users) > 1)
		s.io_ticks_ns += ioband_since(now, READ_ONCE(g->busy_since_ns));
	spin_unlock_irq(&g->lock);
	DMEMIT(" %lld %llu 0 %llu %llu %llu 0 %llu %llu %u %llu %llu",
	       g->id, s.ios[READ], s.sectors[READ],
	       div_u64(s.ticks_ns[READ], NSEC_PER_MSEC),
	       s.ios[WRITE], s.sectors[WRITE],
	       div_u64(s.ticks_ns[WRITE], NSEC_PER_MSEC), held,
	       div_u64(s.io_ticks_ns, NSEC_PER_MSEC),
	       div_u64(queue_ns, NSEC_PER_MSEC));
	*szp = sz;
}

/* A group's limit= and reserve= arguments of the table line. */
static void emit_qos(struct ioband_group *g, char *result, unsigned int maxlen,
		     unsigned int *szp)
{
	struct iob_qos q;
	int r;

	spin_lock_irq(&g->lock);
	q = g->qos.conf;
	spin_unlock_irq(&g->lock);
	if (*szp >= maxlen)
		return;
	r = iob_format_qos(result + *szp, maxlen - *szp, g->id, &q);
	/* too long: dm core sees a full buffer and asks again with more */
	*szp = r < 0 ? maxlen : *szp + r;
}

static void ioband_status(struct dm_target *ti, status_type_t type,
			  unsigned int status_flags, char *result,
			  unsigned int maxlen)
{
	struct ioband_target *ib = ti->private;
	struct ioband_domain *dom = ib->dom;
	struct ioband_group *g;
	struct iob_params p;
	unsigned int sz = 0;
	unsigned long id;

	mutex_lock(&ib->cfg_lock);
	mutex_lock(&ioband_domains_lock);
	p = ib->params;
	mutex_unlock(&ioband_domains_lock);
	switch (type) {
	case STATUSTYPE_INFO:
		DMEMIT("%s", dom->name);
		emit_group_stats(ib->def, result, maxlen, &sz);
		xa_for_each(&ib->groups, id, g)
			emit_group_stats(g, result, maxlen, &sz);
		break;
	case STATUSTYPE_TABLE:
		DMEMIT("%s ", ib->dev->name);
		if (sz < maxlen)
			sz += min_t(unsigned int, maxlen - sz,
				    iob_format_params(result + sz, maxlen - sz,
						      dom->name, &p, ib->type,
						      ib->def->weight));
		/* per-child groups are made by their parent's mark */
		xa_for_each(&ib->groups, id, g)
			if (!g->auto_child)
				DMEMIT(" %lld:%u", g->id, g->weight);
		xa_for_each(&ib->groups, id, g)
			if (g->children)
				DMEMIT(" children=%lld", g->id);
		xa_for_each(&ib->groups, id, g)
			if (!g->auto_child)
				emit_qos(g, result, maxlen, &sz);
		emit_qos(ib->def, result, maxlen, &sz);
		break;
	case STATUSTYPE_IMA:
		DMEMIT_TARGET_NAME_VERSION(ti->type);
		DMEMIT(",device_name=%s,device_group=%s,group_type=%s,policy=%s;",
		       ib->dev->name, dom->name, iob_type_name(ib->type),
		       iob_policy_name(p.policy));
		break;
	}
	mutex_unlock(&ib->cfg_lock);
}

/*
 * A device-group parameter: read, changed and written for every member
 * and the domain under ioband_domains_lock, so that messages to two
 * members of one device group cannot lose each other's change.
 */
static int msg_param(struct ioband_target *ib, const char *key,
		     const char *val)
{
	struct ioband_target *m;
	struct iob_params p;
	char err[128];

	mutex_lock(&ioband_domains_lock);
	p = ib->params;
	if (iob_parse_param(key, val, &p, err, sizeof(err))) {
		mutex_unlock(&ioband_domains_lock);
		return ioband_refuse(ib, "%s", err);
	}
	/*
	 * Every member but a loaded, unresumed table of this device (its
	 * line wins when it resumes): the other devices' and this table's.
	 */
	list_for_each_entry(m, &ib->dom->targets, dom_node)
		if (m->md != ib->md || m->ti->table == ib->ti->table)
			m->params = p;
	ioband_domain_set_params(ib->dom, &p);
	mutex_unlock(&ioband_domains_lock);
	return 0;
}

static int msg_weight(struct ioband_target *ib, const char *arg)
{
	struct ioband_group *g;
	u32 weight;
	s64 id;

	if (iob_parse_weight_arg(ib->type, arg, &id, &weight)) {
		if (ib->type == IOB_TYPE_NONE && strchr(arg, ':') && arg[0] != ':')
			return ioband_refuse(ib, "weight %s: group type none has no groups", arg);
		return ioband_refuse(ib, "weight %s: expected [<id>:]<weight>, weight 1 to %u",
				     arg, IOB_WEIGHT_MAX);
	}
	g = ioband_group_find(ib, id);
	if (!g)
		return ioband_refuse(ib, "weight %s: group %lld is not attached", arg, id);
	WRITE_ONCE(g->weight, weight);	/* the dispatcher reads it under dom->lock */
	ioband_domain_reweight(ib->dom);
	return 0;
}

/* "limit <id>:<key>=<n>,..." and "reserve <id>:<key>=<n>,...". */
static int msg_qos(struct ioband_target *ib, bool reserve, const char *arg)
{
	const char *what = reserve ? "reserve" : "limit";
	struct ioband_group *g;
	struct iob_qos_arg a;
	struct iob_qos q;
	char err[160];

	if (iob_parse_qos_arg(ib->type, reserve, arg, &a, err, sizeof(err)))
		return ioband_refuse(ib, "%s", err);
	g = ioband_group_find(ib, a.id);
	if (!g)
		return ioband_refuse(ib, "%s %s: group %lld is not attached",
				     what, arg, a.id);
	q = g->qos.conf;	/* written only under cfg_lock, which we hold */
	if (iob_apply_qos_arg(&q, &a, err, sizeof(err)))
		return ioband_refuse(ib, "%s %s: %s", what, arg, err);
	ioband_group_set_qos(g, &q);
	return 0;
}

/* dm-ioband's "range-bw <id>:<min>:<max>" (KB/s): bps reserve and limit. */
static int msg_range_bw(struct ioband_target *ib, const char *arg)
{
	struct iob_qos q = {};
	struct ioband_group *g;
	char err[160];
	s64 id;

	if (iob_parse_range_bw(ib->type, arg, &id, &q, err, sizeof(err)))
		return ioband_refuse(ib, "%s", err);
	g = ioband_group_find(ib, id);
	if (!g)
		return ioband_refuse(ib, "range-bw %s: group %lld is not attached",
				     arg, id);
	q = g->qos.conf;
	if (iob_parse_range_bw(ib->type, arg, &id, &q, err, sizeof(err)))
		return ioband_refuse(ib, "%s", err);
	ioband_group_set_qos(g, &q);
	return 0;
}

/*
 * The "qos" query, one line per group after the device group's:
 *   reserve_scale=<percent> reserve_demand=<percent>
 *   <id> held=<n> limited=<0|1> left=<key>=<n>,...|- [limit=...] [reserve=...]
 */
static void report_qos(struct ioband_target *ib, struct ioband_group *g,
		       char *result, unsigned int maxlen, unsigned int *szp)
{
	unsigned int sz = *szp;
	struct iob_qos_state qs;
	u64 now = ktime_get_ns();
	bool limited = false;
	u32 held;
	int k, n = 0, r;

	spin_lock_irq(&g->lock);
	spin_lock(&g->qos_lock);
	qs = g->qos;
	spin_unlock(&g->qos_lock);
	held = g->held;
	if (held) {
		struct ioband_io *io = dm_per_bio_data(bio_list_peek(&g->queue),
						       sizeof(*io));

		limited = iob_qos_limit_at(&qs, io->dir) > now;
	}
	spin_unlock_irq(&g->lock);
	DMEMIT("\n%lld held=%u limited=%d left=", g->id, held, limited);
	for (k = 0; k < IOB_NR_KEYS; k++)
		if (qs.conf.limit[k])
			DMEMIT("%s%s=%llu", n++ ? "," : "", iob_key_name(k),
			       iob_qos_burst_left(&qs, k, now));
	if (!n)
		DMEMIT("-");
	if (sz < maxlen) {
		r = iob_format_qos(result + sz, maxlen - sz, g->id, &qs.conf);
		sz = r < 0 ? maxlen : sz + r;
	}
	*szp = sz;
}

static int msg_report_qos(struct ioband_target *ib, char *result,
			  unsigned int maxlen)
{
	struct ioband_domain *dom = ib->dom;
	struct ioband_group *g;
	unsigned int sz = 0;
	unsigned long id;

	DMEMIT("reserve_scale=%u reserve_demand=%llu",
	       READ_ONCE(dom->res_scale) * 100 / IOB_SCALE_ONE,
	       div_u64(READ_ONCE(dom->res_ppm), 10000));
	report_qos(ib, ib->def, result, maxlen, &sz);
	xa_for_each(&ib->groups, id, g)
		report_qos(ib, g, result, maxlen, &sz);
	return 1;	/* dm core hands @result to the caller */
}

/* "latency <id>:<usec>": the group's latency target; 0 removes it. */
static int msg_latency(struct ioband_target *ib, const char *arg)
{
	struct ioband_group *g;
	struct iob_qos q;
	char err[160];
	s64 id;
	u32 us;

	if (iob_parse_latency_arg(ib->type, arg, &id, &us, err, sizeof(err)))
		return ioband_refuse(ib, "%s", err);
	g = ioband_group_find(ib, id);
	if (!g)
		return ioband_refuse(ib, "latency %s: group %lld is not attached", arg, id);
	q = g->qos.conf;	/* written only under cfg_lock, which we hold */
	q.latency_us = us;
	ioband_group_set_qos(g, &q);
	return 0;
}

/*
 * The "latency" query, one line per group after the device group's:
 *   window_ms=<ms> peak_bps=<n> step=<n> windows=<n>
 *   <id> target=<us>|- cap=<bps>|- floor=<bps> missed=<n> capped=<n>
 *   r=<n>:<p50>,<p90>,<p99> w=<n>:<p50>,<p90>,<p99>
 * Percentiles of the completion latency, in microseconds, since the
 * group was made or the last "reset"; missed and capped count windows.
 */
static void report_latency(struct ioband_target *ib, struct ioband_group *g,
			   u64 *hist, char *result, unsigned int maxlen,
			   unsigned int *szp)
{
	struct ioband_domain *dom = ib->dom;
	u64 cap, floor, missed, capped, n[2] = {}, p[2][3];
	unsigned int sz = *szp;
	u32 target;
	int d, i;

	spin_lock_irq(&dom->lock);
	floor = iob_lat_floor_bps(&dom->lat, &g->lat);
	missed = g->lat.missed_windows;
	capped = g->lat.capped_windows;
	cap = READ_ONCE(g->lat_cap);
	target = READ_ONCE(g->qos.conf.latency_us);
	spin_unlock_irq(&dom->lock);
	for (d = 0; d < 2; d++) {
		for (i = 0; i < IOB_LAT_BUCKETS; i++) {
			hist[i] = atomic64_read(&g->hist[d][i]);
			n[d] += hist[i];
		}
		p[d][0] = iob_lat_percentile_us(hist, 50);
		p[d][1] = iob_lat_percentile_us(hist, 90);
		p[d][2] = iob_lat_percentile_us(hist, 99);
	}
	DMEMIT("\n%lld", g->id);
	if (target)
		DMEMIT(" target=%u", target);
	else
		DMEMIT(" target=-");
	if (cap)
		DMEMIT(" cap=%llu", cap);
	else
		DMEMIT(" cap=-");
	DMEMIT(" floor=%llu missed=%llu capped=%llu", floor, missed, capped);
	for (d = 0; d < 2; d++)
		DMEMIT(" %c=%llu:%llu,%llu,%llu", d ? 'w' : 'r', n[d],
		       p[d][0], p[d][1], p[d][2]);
	*szp = sz;
}

static int msg_report_latency(struct ioband_target *ib, char *result,
			      unsigned int maxlen)
{
	struct ioband_domain *dom = ib->dom;
	struct ioband_group *g;
	unsigned int sz = 0;
	unsigned long id;
	u64 *hist;

	/* before any output: a refused query writes nothing */
	hist = kmalloc_array(IOB_LAT_BUCKETS, sizeof(*hist), GFP_KERNEL);
	if (!hist)
		return -ENOMEM;
	lat_flush_all(ib);
	spin_lock_irq(&dom->lock);
	DMEMIT("window_ms=%llu peak_bps=%llu step=%u windows=%llu",
	       div_u64(IOB_LAT_WINDOW_NS, NSEC_PER_MSEC), dom->lat.peak_bps,
	       dom->lat.step, dom->lat.windows);
	spin_unlock_irq(&dom->lock);
	report_latency(ib, ib->def, hist, result, maxlen, &sz);
	xa_for_each(&ib->groups, id, g)
		report_latency(ib, g, hist, result, maxlen, &sz);
	kfree(hist);
	return 1;
}

/* "children <id>:<1|0>": each child cgroup of <id>'s its own group, or not. */
static int msg_children(struct ioband_target *ib, const char *arg)
{
	const char *colon = strrchr(arg, ':');
	char id_str[24];
	u32 on;
	s64 id;

	if (ib->type != IOB_TYPE_CGROUP)
		return ioband_refuse(ib, "children %s: only groups of type cgroup have children", arg);
	if (!colon || colon == arg || colon - arg >= (int)sizeof(id_str) ||
	    iob_parse_u32(colon + 1, 0, 1, &on))
		return ioband_refuse(ib, "children %s: expected <id>:1 or <id>:0", arg);
	memcpy(id_str, arg, colon - arg);
	id_str[colon - arg] = '\0';
	if (iob_parse_group_id(ib->type, id_str, &id))
		return ioband_refuse(ib, "children %s: invalid cgroup id", arg);
	if (ioband_group_mark(ib, id, on))
		return ioband_refuse(ib, "children %s: group %lld is not attached", arg, id);
	return 0;
}

/*
 * The "groups" query: the tree, one line per group after a head line,
 *   auto=<n> fallbacks=<n>
 *   <id> parent=<id>|- weight=<w> hweight=<ppm> own=<ppm> part=<ppm>
 *   children=<0|1> auto=<0|1>
 * hweight is the share of the device of the group's subtree by the
 * weights of the tree over the groups busy in the last epoch (iocost's
 * hweight), own that of its own bios, part own's with reservations.
 */
static void report_group(struct ioband_target *ib, struct ioband_group *g,
			 char *result, unsigned int maxlen, unsigned int *szp)
{
	struct ioband_domain *dom = ib->dom;
	unsigned int sz = *szp;
	u32 hweight, own, part;
	s64 parent;

	spin_lock_irq(&dom->lock);
	hweight = g->active ? (u32)g->node.share_ppm : 0;
	own = g->active ? g->node.self_ppm : 0;
	part = g->active ? g->floor.part_ppm : 0;
	parent = g->parent ? g->parent->id : IOB_DEFAULT_GROUP_ID;
	spin_unlock_irq(&dom->lock);
	if (parent == IOB_DEFAULT_GROUP_ID)
		DMEMIT("\n%lld parent=- ", g->id);
	else
		DMEMIT("\n%lld parent=%lld ", g->id, parent);
	DMEMIT("weight=%u hweight=%u own=%u part=%u children=%d auto=%d",
	       g->weight, hweight, own, part, g->children, g->auto_child);
	*szp = sz;
}

static int msg_report_groups(struct ioband_target *ib, char *result,
			     unsigned int maxlen)
{
	struct ioband_group *g;
	unsigned int sz = 0;
	unsigned long id;

	ioband_domain_settle(ib->dom);
	DMEMIT("auto=%d fallbacks=%lld", atomic_read(&ib->nr_auto),
	       atomic64_read(&ib->auto_fallbacks));
	report_group(ib, ib->def, result, maxlen, &sz);
	xa_for_each(&ib->groups, id, g)
		report_group(ib, g, result, maxlen, &sz);
	return 1;
}

static int msg_attach_detach(struct ioband_target *ib, bool attach,
			     const char *arg)
{
	const char *verb = attach ? "attach" : "detach";
	s64 id;
	int r;

	r = iob_parse_group_id(ib->type, arg, &id);
	if (r == -EPERM)
		return ioband_refuse(ib, "%s %s: group type is none; set a type first", verb, arg);
	if (r)
		return ioband_refuse(ib, "%s %s: invalid %s id", verb, arg, iob_type_name(ib->type));
	if (attach) {
		r = ioband_group_attach(ib, id, IOB_DEFAULT_WEIGHT);
		if (r == -EBUSY)
			return ioband_refuse(ib, "attach %s: group is attached already", arg);
		if (r)
			DMERR("%s: attach %s: cannot allocate group",
			      dm_device_name(ib->md), arg);
		else
			ioband_group_relink(ib);
		return r;
	}
	if (ioband_group_detach(ib, id))
		return ioband_refuse(ib, "detach %s: group is not attached", arg);
	return 0;
}

static int msg_type(struct ioband_target *ib, const char *arg)
{
	enum iob_type type;

	switch (iob_parse_type(arg, &type)) {
	case 0:
		break;
	case -EOPNOTSUPP:
		return ioband_refuse(ib, "type %s: not supported", arg);
	default:
		return ioband_refuse(ib, "type %s: unknown type (none, cgroup, uid, user, gid, pid, pgrp)", arg);
	}
	if (ib->nr_groups && type != ib->type)
		return ioband_refuse(ib, "type %s: detach the %u attached groups first",
				     arg, ib->nr_groups);
	WRITE_ONCE(ib->type, type);
	ioband_groups_changed(ib);
	return 0;
}

static void apply_to_groups(struct ioband_target *ib,
			    void (*fn)(struct ioband_target *ib,
				       struct ioband_group *g))
{
	struct ioband_group *g;
	unsigned long id;

	fn(ib, ib->def);
	xa_for_each(&ib->groups, id, g)
		fn(ib, g);
}

/* The counts go on growing per CPU: a reset remembers where they were. */
static void reset_stats(struct ioband_target *ib, struct ioband_group *g)
{
	struct ioband_stats s;
	int d, i;

	ioband_group_sum(g, &s);
	for (d = 0; d < 2; d++)
		for (i = 0; i < IOB_LAT_BUCKETS; i++)
			atomic64_set(&g->hist[d][i], 0);
	spin_lock_irq(&g->lock);
	g->zero = s;
	g->queue_ns = 0;
	WRITE_ONCE(g->busy_since_ns, ktime_get_ns());
	spin_unlock_irq(&g->lock);
}

static const struct {
	const char *name;
	unsigned int argc;	/* with the name */
} ioband_messages[] = {
	{ "type", 2 }, { "attach", 2 }, { "detach", 2 }, { "weight", 2 },
	{ "token", 2 }, { "carryover", 2 }, { "io_throttle", 2 },
	{ "io_limit", 2 }, { "policy", 2 }, { "reset", 1 },
	{ "limit", 2 }, { "reserve", 2 }, { "range-bw", 2 }, { "qos", 1 },
	{ "children", 2 }, { "groups", 1 }, { "latency", 2 },
	{ "latency", 1 },
};

static int ioband_message(struct dm_target *ti, unsigned int argc, char **argv,
			  char *result, unsigned int maxlen)
{
	struct ioband_target *ib = ti->private;
	const char *cmd = argc ? argv[0] : "";
	unsigned int i;
	int r;

	for (i = 0; i < ARRAY_SIZE(ioband_messages); i++)
		if (!strcmp(cmd, ioband_messages[i].name) &&
		    (argc == ioband_messages[i].argc ||
		     i + 1 == ARRAY_SIZE(ioband_messages) ||
		     strcmp(cmd, ioband_messages[i + 1].name)))
			break;
	if (i == ARRAY_SIZE(ioband_messages))
		return ioband_refuse(ib, "unknown message '%s'", cmd);
	if (argc != ioband_messages[i].argc)
		return ioband_refuse(ib, "%s: wrong number of arguments", cmd);

	mutex_lock(&ib->cfg_lock);
	if (!strcmp(cmd, "reset")) {
		/*
		 * what CPUs keep of completions before the reset is not
		 * counted after it (but for those that race with it)
		 */
		lat_flush_all(ib);
		apply_to_groups(ib, reset_stats);
		r = 0;
	} else if (!strcmp(cmd, "type")) {
		r = msg_type(ib, argv[1]);
	} else if (!strcmp(cmd, "attach") || !strcmp(cmd, "detach")) {
		r = msg_attach_detach(ib, cmd[0] == 'a', argv[1]);
	} else if (!strcmp(cmd, "weight")) {
		r = msg_weight(ib, argv[1]);
	} else if (!strcmp(cmd, "limit") || !strcmp(cmd, "reserve")) {
		r = msg_qos(ib, cmd[0] == 'r', argv[1]);
	} else if (!strcmp(cmd, "range-bw")) {
		r = msg_range_bw(ib, argv[1]);
	} else if (!strcmp(cmd, "qos")) {
		r = msg_report_qos(ib, result, maxlen);
	} else if (!strcmp(cmd, "groups")) {
		r = msg_report_groups(ib, result, maxlen);
	} else if (!strcmp(cmd, "children")) {
		r = msg_children(ib, argv[1]);
	} else if (!strcmp(cmd, "latency") && argc == 1) {
		r = msg_report_latency(ib, result, maxlen);
	} else if (!strcmp(cmd, "latency")) {
		r = msg_latency(ib, argv[1]);
	} else if (!strcmp(cmd, "policy") && !strcmp(argv[1], "range-bw")) {
		/* dm-ioband's range-bw: limits and reservations by bytes */
		r = msg_param(ib, cmd, "weight-iosize");
	} else {
		r = msg_param(ib, cmd, argv[1]);
	}
	mutex_unlock(&ib->cfg_lock);
	return r;
}

/*
 * Releasing takes each group's lock after ib->suspending was set, so an
 * admit() that has not seen the flag has queued its bio before we look.
 */
static void release_held(struct ioband_target *ib, struct ioband_group *g)
{
	ioband_group_release_held(g);
}

static void deactivate(struct ioband_target *ib, struct ioband_group *g)
{
	ioband_domain_deactivate(ib->dom, g);
}

static void activate(struct ioband_target *ib, struct ioband_group *g)
{
	ioband_domain_activate(ib->dom, g);
}

/*
 * dm core waits for in-flight bios after presuspend, so held bios must go
 * now; with or without noflush they are sent down rather than requeued.
 */
static void ioband_presuspend(struct dm_target *ti)
{
	struct ioband_target *ib = ti->private;

	mutex_lock(&ib->cfg_lock);
	WRITE_ONCE(ib->suspending, true);
	apply_to_groups(ib, release_held);
	mutex_unlock(&ib->cfg_lock);
}

static void ioband_postsuspend(struct dm_target *ti)
{
	struct ioband_target *ib = ti->private;

	mutex_lock(&ib->cfg_lock);
	WRITE_ONCE(ib->resumed, false);
	apply_to_groups(ib, deactivate);
	mutex_unlock(&ib->cfg_lock);
	ioband_attr_hide(ib);
}

/*
 * The suspend did not happen (interrupted, or the filesystem could not be
 * frozen): throttle again, or every bio would go through unchecked.
 */
static void ioband_presuspend_undo(struct dm_target *ti)
{
	struct ioband_target *ib = ti->private;

	WRITE_ONCE(ib->suspending, false);
	ioband_domain_kick(ib->dom);
}

static void ioband_resume(struct dm_target *ti)
{
	struct ioband_target *ib = ti->private, *m;

	mutex_lock(&ib->cfg_lock);
	/*
	 * A reloaded table brings its own device-group parameters: the
	 * other devices' members take them too, so that every member's
	 * line says what the device group runs with.
	 */
	mutex_lock(&ioband_domains_lock);
	list_for_each_entry(m, &ib->dom->targets, dom_node)
		if (m->md != ib->md)
			m->params = ib->params;
	ioband_domain_set_params(ib->dom, &ib->params);
	mutex_unlock(&ioband_domains_lock);
	apply_to_groups(ib, activate);
	WRITE_ONCE(ib->resumed, true);
	WRITE_ONCE(ib->suspending, false);
	if (ib->nr_marked || atomic_read(&ib->nr_auto))
		mod_delayed_work(system_wq, &ib->reaper, HZ);
	mutex_unlock(&ib->cfg_lock);
	ioband_attr_show(ib);
}

static int ioband_iterate_devices(struct dm_target *ti,
				  iterate_devices_callout_fn fn, void *data)
{
	struct ioband_target *ib = ti->private;

	return fn(ti, ib->dev, 0, ti->len, data);
}

static struct target_type ioband_target = {
	.name = "ioband",
	.version = { 2, 0, 0 },
	/* map() never sleeps: RWF_NOWAIT and io_uring need not punt */
	.features = DM_TARGET_NOWAIT,
	.module = THIS_MODULE,
	.ctr = ioband_ctr,
	.dtr = ioband_dtr,
	.map = ioband_map,
	.end_io = ioband_end_io,
	.status = ioband_status,
	.message = ioband_message,
	.presuspend = ioband_presuspend,
	.presuspend_undo = ioband_presuspend_undo,
	.postsuspend = ioband_postsuspend,
	.resume = ioband_resume,
	.iterate_devices = ioband_iterate_devices,
};

static int __init dm_ioband_init(void)
{
	int r;

	ioband_attr_module_init();
	r = dm_register_target(&ioband_target);
	if (r < 0) {
		DMERR("register failed %d", r);
		ioband_attr_module_exit();
	}
	return r;
}

static void __exit dm_ioband_exit(void)
{
	dm_unregister_target(&ioband_target);
	ioband_attr_module_exit();
	rcu_barrier();		/* groups freed by call_rcu */
}

module_init(dm_ioband_init);
module_exit(dm_ioband_exit);

MODULE_DESCRIPTION(DM_NAME " bandwidth sharing by weight between groups of processes");
MODULE_LICENSE("GPL");
MODULE_VERSION(IOBAND_VERSION_STR);
