/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hierarchical weights (ioband-tree.c): the groups of a cgroup-type
 * device form the tree their cgroups form, and a group's share of the
 * device is its weight over its busy siblings' times its parent's share.
 * Plain C, shared by dm-ioband.ko and the unit tests.
 */
#ifndef IOBAND_TREE_H
#define IOBAND_TREE_H

#include "ioband-policy.h"

/*
 * A group's own bios, beside its child groups, count as one more child of
 * this weight (as a process queue does in BFQ's group tree).
 */
#define IOB_SELF_WEIGHT		IOB_DEFAULT_WEIGHT

/*
 * A parent's limit caps its subtree's share at this much more than the
 * limit's part of the device: the limit's bucket, not the share, is what
 * holds the subtree to its rate, and the share divides it by weight.
 */
#define IOB_CAP_SLACK_PCT	5

/*
 * One group in the tree, on a list of all of them.  In: its parent (NULL
 * at the top, where the default group is too), weight, whether its own
 * bios used the device lately, its own reservation and its limit as a
 * part of the device (millionths; 0: none).  Out: the share of its
 * subtree and of its own bios, and the reservation its own bios get, its
 * own or its ancestors' passed down.
 */
struct iob_node {
	struct iob_node *next;
	struct iob_node *parent;
	u32 weight;
	bool busy;
	u32 reserve_ppm;
	u32 limit_ppm;
	/* computed */
	bool sub_busy;		/* it or a descendant is busy */
	bool done;
	bool capped;		/* its share is its limit's (cap_ppm) */
	bool caps;		/* a busy child of its has a limit */
	u64 csum;		/* weights of its children with busy subtrees */
	u64 cap_sum, cap_w;	/* its capped children's shares and weights */
	u64 share_ppm;		/* of the device, its whole subtree */
	u64 sub_res_ppm;	/* reservation of its whole subtree */
	u32 self_ppm;		/* of the device, its own bios */
	u32 self_res_ppm;	/* reservation of its own bios */
};

void iob_tree_shares(struct iob_node *head);

#endif /* IOBAND_TREE_H */
