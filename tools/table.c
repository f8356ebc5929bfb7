// SPDX-License-Identifier: GPL-2.0
/*
 * iobandctl: ioband table lines and status lines, read and written.
 *   table:  <dev> <devgroup> <io_throttle> <io_limit> <type> <policy>
 *           <token> [carryover=<n>] [:<default weight>] [<id>:<weight> ...]
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

static int parse_uint(const char *s, unsigned int *out)
{
	return iob_parse_u32(s, 0, UINT32_MAX, out);
}

static int parse_ll(const char *s, long long *out)
{
	char *end;

	if (!*s)
		return -1;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno || *end ? -1 : 0;
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

int table_parse(const char *params, struct ioband_conf *c, char *err, size_t len)
{
	char buf[8192], *tok[8 + MAX_GROUPS], *save = NULL, *p;
	const char *t;
	int n = 0, i;

	if (strlen(params) >= sizeof(buf))
		return errorf(err, len, "table line too long");
	strcpy(buf, params);
	for (p = strtok_r(buf, " \t\n", &save); p; p = strtok_r(NULL, " \t\n", &save)) {
		if (n == (int)ARRAY_SIZE(tok))
			return errorf(err, len, "too many groups");
		tok[n++] = p;
	}
	if (n < 7)
		return errorf(err, len, "expected at least 7 arguments, got %d", n);
	memset(c, 0, sizeof(*c));
	if (strlen(tok[0]) >= sizeof(c->dev) || strlen(tok[1]) >= sizeof(c->devgroup))
		return errorf(err, len, "device or device group name too long");
	strcpy(c->dev, tok[0]);
	strcpy(c->devgroup, tok[1]);
	if (parse_uint(tok[2], &c->io_throttle) || parse_uint(tok[3], &c->io_limit))
		return errorf(err, len, "bad io_throttle or io_limit '%s %s'", tok[2], tok[3]);
	t = type_canonical(tok[4]);
	if (!t)
		return errorf(err, len, "unknown group type '%s'", tok[4]);
	strcpy(c->type, t);
	t = policy_canonical(tok[5]);
	if (!t)
		return errorf(err, len, "unknown policy '%s'", tok[5]);
	strcpy(c->policy, t);
	if (parse_uint(tok[6], &c->token))
		return errorf(err, len, "bad token '%s'", tok[6]);
	c->def_weight = 100;
	c->carryover = IOB_DEFAULT_CARRYOVER;
	for (i = 7; i < n; i++) {
		char *colon = strchr(tok[i], ':');
		unsigned int w;
		long long id = 0;

		if (!strncmp(tok[i], "carryover=", 10)) {
			if (iob_parse_u32(tok[i] + 10, 0, IOB_CARRYOVER_MAX, &c->carryover))
				return errorf(err, len, "bad carryover '%s'", tok[i]);
			continue;
		}
		if (!colon || parse_uint(colon + 1, &w))
			return errorf(err, len, "bad group argument '%s'", tok[i]);
		*colon = '\0';
		if (colon == tok[i]) {
			c->def_weight = w;
			continue;
		}
		if (parse_ll(tok[i], &id))
			return errorf(err, len, "bad group id '%s'", tok[i]);
		c->groups[c->ngroups].id = id;
		c->groups[c->ngroups].weight = w;
		c->ngroups++;
	}
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
