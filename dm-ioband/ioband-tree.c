// SPDX-License-Identifier: GPL-2.0
/*
 * Hierarchical weights, as iocost's hweight and BFQ's group tree: at each
 * level the subtrees with busy groups in them share their parent's part
 * by weight, and a parent's own bios take part as one more child of
 * IOB_SELF_WEIGHT.  An idle subtree's part goes to its busy siblings, so
 * a subtree is work-conserving inside before anything leaves it.  A group
 * that is not busy gets the part it would have if it joined, so that it
 * has tokens when it starts.
 *
 * A limit of a parent with busy children caps its subtree's share (a
 * little above the limit's part of the device, IOB_CAP_SLACK_PCT) and
 * the rest of its level shares what it leaves (water-filling): the
 * limit's bucket holds the subtree to its rate, and the tokens divide
 * that rate between the children by weight, as they would the device.
 *
 * A reservation of a parent is a floor under its whole subtree: each
 * busy part of the subtree gets the parent's reservation in proportion to
 * its share, or its own where that is more.  The results are weights and
 * floors for iob_floors(), which holds every group to them.
 */
#include "ioband-tree.h"

#ifdef __KERNEL__
#include <linux/math64.h>
#else
#define div64_u64(a, b) ((a) / (b))
#endif

#define PPM 1000000ULL

/* @a * @b / @c without overflow for parts of a million and weights. */
static u64 scale(u64 a, u64 b, u64 c)
{
	return c ? div64_u64(a * b, c) : 0;
}

/* A parent's children's denominator, less its capped children. */
static u64 level_denom(const struct iob_node *p, u64 top_sum, u64 top_cap_w)
{
	if (!p)
		return top_sum - top_cap_w;
	return p->csum + (p->busy ? IOB_SELF_WEIGHT : 0) - p->cap_w;
}

/* What a parent's children share, less what its capped children have. */
static u64 level_avail(const struct iob_node *p, u64 top_cap_sum)
{
	return p ? p->share_ppm - p->cap_sum : PPM - top_cap_sum;
}

/*
 * Cap the busy children of @p (NULL: the top) that have limits where
 * their part by weight is above their limit's, each in turn, until none
 * is (each pass caps at least one or ends).  Sets the cap sums.
 */
static void settle_caps(struct iob_node *head, struct iob_node *p,
			u64 top_sum, u64 *cap_sum, u64 *cap_w)
{
	u64 avail = p ? p->share_ppm : PPM;
	u64 denom = p ? p->csum + (p->busy ? IOB_SELF_WEIGHT : 0) : top_sum;
	struct iob_node *n;
	bool again = true;
	u64 share;

	while (again) {
		again = false;
		for (n = head; n; n = n->next) {
			if (n->parent != p || n->capped || !n->sub_busy ||
			    !n->limit_ppm || !n->csum)
				continue;
			share = scale(avail - *cap_sum, n->weight, denom - *cap_w);
			if (share <= n->limit_ppm)
				continue;
			n->capped = true;
			*cap_sum += n->limit_ppm;
			*cap_w += n->weight;
			again = true;
		}
	}
}

struct tree_top {
	u64 sum, cap_sum, cap_w;
};

/* The parent's part and reservation known: compute @n's. */
static void node_share(struct iob_node *head, struct iob_node *n,
		       const struct tree_top *top)
{
	struct iob_node *p = n->parent;
	u64 parent_share = p ? p->share_ppm : PPM;
	u64 parent_res = p ? p->sub_res_ppm : 0;
	u64 denom, inherited;

	if (n->capped) {
		n->share_ppm = n->limit_ppm;
	} else {
		denom = level_denom(p, top->sum, top->cap_w);
		if (!n->sub_busy)
			denom += n->weight;
		n->share_ppm = scale(level_avail(p, top->cap_sum), n->weight, denom);
	}
	inherited = scale(parent_res, n->share_ppm, parent_share);
	n->sub_res_ppm = n->reserve_ppm > inherited ? n->reserve_ppm : inherited;

	if (n->caps)
		settle_caps(head, n, 0, &n->cap_sum, &n->cap_w);	/* its children */
	/* its own bios: one more child, counted as busy if it is */
	n->self_ppm = (u32)scale(n->share_ppm - n->cap_sum, IOB_SELF_WEIGHT,
				 n->csum - n->cap_w + IOB_SELF_WEIGHT);
	/* its own bios' part of its subtree's reservation: all, for a leaf */
	n->self_res_ppm = (u32)scale(n->sub_res_ppm, n->self_ppm, n->share_ppm);
	n->done = true;
}

/*
 * Compute every node's share and reservation.  O(nodes x depth), and
 * O(nodes) more for each parent of a limited group with busy children; a
 * parent must be on the list (a group's parent is an attached group).
 */
void iob_tree_shares(struct iob_node *head)
{
	struct tree_top top = { 0 };
	struct iob_node *n, *p;
	bool again = true, top_caps = false;

	for (n = head; n; n = n->next) {
		n->sub_busy = false;
		n->done = false;
		n->capped = false;
		n->caps = false;
		n->csum = 0;
		n->cap_sum = 0;
		n->cap_w = 0;
	}
	for (n = head; n; n = n->next)
		for (p = n->busy ? n : NULL; p && !p->sub_busy; p = p->parent)
			p->sub_busy = true;
	for (n = head; n; n = n->next) {
		if (!n->sub_busy)
			continue;
		if (n->parent)
			n->parent->csum += n->weight;
		else
			top.sum += n->weight;
	}
	/* who has limited children with busy children of their own */
	for (n = head; n; n = n->next) {
		if (!n->sub_busy || !n->limit_ppm || !n->csum)
			continue;
		if (n->parent)
			n->parent->caps = true;
		else
			top_caps = true;
	}
	if (top_caps)
		settle_caps(head, NULL, top.sum, &top.cap_sum, &top.cap_w);
	/* each pass finishes at least the next level */
	while (again) {
		again = false;
		for (n = head; n; n = n->next) {
			if (n->done)
				continue;
			if (n->parent && !n->parent->done) {
				again = true;
				continue;
			}
			node_share(head, n, &top);
		}
	}
}
