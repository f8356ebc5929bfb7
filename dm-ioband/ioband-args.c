// SPDX-License-Identifier: GPL-2.0
/*
 * ioband's arguments: the table line after <dev> and the device-group
 * parameters a message may change, parsed, checked and printed back the
 * way they are written.  Shared by dm-ioband.ko, iobandctl and the unit
 * tests, so that all three read a line the same way.
 */
#include "ioband-args.h"
#include "ioband-latency.h"

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
		if (d > max || v > (max - d) / 10)
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

/* Split "<id>:<rest>" or "<rest>": *@rest after the id, @id default if none. */
static int split_id(enum iob_type type, const char *s, const char *sep_before,
		    s64 *id, const char **rest)
{
	const char *colon = strchr(s, ':');
	char buf[32];
	size_t n;

	*id = IOB_DEFAULT_GROUP_ID;
	*rest = s;
	if (!colon || (sep_before && sep_before < colon))
		return 0;
	*rest = colon + 1;
	n = (size_t)(colon - s);
	if (!n)
		return 0;
	if (n >= sizeof(buf))
		return -ERANGE;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return iob_parse_group_id(type, buf, id);
}

static int find_key(const char *s, size_t n)
{
	int k;

	for (k = 0; k < IOB_NR_KEYS; k++)
		if (strlen(iob_key_name(k)) == n && !strncmp(s, iob_key_name(k), n))
			return k;
	if (n == 5 && !strncmp(s, "burst", 5))
		return IOB_NR_KEYS;
	return -1;
}

/*
 * "limit <id>:<key>=<n>[,...][,burst=<ms>]" and "reserve <id>:<key>=<n>
 * [,...]": keys bps rbps wbps (bytes/s), iops riops wiops (I/Os/s); <n> 0
 * removes the key, burst=0 restores the default.  On error @err says why.
 */
int iob_parse_qos_arg(enum iob_type type, bool reserve, const char *s,
		      struct iob_qos_arg *a, char *err, size_t errlen)
{
	const char *what = reserve ? "reserve" : "limit";
	const char *item;
	int r;

	memset(a, 0, sizeof(*a));
	a->reserve = reserve;
	r = split_id(type, s, strchr(s, '='), &a->id, &item);
	if (r == -EPERM) {
		snprintf(err, errlen, "%s %s: group type none has no groups", what, s);
		return -EINVAL;
	}
	if (r) {
		snprintf(err, errlen, "%s %s: invalid group id", what, s);
		return -EINVAL;
	}
	if (!*item) {
		snprintf(err, errlen, "%s %s: expected <key>=<n>[,<key>=<n>...]", what, s);
		return -EINVAL;
	}
	while (*item) {
		const char *eq = strchr(item, '='), *end = strchr(item, ',');
		char val[24];
		size_t n;
		u64 v;
		int k;

		if (!end)
			end = item + strlen(item);
		if (!eq || eq > end) {
			snprintf(err, errlen, "%s %s: expected <key>=<n>, not '%.*s'",
				 what, s, (int)(end - item), item);
			return -EINVAL;
		}
		k = find_key(item, (size_t)(eq - item));
		if (k < 0 || (k == IOB_NR_KEYS && reserve)) {
			snprintf(err, errlen, "%s %s: unknown key '%.*s' (bps rbps wbps iops riops wiops%s)",
				 what, s, (int)(eq - item), item, reserve ? "" : " burst");
			return -EINVAL;
		}
		if (a->set & (1U << k)) {
			snprintf(err, errlen, "%s %s: %.*s given twice", what, s,
				 (int)(eq - item), item);
			return -EINVAL;
		}
		n = (size_t)(end - eq - 1);
		if (n >= sizeof(val))
			n = sizeof(val) - 1;	/* parse_u64 sees junk or overflow */
		memcpy(val, eq + 1, n);
		val[n] = '\0';
		r = parse_u64(val, k == IOB_NR_KEYS ? IOB_BURST_MS_MAX : IOB_RATE_MAX, &v);
		if (r || (size_t)(end - eq - 1) >= sizeof(val)) {
			snprintf(err, errlen, "%s %s: %.*s: expected 0 to %llu", what, s,
				 (int)(eq - item), item,
				 k == IOB_NR_KEYS ? (unsigned long long)IOB_BURST_MS_MAX :
				 (unsigned long long)IOB_RATE_MAX);
			return -EINVAL;
		}
		a->set |= 1U << k;
		if (k == IOB_NR_KEYS)
			a->burst_ms = (u32)v;
		else
			a->val[k] = v;
		item = *end ? end + 1 : end;
		if (*end && !*item) {
			snprintf(err, errlen, "%s %s: trailing comma", what, s);
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * A reservation may not be above a limit of the same group that bounds
 * it: the total limit bounds every reservation of its unit and the sum of
 * the two directions', a direction's limit that direction's.
 */
static int check_qos(const struct iob_qos *q, char *err, size_t errlen)
{
	static const int base[] = { IOB_BPS, IOB_IOPS };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(base); i++) {
		int t = base[i], rd = t + 1, wr = t + 2, k;
		const u64 *l = q->limit, *v = q->reserve;

		for (k = t; k <= wr; k++) {
			if (l[k] && v[k] > l[k]) {
				snprintf(err, errlen, "reserve %s=%llu is above limit %s=%llu",
					 iob_key_name(k), (unsigned long long)v[k],
					 iob_key_name(k), (unsigned long long)l[k]);
				return -EINVAL;
			}
			if (k != t && l[t] && v[k] > l[t]) {
				snprintf(err, errlen, "reserve %s=%llu is above limit %s=%llu",
					 iob_key_name(k), (unsigned long long)v[k],
					 iob_key_name(t), (unsigned long long)l[t]);
				return -EINVAL;
			}
		}
		if (l[t] && v[rd] + v[wr] > l[t]) {
			snprintf(err, errlen, "reserve %s+%s=%llu is above limit %s=%llu",
				 iob_key_name(rd), iob_key_name(wr),
				 (unsigned long long)(v[rd] + v[wr]),
				 iob_key_name(t), (unsigned long long)l[t]);
			return -EINVAL;
		}
		if (l[rd] && l[wr] && v[t] > l[rd] + l[wr]) {
			snprintf(err, errlen, "reserve %s=%llu is above limits %s+%s=%llu",
				 iob_key_name(t), (unsigned long long)v[t],
				 iob_key_name(rd), iob_key_name(wr),
				 (unsigned long long)(l[rd] + l[wr]));
			return -EINVAL;
		}
	}
	return 0;
}

/* Apply @a to @q; refused (and @q unchanged) if a reservation would pass a limit. */
int iob_apply_qos_arg(struct iob_qos *q, const struct iob_qos_arg *a,
		      char *err, size_t errlen)
{
	struct iob_qos n = *q;
	int k;

	for (k = 0; k < IOB_NR_KEYS; k++)
		if (a->set & (1U << k))
			(a->reserve ? n.reserve : n.limit)[k] = a->val[k];
	if (a->set & IOB_QOS_BURST_BIT)
		n.burst_ms = a->burst_ms;
	if (check_qos(&n, err, errlen))
		return -EINVAL;
	*q = n;
	return 0;
}

/*
 * "latency <id>:<usec>": a group's latency target in microseconds, the
 * default group as ":<usec>"; 0 removes it.
 */
int iob_parse_latency_arg(enum iob_type type, const char *s, s64 *id,
			  u32 *us, char *err, size_t errlen)
{
	const char *rest;
	u64 v;
	int r;

	if (!strchr(s, ':'))
		goto bad;
	r = split_id(type, s, NULL, id, &rest);
	if (r == -EPERM) {
		snprintf(err, errlen, "latency %s: group type none has no groups", s);
		return -EINVAL;
	}
	if (r)
		goto bad;
	if (parse_u64(rest, IOB_LAT_TARGET_MAX_US, &v)) {
		snprintf(err, errlen, "latency %s: expected 0 to %u microseconds",
			 s, IOB_LAT_TARGET_MAX_US);
		return -EINVAL;
	}
	*us = (u32)v;
	return 0;
bad:
	snprintf(err, errlen, "latency %s: expected <id>:<usec>", s);
	return -EINVAL;
}

/*
 * dm-ioband's range-bw: "<id>:<min>:<max>" in KB/s (1000 bytes), the
 * default group as ":<min>:<max>" or "-1:<min>:<max>"; a max of 0 is no
 * limit, a min of 0 no reservation.  It sets the group's bps reservation
 * and limit.
 */
int iob_parse_range_bw(enum iob_type type, const char *s, s64 *id,
		       struct iob_qos *q, char *err, size_t errlen)
{
	const char *rest, *c2;
	struct iob_qos n;
	char buf[24];
	u64 min, max;
	size_t len;
	int r;

	if (!strncmp(s, "-1:", 3)) {
		*id = IOB_DEFAULT_GROUP_ID;
		rest = s + 3;
		r = 0;
	} else {
		r = split_id(type, s, NULL, id, &rest);
	}
	if (r || rest == s)
		goto bad;
	c2 = strchr(rest, ':');
	if (!c2 || strchr(c2 + 1, ':'))
		goto bad;
	len = (size_t)(c2 - rest);
	if (len >= sizeof(buf))
		goto bad;
	memcpy(buf, rest, len);
	buf[len] = '\0';
	if (parse_u64(buf, IOB_RATE_MAX / 1000, &min) ||
	    parse_u64(c2 + 1, IOB_RATE_MAX / 1000, &max))
		goto bad;
	if (max && min > max) {
		snprintf(err, errlen, "range-bw %s: min-bw above max-bw", s);
		return -EINVAL;
	}
	n = *q;
	n.reserve[IOB_BPS] = min * 1000;
	n.limit[IOB_BPS] = max * 1000;
	if (check_qos(&n, err, errlen))
		return -EINVAL;
	*q = n;
	return 0;
bad:
	snprintf(err, errlen, "range-bw %s: expected <id>:<min-bw>:<max-bw> in KB/s", s);
	return -EINVAL;
}

static int format_keys(char *buf, size_t len, const char *what, s64 id,
		       const u64 *v, u32 burst_ms)
{
	size_t off = 0;
	bool first = true;
	int k, r;

	for (k = 0; k <= IOB_NR_KEYS; k++) {
		if (k < IOB_NR_KEYS ? !v[k] : !burst_ms)
			continue;
		if (first && id == IOB_DEFAULT_GROUP_ID)
			r = snprintf(buf + off, len - off, " %s=:", what);
		else if (first)
			r = snprintf(buf + off, len - off, " %s=%lld:", what, (long long)id);
		else
			r = snprintf(buf + off, len - off, ",");
		if (r < 0 || (size_t)r >= len - off)
			return -1;
		off += (size_t)r;
		first = false;
		if (k < IOB_NR_KEYS)
			r = snprintf(buf + off, len - off, "%s=%llu", iob_key_name(k),
				     (unsigned long long)v[k]);
		else
			r = snprintf(buf + off, len - off, "burst=%u", burst_ms);
		if (r < 0 || (size_t)r >= len - off)
			return -1;
		off += (size_t)r;
	}
	return (int)off;
}

/*
 * A group's " limit=<id>:...", " reserve=<id>:..." and " latency=<id>:<us>"
 * table arguments (nothing if it has none).  Returns the length, -1 if it does not fit.
 */
int iob_format_qos(char *buf, size_t len, s64 id, const struct iob_qos *q)
{
	int a, b;

	if (!len)
		return -1;
	buf[0] = '\0';
	a = format_keys(buf, len, "limit", id, q->limit, q->burst_ms);
	if (a < 0)
		return -1;
	b = format_keys(buf + a, len - (size_t)a, "reserve", id, q->reserve, 0);
	if (b < 0)
		return -1;
	a += b;
	if (!q->latency_us)
		return a;
	if (id == IOB_DEFAULT_GROUP_ID)
		b = snprintf(buf + a, len - (size_t)a, " latency=:%u", q->latency_us);
	else
		b = snprintf(buf + a, len - (size_t)a, " latency=%lld:%u",
			     (long long)id, q->latency_us);
	return b < 0 || (size_t)b >= len - (size_t)a ? -1 : a + b;
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

static int parse_table_head(char **argv, struct iob_table *t, bool *range_bw,
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
	*range_bw = !strcmp(argv[4], "range-bw");
	if (*range_bw) {
		p->policy = IOB_POLICY_WEIGHT_IOSIZE;
	} else if (iob_parse_policy(argv[4], &p->policy)) {
		*error = "Unknown policy: expected weight, weight-iosize, default or range-bw";
		return -EINVAL;
	}
	if (iob_parse_u32(argv[5], 0, IOB_TOKEN_MAX, &v)) {
		*error = "Invalid token base: expected 0 to 1073741824";
		return -EINVAL;
	}
	/* range-bw's token pool means nothing here: epochs follow the device */
	p->token = *range_bw ? 0 : v;
	return 0;
}

static bool is_qos_arg(const char *arg)
{
	return !strncmp(arg, "limit=", 6) || !strncmp(arg, "reserve=", 8) ||
	       !strncmp(arg, "latency=", 8);
}

/* Arguments about groups the line attaches: read after all of them. */
static bool is_late_arg(const char *arg)
{
	return is_qos_arg(arg) || !strncmp(arg, "children=", 9);
}

/* children=<id>: a cgroup the line attaches, each child its own group. */
static int parse_table_children(const char *arg, struct iob_table *t,
				const char **error)
{
	unsigned int i;
	s64 id;

	if (t->type != IOB_TYPE_CGROUP) {
		*error = "children= needs group type cgroup";
		return -EINVAL;
	}
	if (iob_parse_group_id(t->type, arg + 9, &id) ||
	    id == IOB_DEFAULT_GROUP_ID) {
		*error = "Invalid children= argument: expected children=<cgroup-id>";
		return -EINVAL;
	}
	for (i = 0; i < t->ngroups && t->groups[i].id != id; i++)
		;
	if (i == t->ngroups) {
		*error = "children= for a group the line does not attach";
		return -EINVAL;
	}
	if (t->groups[i].children) {
		*error = "children= given twice for one group";
		return -EINVAL;
	}
	t->groups[i].children = true;
	return 0;
}

/* dm-ioband's range-bw group argument, [<id>]:<min>:<max>. */
static int parse_range_bw_arg(const char *arg, struct iob_table *t,
			      struct iob_group_arg *ga, const char **error)
{
	char err[128];

	memset(&ga->qos, 0, sizeof(ga->qos));
	ga->weight = IOB_DEFAULT_WEIGHT;
	ga->children = false;
	if (iob_parse_range_bw(t->type, arg, &ga->id, &ga->qos, err, sizeof(err))) {
		*error = t->type == IOB_TYPE_NONE && arg[0] != ':' ?
			 "Group type none takes no groups" :
			 "Invalid range-bw group argument: expected :<min-bw>:<max-bw> or <id>:<min-bw>:<max-bw> in KB/s, min-bw not above max-bw";
		return -EINVAL;
	}
	return 0;
}

/*
 * One argument of the tail: carryover=N, :<weight> or <id>:<weight>
 * ([<id>]:<min>:<max> for range-bw); limit= and reserve= come later.
 */
static int parse_table_arg(const char *arg, struct iob_table *t,
			   bool range_bw, bool *have_default,
			   bool *have_carryover, const char **error)
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
	if (is_late_arg(arg))
		return 0;
	if (range_bw) {
		r = parse_range_bw_arg(arg, t, ga, error);
		if (r)
			return r;
	} else {
		memset(&ga->qos, 0, sizeof(ga->qos));
		ga->children = false;
		r = iob_parse_weight_arg(t->type, arg, &ga->id, &ga->weight);
		if (r == -EPERM) {
			*error = "Group type none takes no groups";
			return -EINVAL;
		}
		if (r || (ga->id == IOB_DEFAULT_GROUP_ID && arg[0] != ':')) {
			*error = "Invalid group argument: expected :<weight> or <id>:<weight>, weight 1 to 10000";
			return -EINVAL;
		}
	}
	if (ga->id == IOB_DEFAULT_GROUP_ID) {
		if (*have_default) {
			*error = "Default weight given twice";
			return -EINVAL;
		}
		*have_default = true;
		t->def_weight = ga->weight;
		t->def_qos = ga->qos;
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
 * limit=<id>:... or reserve=<id>:..., for a group the line has; a key may
 * be given once per group (a key with a value has been given).
 */
static int parse_table_qos(const char *arg, struct iob_table *t,
			   const char **error)
{
	bool reserve = arg[0] == 'r', latency = arg[1] == 'a';
	struct iob_qos_arg a;
	struct iob_qos *q;
	char err[160];
	unsigned int i;
	u32 us = 0;
	int k;

	if (latency) {
		if (iob_parse_latency_arg(t->type, arg + 8, &a.id, &us, err,
					  sizeof(err)) || !us) {
			*error = "Invalid latency= argument: expected latency=<id>:<usec>, 1 to 60000000";
			return -EINVAL;
		}
	} else if (iob_parse_qos_arg(t->type, reserve, arg + (reserve ? 8 : 6), &a,
			      err, sizeof(err))) {
		*error = "Invalid limit= or reserve= argument: expected limit=<id>:<key>=<n>[,...][,burst=<ms>] or reserve=<id>:<key>=<n>[,...], keys bps rbps wbps iops riops wiops";
		return -EINVAL;
	}
	if (a.id == IOB_DEFAULT_GROUP_ID) {
		q = &t->def_qos;
	} else {
		for (i = 0; i < t->ngroups && t->groups[i].id != a.id; i++)
			;
		if (i == t->ngroups) {
			*error = "limit=, reserve= or latency= for a group the line does not attach";
			return -EINVAL;
		}
		q = &t->groups[i].qos;
	}
	if (latency) {
		if (q->latency_us) {
			*error = "latency= given twice for one group";
			return -EINVAL;
		}
		q->latency_us = us;
		return 0;
	}
	for (k = 0; k < IOB_NR_KEYS; k++) {
		if ((a.set & (1U << k)) && (reserve ? q->reserve : q->limit)[k]) {
			*error = "A limit or reservation key given twice for one group";
			return -EINVAL;
		}
	}
	if ((a.set & IOB_QOS_BURST_BIT) && q->burst_ms) {
		*error = "A limit or reservation key given twice for one group";
		return -EINVAL;
	}
	if (iob_apply_qos_arg(q, &a, err, sizeof(err))) {
		*error = "A reservation is above a limit of the same group";
		return -EINVAL;
	}
	return 0;
}

/*
 * <device-group-id> <io_throttle> <io_limit> <group-type> <policy>
 * <token-base> [carryover=<n>] [:<default-weight>] [<id>:<weight> ...]
 * [children=<id> ...] [limit=<id>:<key>=<n>,...]
 * [reserve=<id>:<key>=<n>,...] (argv without the table's <dev>;
 * carryover=, children=, limit= and reserve= may stand anywhere in the
 * tail).  t->groups must have room for @argc
 * entries.
 */
int iob_parse_table(unsigned int argc, char **argv, struct iob_table *t,
		    const char **error)
{
	bool have_default = false, have_carryover = false, range_bw = false;
	unsigned int i, nq = 0;
	int r;

	t->ngroups = 0;
	t->def_weight = IOB_DEFAULT_WEIGHT;
	memset(&t->def_qos, 0, sizeof(t->def_qos));
	memset(&t->params, 0, sizeof(t->params));
	t->params.carryover = IOB_DEFAULT_CARRYOVER;
	if (argc < 6) {
		*error = "Not enough arguments: <dev> <device-group-id> <io_throttle> <io_limit> <group-type> <policy> <token-base> [carryover=<n>] [:<weight>] [<id>:<weight>...]";
		return -EINVAL;
	}
	r = parse_table_head(argv, t, &range_bw, error);
	for (i = 6; !r && i < argc; i++) {
		r = parse_table_arg(argv[i], t, range_bw, &have_default,
				    &have_carryover, error);
		nq += is_late_arg(argv[i]);
	}
	for (i = 6; !r && nq && i < argc; i++) {
		if (is_qos_arg(argv[i]))
			r = parse_table_qos(argv[i], t, error);
		else if (is_late_arg(argv[i]))
			r = parse_table_children(argv[i], t, error);
	}
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
	for (i = 0; i < t->ngroups; i++) {
		if (!t->groups[i].children)
			continue;
		r = snprintf(buf + off, len - off, " children=%lld",
			     (long long)t->groups[i].id);
		if (r < 0 || (size_t)r >= len - off)
			return -1;
		off += (size_t)r;
	}
	for (i = 0; i <= t->ngroups; i++) {
		if (i < t->ngroups)
			r = iob_format_qos(buf + off, len - off, t->groups[i].id,
					   &t->groups[i].qos);
		else
			r = iob_format_qos(buf + off, len - off,
					   IOB_DEFAULT_GROUP_ID, &t->def_qos);
		if (r < 0)
			return -1;
		off += (size_t)r;
	}
	return 0;
}
