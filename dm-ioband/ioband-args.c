// SPDX-License-Identifier: GPL-2.0
/*
 * ioband's arguments: the table line after <dev> and the device-group
 * parameters a message may change, parsed, checked and printed back the
 * way they are written.  Shared by dm-ioband.ko, iobandctl and the unit
 * tests, so that all three read a line the same way.
 */
#include "ioband-args.h"

#ifdef __KERNEL__
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/string.h>
#else
#include <stdio.h>
#include <string.h>
#endif

static const char *const type_names[] = {
	[IOB_TYPE_NONE] = "none",
	[IOB_TYPE_CGROUP] = "cgroup",
	[IOB_TYPE_UID] = "uid",
	[IOB_TYPE_GID] = "gid",
	[IOB_TYPE_PID] = "pid",
	[IOB_TYPE_PGRP] = "pgrp",
};

static const char *const policy_names[] = {
	[IOB_POLICY_WEIGHT] = "weight",
	[IOB_POLICY_WEIGHT_IOSIZE] = "weight-iosize",
};

static bool streq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

/* Strict unsigned decimal: digits only, no sign, no junk, no overflow. */
static int parse_u64(const char *s, u64 max, u64 *out)
{
	u64 v = 0;

	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		unsigned int d;

		if (*s < '0' || *s > '9')
			return -EINVAL;
		d = *s - '0';
		if (v > (max - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int iob_parse_u32(const char *s, u32 min, u32 max, u32 *out)
{
	u64 v;
	int r = parse_u64(s, max, &v);

	if (r)
		return r;
	if (v < min)
		return -ERANGE;
	*out = (u32)v;
	return 0;
}

int iob_parse_type(const char *s, enum iob_type *out)
{
	unsigned int i;

	if (streq(s, "user")) {
		*out = IOB_TYPE_UID;
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(type_names); i++) {
		if (streq(s, type_names[i])) {
			*out = (enum iob_type)i;
			return 0;
		}
	}
	/* dm-ioband had these as stubs that never worked. */
	if (streq(s, "node") || streq(s, "cpuset"))
		return -EOPNOTSUPP;
	return -EINVAL;
}

const char *iob_type_name(enum iob_type type)
{
	return type_names[type];
}

int iob_parse_policy(const char *s, enum iob_policy *out)
{
	if (streq(s, "weight") || streq(s, "default")) {
		*out = IOB_POLICY_WEIGHT;
		return 0;
	}
	if (streq(s, "weight-iosize")) {
		*out = IOB_POLICY_WEIGHT_IOSIZE;
		return 0;
	}
	return -EINVAL;
}

const char *iob_policy_name(enum iob_policy policy)
{
	return policy_names[policy];
}

/*
 * Group ids: a cgroup v2 id (cgroup_id(), >= 1) for "cgroup", a 32-bit
 * uid/gid/pid/pgrp otherwise ((u32)-1 is never a valid one).
 */
int iob_parse_group_id(enum iob_type type, const char *s, s64 *id)
{
	u64 v;
	int r;

	if (type == IOB_TYPE_NONE)
		return -EPERM;
	r = parse_u64(s, type == IOB_TYPE_CGROUP ? (u64)S64_MAX : 0xfffffffeULL,
		      &v);
	if (r)
		return r;
	if (type == IOB_TYPE_CGROUP && v == 0)
		return -ERANGE;
	*id = (s64)v;
	return 0;
}

/* "W", ":W" (default group) or "ID:W". */
int iob_parse_weight_arg(enum iob_type type, const char *s, s64 *id,
			 u32 *weight)
{
	char buf[32];
	const char *colon = strchr(s, ':');
	size_t n;
	int r;

	if (colon && strchr(colon + 1, ':'))
		return -EINVAL;
	if (!colon || colon == s) {
		*id = IOB_DEFAULT_GROUP_ID;
		return iob_parse_u32(colon ? s + 1 : s, 1, IOB_WEIGHT_MAX,
				     weight);
	}
	n = (size_t)(colon - s);
	if (n >= sizeof(buf))
		return -ERANGE;
	memcpy(buf, s, n);
	buf[n] = '\0';
	r = iob_parse_group_id(type, buf, id);
	if (r)
		return r;
	return iob_parse_u32(colon + 1, 1, IOB_WEIGHT_MAX, weight);
}

/*
 * A device-group parameter by name, as in "dmsetup message DEV 0 KEY VAL"
 * and the table line.  On error @p is unchanged and @err says why.
 */
int iob_parse_param(const char *key, const char *val, struct iob_params *p,
		    char *err, size_t errlen)
{
	struct iob_params n = *p;
	u32 max = IOB_IO_PARAM_MAX, *field, v;

	if (streq(key, "policy")) {
		if (iob_parse_policy(val, &n.policy)) {
			snprintf(err, errlen, "policy %s: unknown policy (weight, weight-iosize, default)", val);
			return -EINVAL;
		}
		*p = n;
		return 0;
	}
	if (streq(key, "token")) {
		field = &n.token;
		max = IOB_TOKEN_MAX;
	} else if (streq(key, "carryover")) {
		field = &n.carryover;
		max = IOB_CARRYOVER_MAX;
	} else if (streq(key, "io_throttle")) {
		field = &n.io_throttle;
	} else if (streq(key, "io_limit")) {
		field = &n.io_limit;
	} else {
		snprintf(err, errlen, "unknown parameter '%s'", key);
		return -EINVAL;
	}
	if (iob_parse_u32(val, 0, max, &v)) {
		snprintf(err, errlen, "%s %s: expected 0 to %u", key, val, max);
		return -EINVAL;
	}
	*field = v;
	if (n.io_limit && n.io_limit < iob_io_throttle(&n)) {
		snprintf(err, errlen, "%s %s: io_limit %u would be below io_throttle %u",
			 key, val, n.io_limit, iob_io_throttle(&n));
		return -EINVAL;
	}
	*p = n;
	return 0;
}

/*
 * A device-group id is printed in the table line and the status: 1 to 31
 * printable ASCII characters without spaces, so that it reads back the same.
 */
bool iob_valid_devgroup(const char *s)
{
	size_t n;

	for (n = 0; s[n]; n++)
		if (s[n] <= ' ' || s[n] > '~' || n == IOB_DEVGROUP_MAX)
			return false;
	return n > 0;
}

static int parse_table_head(char **argv, struct iob_table *t,
			    const char **error)
{
	struct iob_params *p = &t->params;
	u32 v;

	if (!iob_valid_devgroup(argv[0])) {
		*error = "Invalid device-group id: 1 to 31 printable ASCII characters, no spaces";
		return -EINVAL;
	}
	strcpy(t->devgroup, argv[0]);
	if (iob_parse_u32(argv[1], 0, IOB_IO_PARAM_MAX, &v)) {
		*error = "Invalid io_throttle: expected 0 to 32767";
		return -EINVAL;
	}
	p->io_throttle = v;
	if (iob_parse_u32(argv[2], 0, IOB_IO_PARAM_MAX, &v)) {
		*error = "Invalid io_limit: expected 0 to 32767";
		return -EINVAL;
	}
	p->io_limit = v;
	if (p->io_limit && p->io_limit < iob_io_throttle(p)) {
		*error = "io_limit is smaller than io_throttle";
		return -EINVAL;
	}
	switch (iob_parse_type(argv[3], &t->type)) {
	case 0:
		break;
	case -EOPNOTSUPP:
		*error = "Group types node and cpuset are not supported";
		return -EINVAL;
	default:
		*error = "Unknown group type: expected none, cgroup, uid, user, gid, pid or pgrp";
		return -EINVAL;
	}
	if (iob_parse_policy(argv[4], &p->policy)) {
		*error = "Unknown policy: expected weight, weight-iosize or default";
		return -EINVAL;
	}
	if (iob_parse_u32(argv[5], 0, IOB_TOKEN_MAX, &v)) {
		*error = "Invalid token base: expected 0 to 1073741824";
		return -EINVAL;
	}
	p->token = v;
	return 0;
}

/* One argument of the tail: carryover=N, :<weight> or <id>:<weight>. */
static int parse_table_arg(const char *arg, struct iob_table *t,
			   bool *have_default, bool *have_carryover,
			   const char **error)
{
	struct iob_group_arg *ga = &t->groups[t->ngroups];
	unsigned int i;
	int r;

	if (!strncmp(arg, "carryover=", 10)) {
		if (*have_carryover) {
			*error = "carryover given twice";
			return -EINVAL;
		}
		if (iob_parse_u32(arg + 10, 0, IOB_CARRYOVER_MAX, &t->params.carryover)) {
			*error = "Invalid carryover: expected carryover=0 to carryover=64";
			return -EINVAL;
		}
		*have_carryover = true;
		return 0;
	}
	r = iob_parse_weight_arg(t->type, arg, &ga->id, &ga->weight);
	if (r == -EPERM) {
		*error = "Group type none takes no groups";
		return -EINVAL;
	}
	if (r || (ga->id == IOB_DEFAULT_GROUP_ID && arg[0] != ':')) {
		*error = "Invalid group argument: expected :<weight> or <id>:<weight>, weight 1 to 10000";
		return -EINVAL;
	}
	if (ga->id == IOB_DEFAULT_GROUP_ID) {
		if (*have_default) {
			*error = "Default weight given twice";
			return -EINVAL;
		}
		*have_default = true;
		t->def_weight = ga->weight;
		return 0;
	}
	for (i = 0; i < t->ngroups; i++) {
		if (t->groups[i].id == ga->id) {
			*error = "Group id given twice";
			return -EINVAL;
		}
	}
	t->ngroups++;
	return 0;
}

/*
 * <device-group-id> <io_throttle> <io_limit> <group-type> <policy>
 * <token-base> [carryover=<n>] [:<default-weight>] [<id>:<weight> ...]
 * (argv without the table's <dev>; carryover= may stand anywhere in the
 * tail).  t->groups must have room for @argc entries.
 */
int iob_parse_table(unsigned int argc, char **argv, struct iob_table *t,
		    const char **error)
{
	bool have_default = false, have_carryover = false;
	unsigned int i;
	int r;

	t->ngroups = 0;
	t->def_weight = IOB_DEFAULT_WEIGHT;
	memset(&t->params, 0, sizeof(t->params));
	t->params.carryover = IOB_DEFAULT_CARRYOVER;
	if (argc < 6) {
		*error = "Not enough arguments: <dev> <device-group-id> <io_throttle> <io_limit> <group-type> <policy> <token-base> [carryover=<n>] [:<weight>] [<id>:<weight>...]";
		return -EINVAL;
	}
	r = parse_table_head(argv, t, error);
	for (i = 6; !r && i < argc; i++)
		r = parse_table_arg(argv[i], t, &have_default, &have_carryover,
				    error);
	return r;
}

/*
 * The table line from <device-group-id> to the default weight; carryover
 * only when it is not the default, so that dm-ioband 1.x lines print back
 * as they were written.  Returns what snprintf() returns.
 */
int iob_format_params(char *buf, size_t len, const char *devgroup,
		      const struct iob_params *p, enum iob_type type,
		      u32 def_weight)
{
	if (p->carryover != IOB_DEFAULT_CARRYOVER)
		return snprintf(buf, len, "%s %u %u %s %s %u carryover=%u :%u",
				devgroup, p->io_throttle, p->io_limit,
				iob_type_name(type), iob_policy_name(p->policy),
				p->token, p->carryover, def_weight);
	return snprintf(buf, len, "%s %u %u %s %s %u :%u", devgroup,
			p->io_throttle, p->io_limit, iob_type_name(type),
			iob_policy_name(p->policy), p->token, def_weight);
}

/* The whole line after <dev>; 0, or -1 if it does not fit in @len. */
int iob_format_table(const struct iob_table *t, char *buf, size_t len)
{
	size_t off;
	unsigned int i;
	int r;

	r = iob_format_params(buf, len, t->devgroup, &t->params, t->type,
			      t->def_weight);
	if (r < 0 || (size_t)r >= len)
		return -1;
	off = (size_t)r;
	for (i = 0; i < t->ngroups; i++) {
		r = snprintf(buf + off, len - off, " %lld:%u",
			     (long long)t->groups[i].id, t->groups[i].weight);
		if (r < 0 || (size_t)r >= len - off)
			return -1;
		off += (size_t)r;
	}
	return 0;
}
