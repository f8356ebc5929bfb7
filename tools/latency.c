// SPDX-License-Identifier: GPL-2.0
/*
 * iobandctl: the module's "latency" query: each group's latency target,
 * the cap latency control holds it to, and the percentiles of its
 * completion latency since the group was made or the last reset.
 */
#include <stdio.h>
#include <string.h>

#include "iobandctl.h"

/* "r=<n>:<p50>,<p90>,<p99>" or "w=...". */
static int parse_dir(const char *s, char d, struct latency_dir *out)
{
	char want[3] = { d, '=', '\0' };
	int used = 0;

	if (strncmp(s, want, 2) ||
	    sscanf(s + 2, "%llu:%llu,%llu,%llu%n", &out->ios, &out->p50_us,
		   &out->p90_us, &out->p99_us, &used) != 4 || !used)
		return -1;
	return 0;
}

/*
 * "window_ms=<ms> peak_bps=<n> step=<n> windows=<n>", then per group
 * "<id> target=<us>|- cap=<bps>|- floor=<bps> missed=<n> capped=<n>
 * r=<n>:<p50>,<p90>,<p99> w=<n>:<p50>,<p90>,<p99>".
 */
int latency_report_parse(const char *text, struct latency_report *r)
{
	const char *line = text;

	memset(r, 0, sizeof(*r));
	if (sscanf(text, "window_ms=%u peak_bps=%llu", &r->window_ms, &r->peak_bps) != 2)
		return -1;
	while ((line = strchr(line, '\n'))) {
		struct latency_group *g = &r->g[r->n];
		char target[24], cap[24], rd[96], wr[96];

		line++;
		if (!*line)
			break;
		if (r->n == MAX_GROUPS + 1)
			return -1;
		if (sscanf(line, "%lld target=%23s cap=%23s floor=%llu missed=%llu capped=%llu %95s %95s",
			   &g->id, target, cap, &g->floor_bps, &g->missed, &g->capped, rd, wr) != 8)
			return -1;
		if (strcmp(target, "-") && sscanf(target, "%u", &g->target_us) != 1)
			return -1;
		if (strcmp(cap, "-") && sscanf(cap, "%llu", &g->cap_bps) != 1)
			return -1;
		if (parse_dir(rd, 'r', &g->dir[0]) || parse_dir(wr, 'w', &g->dir[1]))
			return -1;
		r->n++;
	}
	return 0;
}

const struct latency_group *latency_find(const struct latency_report *r, long long id)
{
	int i;

	for (i = 0; r && i < r->n; i++)
		if (r->g[i].id == id)
			return &r->g[i];
	return NULL;
}

/* One group's line under "Latency", if it has a target, a cap or bios. */
void latency_print_text(FILE *f, const char *label, const struct latency_group *g)
{
	int d;

	if (!g || (!g->target_us && !g->cap_bps && !g->dir[0].ios && !g->dir[1].ios))
		return;
	fprintf(f, "  %s:", label);
	if (g->target_us)
		fprintf(f, " target %u us (%llu windows missed)", g->target_us, g->missed);
	for (d = 0; d < 2; d++)
		if (g->dir[d].ios)
			fprintf(f, " %s p50/p90/p99 %llu/%llu/%llu us of %llu",
				d ? "write" : "read", g->dir[d].p50_us, g->dir[d].p90_us,
				g->dir[d].p99_us, g->dir[d].ios);
	if (g->cap_bps)
		fprintf(f, ", held back to %.2f MiB/s for a target", g->cap_bps / 1048576.0);
	fputc('\n', f);
}

void latency_print_json(FILE *f, const struct latency_group *g)
{
	int d;

	if (!g)
		return;
	fprintf(f, ", \"latency\": {\"target_us\": %u, \"cap_bps\": %llu, \"floor_bps\": %llu, \"missed_windows\": %llu, \"capped_windows\": %llu",
		g->target_us, g->cap_bps, g->floor_bps, g->missed, g->capped);
	for (d = 0; d < 2; d++)
		fprintf(f, ", \"%s\": {\"ios\": %llu, \"p50_us\": %llu, \"p90_us\": %llu, \"p99_us\": %llu}",
			d ? "write" : "read", g->dir[d].ios, g->dir[d].p50_us, g->dir[d].p90_us,
			g->dir[d].p99_us);
	fputc('}', f);
}
