// SPDX-License-Identifier: GPL-2.0
/*
 * iobandctl: the module's "groups" query, which says how the groups of a
 * cgroup device nest, each one's share of the device by the tree, and
 * which groups a marked parent made for its child cgroups.
 */
#include <string.h>

#include "iobandctl.h"

/*
 * "auto=<n> fallbacks=<n>", then per group "<id> parent=<id>|-
 * weight=<w> hweight=<ppm> own=<ppm> part=<ppm> children=<0|1> auto=<0|1>".
 */
int tree_report_parse(const char *text, struct tree_report *t)
{
	const char *line = text;

	memset(t, 0, sizeof(*t));
	if (sscanf(text, "auto=%u fallbacks=%llu", &t->nr_auto, &t->fallbacks) != 2)
		return -1;
	while ((line = strchr(line, '\n'))) {
		struct tree_group *g = &t->g[t->n];
		int children, autoc, used = 0;
		char parent[24];

		line++;
		if (!*line)
			break;
		if (t->n == MAX_GROUPS + 1)
			return -1;
		if (sscanf(line, "%lld parent=%23s weight=%u hweight=%u own=%u part=%u children=%d auto=%d%n",
			   &g->id, parent, &g->weight, &g->hweight_ppm, &g->own_ppm,
			   &g->part_ppm, &children, &autoc, &used) != 8 || !used)
			return -1;
		if (!strcmp(parent, "-"))
			g->parent = IOB_DEFAULT_GROUP_ID;
		else if (sscanf(parent, "%lld", &g->parent) != 1)
			return -1;
		g->children = children;
		g->auto_child = autoc;
		t->n++;
	}
	return 0;
}

const struct tree_group *tree_find(const struct tree_report *t, long long id)
{
	int i;

	for (i = 0; t && i < t->n; i++)
		if (t->g[i].id == id)
			return &t->g[i];
	return NULL;
}
