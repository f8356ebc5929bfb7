/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bio-cgroup: which cgroup owns a bio.  The owner of a bio that carries
 * pages with a memory cgroup (page cache, anonymous memory) is that cgroup,
 * whoever submits it: delayed writeback from a flusher thread belongs to
 * the cgroup that dirtied the pages.  Other bios belong to the submitting
 * task's cgroup.
 */
#ifndef BIO_CGROUP_H
#define BIO_CGROUP_H

#include <linux/bio.h>
#include <linux/cgroup.h>

/*
 * The cgroup (on the cgroup v2 hierarchy) that owns @bio.  Call under
 * rcu_read_lock(); the result is valid until rcu_read_unlock() and holds
 * no reference.  Never NULL.
 */
struct cgroup *bio_cgroup_owner(struct bio *bio);

#endif /* BIO_CGROUP_H */
