// SPDX-License-Identifier: GPL-2.0
/*
 * iobandctl: ioband table lines and status lines, read and written.
 *   table:  <dev> <devgroup> <io_throttle> <io_limit> <type> <policy>
 *           <token> [carryover=<n>] [:<default weight>] [<id>:<weight> ...]
 *           [children=<id> ...] [limit=... reserve=...]
 *   status: <devgroup> then per group <id> and eleven counters
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iobandctl.h"

const char *type_canonical(const char *type)
{
	enum iob_type t;

	return iob_parse_type(type, &t) ? NULL : iob_type_name(t);
}

const char *policy_canonical(const char *policy)
{
	enum iob_policy p;

	return iob_parse_policy(policy, &p) ? NULL : iob_policy_name(p);
}

const struct group_w *conf_group(const struct ioband_conf *c, long long id)
{
	int i;

	for (i = 0; i < c->ngroups; i++)
		if (c->groups[i].id == id)
			return &c->groups[i];
	return NULL;
}

int errorf(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * A table line as the module reads it: the same parser (ioband-args.c),
 * so iobandctl refuses what the kernel refuses, with the kernel's words.
 */
int table_parse(const char *params, struct ioband_conf *c, char *err, size_t len)
{
	/* each group: <id>:<weight>, children=, limit=, reserve=, latency= */
	static char buf[TABLE_LEN], *tok[8 + 5 * MAX_GROUPS];
	static struct iob_group_arg args[ARRAY_SIZE(tok)];
	char *save = NULL, *p;
	struct iob_table t = { .groups = args };
	const char *error = NULL;
	unsigned int n = 0, i;

	if (strlen(params) >= sizeof(buf))
		return errorf(err, len, "table line too long");
	strcpy(buf, params);
	for (p = strtok_r(buf, " \t\n", &save); p; p = strtok_r(NULL, " \t\n", &save)) {
		if (n == ARRAY_SIZE(tok))
			return errorf(err, len, "more than %d groups, or too many arguments",
				      MAX_GROUPS);
		tok[n++] = p;
	}
	if (!n)
		return errorf(err, len, "empty table line");
	if (strlen(tok[0]) >= sizeof(c->dev))
		return errorf(err, len, "device name too long");
	if (iob_parse_table(n - 1, tok + 1, &t, &error))
		return errorf(err, len, "%s", error);
	if (t.ngroups > MAX_GROUPS)
		return errorf(err, len, "more than %d groups (iobandctl's limit)", MAX_GROUPS);
	memset(c, 0, sizeof(*c));
	strcpy(c->dev, tok[0]);
	strcpy(c->devgroup, t.devgroup);
	c->io_throttle = t.params.io_throttle;
	c->io_limit = t.params.io_limit;
	c->token = t.params.token;
	c->carryover = t.params.carryover;
	strcpy(c->type, iob_type_name(t.type));
	strcpy(c->policy, iob_policy_name(t.params.policy));
	c->def_weight = t.def_weight;
	c->def_qos = t.def_qos;
	for (i = 0; i < t.ngroups; i++) {
		c->groups[i].id = t.groups[i].id;
		c->groups[i].weight = t.groups[i].weight;
		c->groups[i].children = t.groups[i].children;
		c->groups[i].qos = t.groups[i].qos;
	}
	c->ngroups = (int)t.ngroups;
	return 0;
}

int table_format(const struct ioband_conf *c, char *buf, size_t len)
{
	size_t off;
	int i, r;

	r = snprintf(buf, len, "%s %s %u %u %s %s %u", c->dev, c->devgroup,
		     c->io_throttle, c->io_limit, c->type, c->policy, c->token);
	if (r >= 0 && (size_t)r < len && c->carryover != IOB_DEFAULT_CARRYOVER)
		r += snprintf(buf + r, len - (size_t)r, " carryover=%u", c->carryover);
	if (r >= 0 && (size_t)r < len)
		r += snprintf(buf + r, len - (size_t)r, " :%u", c->def_weight);
	if (r < 0 || (size_t)r >= len)
		return -1;
	off = (size_t)r;
	for (i = 0; i < c->ngroups; i++) {
		r = snprintf(buf + off, len - off, " %lld:%u", c->groups[i].id,
			     c->groups[i].weight);
		if (r < 0 || (size_t)r >= len - off)
			return -1;
		off += (size_t)r;
	}
	for (i = 0; i < c->ngroups; i++) {
		if (!c->groups[i].children)
			continue;
		r = snprintf(buf + off, len - off, " children=%lld", c->groups[i].id);
		if (r < 0 || (size_t)r >= len - off)
			return -1;
		off += (size_t)r;
	}
	/* as the module prints them: the groups', then the default group's */
	for (i = 0; i <= c->ngroups; i++) {
		r = i < c->ngroups ?
		    iob_format_qos(buf + off, len - off, c->groups[i].id, &c->groups[i].qos) :
		    iob_format_qos(buf + off, len - off, IOB_DEFAULT_GROUP_ID, &c->def_qos);
		if (r < 0)
			return -1;
		off += (size_t)r;
	}
	return 0;
}

/* Returns the number of groups, or -1 if the line is not ioband's. */
int status_parse(const char *params, char *devgroup, size_t dglen,
		 struct group_stat *g, int max)
{
	const char *p = params;
	int n = 0, used, k;

	if (sscanf(p, "%31s%n", devgroup, &used) != 1 || strlen(devgroup) >= dglen)
		return -1;
	p += used;
	for (;;) {
		struct group_stat s;

		if (sscanf(p, " %lld%n", &s.id, &used) != 1)
			break;
		p += used;
		for (k = 0; k < ST_NR; k++) {
			if (sscanf(p, " %llu%n", &s.v[k], &used) != 1)
				return -1;
			p += used;
		}
		if (n == max)
			return -1;
		g[n++] = s;
	}
	while (*p == ' ' || *p == '\n')
		p++;
	return *p ? -1 : n;
}
