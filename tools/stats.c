// SPDX-License-Identifier: GPL-2.0
/*
 * iobandctl: per-group rates between two samples of dmsetup status, as a
 * table for people and as JSON for scripts.
 */
#include <stdio.h>
#include <string.h>

#include "iobandctl.h"

static const struct group_stat *find(const struct group_stat *g, int n,
				      long long id)
{
	int i;

	for (i = 0; i < n; i++)
		if (g[i].id == id)
			return &g[i];
	return NULL;
}

/* A counter's growth; after a "reset" message it restarted from 0. */
static unsigned long long delta(unsigned long long a, unsigned long long b)
{
	return b >= a ? b - a : b;
}

/*
 * Fill @out (nb entries, in @b's order) with rates over @secs.  A group
 * that was not in @a (attached in between) shows no rates yet.  Labels,
 * weights and shares are the caller's.
 */
int stats_rates(const struct group_stat *a, int na, const struct group_stat *b,
		int nb, double secs, struct group_rate *out)
{
	int i;

	for (i = 0; i < nb; i++) {
		const struct group_stat *s = find(a, na, b[i].id);
		struct group_rate *r = &out[i];
		unsigned long long d[ST_NR], ios;
		int k;

		memset(r, 0, sizeof(*r));
		r->id = b[i].id;
		r->held = b[i].v[ST_HELD];
		r->rd_bytes = b[i].v[ST_RD_SECTORS] * 512;
		r->wr_bytes = b[i].v[ST_WR_SECTORS] * 512;
		for (k = 0; k < ST_NR; k++)
			d[k] = s ? delta(s->v[k], b[i].v[k]) : 0;
		if (secs > 0) {
			r->rd_mbs = d[ST_RD_SECTORS] * 512.0 / 1e6 / secs;
			r->wr_mbs = d[ST_WR_SECTORS] * 512.0 / 1e6 / secs;
			r->rd_iops = d[ST_RD_IOS] / secs;
			r->wr_iops = d[ST_WR_IOS] / secs;
		}
		ios = d[ST_RD_IOS] + d[ST_WR_IOS];
		r->queue_ms = ios ? (double)d[ST_TIME_IN_QUEUE] / ios : 0;
	}
	return nb;
}

static long long parent_of(const struct group_rate *r)
{
	return r->tree ? r->tree->parent : IOB_DEFAULT_GROUP_ID;
}

/*
 * Put @r in the tree's order, each group after its parent (depth first,
 * siblings in their order), and set each one's depth.  Groups without a
 * parent among @r stand at the top.  O(n^2); n is at most a few hundred.
 */
void stats_tree_order(struct group_rate *r, int n)
{
	static struct group_rate out[MAX_GROUPS + 1];
	static bool used[MAX_GROUPS + 1];
	static int stack[MAX_GROUPS + 1];
	int i, k, m = 0, top = 0;

	if (n > MAX_GROUPS + 1)
		return;
	memset(used, 0, sizeof(used));
	/* the roots, last first on the stack so that they come out in order */
	for (i = n - 1; i >= 0; i--) {
		long long p = parent_of(&r[i]);
		bool has = false;

		/* -1 is the default group's id, and "no parent" in the tree */
		for (k = 0; k < n && !has && p != IOB_DEFAULT_GROUP_ID; k++)
			has = k != i && r[k].id == p;
		if (!has) {
			stack[top++] = i;
			used[i] = true;
			r[i].depth = 0;
		}
	}
	while (top) {
		i = stack[--top];
		out[m++] = r[i];
		for (k = n - 1; k >= 0 && r[i].id != IOB_DEFAULT_GROUP_ID; k--) {
			if (used[k] || parent_of(&r[k]) != r[i].id)
				continue;
			used[k] = true;
			r[k].depth = r[i].depth + 1;
			stack[top++] = k;
		}
	}
	/* a cycle cannot be, but nothing is lost if one were */
	for (i = 0; i < n; i++)
		if (!used[i])
			out[m++] = r[i];
	memcpy(r, out, (size_t)n * sizeof(*r));
}

static void print_keys(FILE *f, const u64 *v)
{
	bool first = true;
	int k;

	for (k = 0; k < IOB_NR_KEYS; k++) {
		if (!v[k])
			continue;
		if (iob_key_is_bytes(k))
			fprintf(f, "%s%s=%.2fMiB/s", first ? "" : ",", iob_key_name(k),
				v[k] / 1048576.0);
		else
			fprintf(f, "%s%s=%llu", first ? "" : ",", iob_key_name(k),
				(unsigned long long)v[k]);
		first = false;
	}
}

/* "  vm1: limit wbps=8.00MiB/s burst 100 ms (left wbps 812 KiB), held by its limit" */
static void print_qos_text(FILE *f, const struct group_rate *r)
{
	const struct iob_qos *q = &r->qos;
	int k;

	if (iob_qos_empty(q))
		return;
	fprintf(f, "  %s:", r->label);
	if (memcmp(q->limit, (u64[IOB_NR_KEYS]){ 0 }, sizeof(q->limit))) {
		fputs(" limit ", f);
		print_keys(f, q->limit);
		fprintf(f, " burst %u ms", iob_burst_ms(q));
		if (r->now) {
			fputs(" (left", f);
			for (k = 0; k < IOB_NR_KEYS; k++)
				if (q->limit[k])
					fprintf(f, " %s %llu%s", iob_key_name(k),
						iob_key_is_bytes(k) ? r->now->left[k] >> 10 : r->now->left[k],
						iob_key_is_bytes(k) ? " KiB" : "");
			fputc(')', f);
		}
	}
	if (memcmp(q->reserve, (u64[IOB_NR_KEYS]){ 0 }, sizeof(q->reserve))) {
		fputs(" reserve ", f);
		print_keys(f, q->reserve);
	}
	if (r->now && r->now->limited)
		fputs(", held by its limit", f);
	fputc('\n', f);
}

void stats_print_text(FILE *f, const char *name, const char *devgroup,
		      const struct group_rate *r, int n, double secs,
		      const struct qos_report *q, const struct tree_report *t)
{
	bool any = false;
	int i;

	fprintf(f, "%s (device group %s), over %.1f s\n", name, devgroup, secs);
	if (t && (t->nr_auto || t->fallbacks))
		fprintf(f, "%u groups made per child cgroup; %llu bios went to a parent while one was being made\n",
			t->nr_auto, t->fallbacks);
	fprintf(f, "%-32s %6s %6s %9s %9s %8s %8s %6s %8s\n", "GROUP", "WEIGHT",
		"SHARE", "READ MB/s", "WRITE MB/s", "RD IOPS", "WR IOPS", "HELD",
		"QUEUE ms");
	for (i = 0; i < n; i++) {
		int ind = 2 * (r[i].depth < 8 ? r[i].depth : 8);
		int w = 32 - ind > 8 ? 32 - ind : 8;

		fprintf(f, "%*s%-*s %6u %5.1f%% %9.2f %10.2f %8.0f %8.0f %6llu %8.2f%s\n",
			ind, "", w, r[i].label, r[i].weight, r[i].share * 100,
			r[i].rd_mbs, r[i].wr_mbs, r[i].rd_iops, r[i].wr_iops,
			r[i].held, r[i].queue_ms,
			r[i].tree && r[i].tree->children ? "  (children)" :
			r[i].tree && r[i].tree->auto_child ? "  (per child)" : "");
	}
	for (i = 0; i < n; i++)
		any |= r[i].lat && (r[i].lat->target_us || r[i].lat->cap_bps ||
				    r[i].lat->dir[0].ios || r[i].lat->dir[1].ios);
	if (any) {
		fputs("Latency (since the group was made or reset):\n", f);
		for (i = 0; i < n; i++)
			latency_print_text(f, r[i].label, r[i].lat);
	}
	any = false;
	for (i = 0; i < n; i++)
		any |= !iob_qos_empty(&r[i].qos);
	if (!any)
		return;
	fputs("Limits and reservations:\n", f);
	for (i = 0; i < n; i++)
		print_qos_text(f, &r[i]);
	if (q && q->scale_pct < 100)
		fprintf(f, "  reservations ask for %u%% of the device: each gets %u%% of what it asks\n",
			q->demand_pct, q->scale_pct);
}

void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void json_keys(FILE *f, const char *what, const u64 *v)
{
	bool first = true;
	int k;

	fprintf(f, ", \"%s\": {", what);
	for (k = 0; k < IOB_NR_KEYS; k++) {
		if (!v[k])
			continue;
		fprintf(f, "%s\"%s\": %llu", first ? "" : ", ", iob_key_name(k),
			(unsigned long long)v[k]);
		first = false;
	}
	fputc('}', f);
}

void stats_print_json(FILE *f, const char *name, const char *devgroup,
		      const struct group_rate *r, int n, double secs,
		      const struct qos_report *q, const struct tree_report *t)
{
	int i;

	fputs("{\"device\": ", f);
	json_string(f, name);
	fputs(", \"device_group\": ", f);
	json_string(f, devgroup);
	fprintf(f, ", \"interval_s\": %.3f", secs);
	if (q)
		fprintf(f, ", \"reserve_scale_pct\": %u, \"reserve_demand_pct\": %u",
			q->scale_pct, q->demand_pct);
	if (t)
		fprintf(f, ", \"per_child_groups\": %u, \"per_child_fallbacks\": %llu",
			t->nr_auto, t->fallbacks);
	fputs(", \"groups\": [\n", f);
	for (i = 0; i < n; i++) {
		fprintf(f, "  {\"id\": %lld, \"name\": ", r[i].id);
		json_string(f, r[i].label);
		fprintf(f, ", \"weight\": %u, \"share\": %.4f", r[i].weight, r[i].share);
		if (r[i].tree) {
			if (r[i].tree->parent == IOB_DEFAULT_GROUP_ID)
				fputs(", \"parent\": null", f);
			else
				fprintf(f, ", \"parent\": %lld", r[i].tree->parent);
			fprintf(f, ", \"depth\": %d, \"own\": %.4f, \"part\": %.4f, \"children\": %s, \"per_child\": %s",
				r[i].depth, r[i].tree->own_ppm / 1e6, r[i].tree->part_ppm / 1e6,
				r[i].tree->children ? "true" : "false",
				r[i].tree->auto_child ? "true" : "false");
		}
		fprintf(f, ", \"read_mbs\": %.3f, \"write_mbs\": %.3f", r[i].rd_mbs, r[i].wr_mbs);
		fprintf(f, ", \"read_iops\": %.1f, \"write_iops\": %.1f", r[i].rd_iops, r[i].wr_iops);
		fprintf(f, ", \"held\": %llu, \"queue_ms\": %.3f", r[i].held, r[i].queue_ms);
		fprintf(f, ", \"read_bytes\": %llu, \"write_bytes\": %llu",
			r[i].rd_bytes, r[i].wr_bytes);
		json_keys(f, "limit", r[i].qos.limit);
		fprintf(f, ", \"burst_ms\": %u", iob_burst_ms(&r[i].qos));
		json_keys(f, "reserve", r[i].qos.reserve);
		if (r[i].now) {
			u64 left[IOB_NR_KEYS];
			int k;

			for (k = 0; k < IOB_NR_KEYS; k++)
				left[k] = r[i].qos.limit[k] ? r[i].now->left[k] : 0;
			json_keys(f, "burst_left", left);
			fprintf(f, ", \"held_by_limit\": %s", r[i].now->limited ? "true" : "false");
		}
		latency_print_json(f, r[i].lat);
		fprintf(f, "}%s\n", i + 1 < n ? "," : "");
	}
	fputs("]}\n", f);
}
