// SPDX-License-Identifier: GPL-2.0
/*
 * iobandctl: the file `iobandctl apply` reads.  One section per ioband
 * device:
 *
 *   [vmdisks]                     # /dev/mapper/vmdisks
 *   device = /dev/sdb             # required
 *   device-group = array0         # default: the section name
 *   type = cgroup                 # none cgroup user gid pid pgrp
 *   policy = weight               # weight weight-iosize
 *   token = 0
 *   io-throttle = 0
 *   io-limit = 0
 *   weight = 100                  # the default group's
 *   limit = wbps=200M,burst=50    # the default group's limit
 *   reserve = bps=10M             # and its reservation
 *   latency = 0                   # its latency target, microseconds
 *   group machine.slice/vm1.scope = 300
 *   group machine.slice/vm2.scope = 100 limit=wbps=8M reserve=bps=4M
 *   group machine.slice/vm3.scope = 100 latency=2000  # p99 target, us
 *   group user:alice = 200
 *   group machine.slice = 100 children  # each child cgroup: its own group
 *                                       # (children=1 too; children=0: not)
 *
 * Groups nest as their cgroups do: a group under another attached one
 * shares its parent's part (cgroup type).
 * Errors name the file and line.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "iobandctl.h"

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static bool name_ok(const char *s)
{
	if (!*s || strlen(s) >= NAME_LEN || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-_.+", *s))
			return false;
	return true;
}

static __printf(5, 6)
int fail_at(char *err, size_t len, const char *fname, int lineno,
	    const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, len, "%s:%d: ", fname, lineno);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < len)
		vsnprintf(err + n, len - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static int set_key(struct conf_device *d, const char *key, const char *val,
		   const char *fname, int lineno, char *err, size_t len)
{
	struct ioband_conf *c = &d->c;
	const char *t;

	if (!strcmp(key, "device")) {
		if (!*val || strlen(val) >= sizeof(d->device))
			return fail_at(err, len, fname, lineno, "device: expected a block device path or major:minor");
		strcpy(d->device, val);
	} else if (!strcmp(key, "device-group")) {
		if (!iob_valid_devgroup(val))
			return fail_at(err, len, fname, lineno, "device-group '%s': expected 1 to 31 printable ASCII characters, no spaces", val);
		strcpy(c->devgroup, val);
	} else if (!strcmp(key, "type")) {
		t = type_canonical(val);
		if (!t)
			return fail_at(err, len, fname, lineno, "type '%s': expected none, cgroup, user, gid, pid or pgrp", val);
		strcpy(c->type, t);
	} else if (!strcmp(key, "policy")) {
		t = policy_canonical(val);
		if (!t)
			return fail_at(err, len, fname, lineno, "policy '%s': expected weight or weight-iosize", val);
		strcpy(c->policy, t);
	} else if (!strcmp(key, "token")) {
		if (iob_parse_u32(val, 0, IOB_TOKEN_MAX, &c->token))
			return fail_at(err, len, fname, lineno, "token '%s': expected 0 to %u", val, IOB_TOKEN_MAX);
	} else if (!strcmp(key, "carryover")) {
		if (iob_parse_u32(val, 0, IOB_CARRYOVER_MAX, &c->carryover))
			return fail_at(err, len, fname, lineno, "carryover '%s': expected 0 to %u", val, IOB_CARRYOVER_MAX);
	} else if (!strcmp(key, "io-throttle")) {
		if (iob_parse_u32(val, 0, IOB_IO_PARAM_MAX, &c->io_throttle))
			return fail_at(err, len, fname, lineno, "io-throttle '%s': expected 0 to %u", val, IOB_IO_PARAM_MAX);
	} else if (!strcmp(key, "io-limit")) {
		if (iob_parse_u32(val, 0, IOB_IO_PARAM_MAX, &c->io_limit))
			return fail_at(err, len, fname, lineno, "io-limit '%s': expected 0 to %u", val, IOB_IO_PARAM_MAX);
	} else if (!strcmp(key, "weight")) {
		if (iob_parse_u32(val, 1, IOB_WEIGHT_MAX, &c->def_weight))
			return fail_at(err, len, fname, lineno, "weight '%s': expected 1 to %u", val, IOB_WEIGHT_MAX);
	} else if (!strcmp(key, "limit") || !strcmp(key, "reserve")) {
		char why[ERR_LEN];

		if (qos_spec_apply(val, key[0] == 'r', &c->def_qos, why, sizeof(why)))
			return fail_at(err, len, fname, lineno, "%s", why);
	} else if (!strcmp(key, "latency")) {
		if (iob_parse_u32(val, 0, IOB_LAT_TARGET_MAX_US, &c->def_qos.latency_us))
			return fail_at(err, len, fname, lineno, "latency '%s': expected 0 to %u microseconds",
				       val, IOB_LAT_TARGET_MAX_US);
	} else {
		return fail_at(err, len, fname, lineno, "unknown key '%s'", key);
	}
	return 0;
}

static int add_group(struct conf_device *d, const char *spec, const char *val,
		     const char *fname, int lineno, char *err, size_t len)
{
	struct conf_group *g;
	char w[16];
	size_t n;
	int i;

	if (!*spec)
		return fail_at(err, len, fname, lineno, "group: expected 'group <cgroup path|user:NAME|...> = <weight>'");
	for (i = 0; i < d->nspecs; i++)
		if (!strcmp(d->specs[i].spec, spec))
			return fail_at(err, len, fname, lineno, "group %s: listed twice (first on line %d)", spec,
			     d->specs[i].line);
	if (d->nspecs == MAX_GROUPS)
		return fail_at(err, len, fname, lineno, "more than %d groups", MAX_GROUPS);
	if (strlen(spec) >= sizeof(g->spec))
		return fail_at(err, len, fname, lineno, "group: name too long");
	if (d->nspecs == d->cap) {
		int cap = d->cap ? 2 * d->cap : 16;

		g = realloc(d->specs, cap * sizeof(*g));
		if (!g)
			return fail_at(err, len, fname, lineno, "out of memory");
		d->specs = g;
		d->cap = cap;
	}
	g = &d->specs[d->nspecs];
	memset(g, 0, sizeof(*g));
	/* <weight> [children] [limit=<spec>] [reserve=<spec>] [latency=<usec>] */
	n = strcspn(val, " \t");
	if (n >= sizeof(w))
		n = sizeof(w) - 1;
	memcpy(w, val, n);
	w[n] = '\0';
	if (iob_parse_u32(w, 1, IOB_WEIGHT_MAX, &g->weight))
		return fail_at(err, len, fname, lineno, "group %s: weight '%s': expected 1 to %u", spec, w, IOB_WEIGHT_MAX);
	for (val += strcspn(val, " \t"); *(val += strspn(val, " \t")); val += n) {
		bool reserve = !strncmp(val, "reserve=", 8);
		char arg[256], why[ERR_LEN];

		n = strcspn(val, " \t");
		if ((n == 8 || n == 10) && !strncmp(val, "children", 8) &&
		    (n == 8 || !strncmp(val + 8, "=1", 2) || !strncmp(val + 8, "=0", 2))) {
			g->children = n == 8 || val[9] == '1';
			continue;
		}
		if (!strncmp(val, "latency=", 8)) {
			char us[16];
			size_t m = n - 8 < sizeof(us) - 1 ? n - 8 : sizeof(us) - 1;

			memcpy(us, val + 8, m);
			us[m] = '\0';
			if (n - 8 >= sizeof(us) ||
			    iob_parse_u32(us, 0, IOB_LAT_TARGET_MAX_US, &g->qos.latency_us))
				return fail_at(err, len, fname, lineno, "group %s: latency '%.*s': expected 0 to %u microseconds",
					       spec, (int)(n - 8), val + 8, IOB_LAT_TARGET_MAX_US);
			continue;
		}
		if (!reserve && strncmp(val, "limit=", 6))
			return fail_at(err, len, fname, lineno, "group %s: '%.*s': expected children, limit=<key>=<n>,..., reserve=<key>=<n>,... or latency=<usec>",
				       spec, (int)n, val);
		if (n >= sizeof(arg))
			return fail_at(err, len, fname, lineno, "group %s: too long", spec);
		memcpy(arg, val, n);
		arg[n] = '\0';
		if (qos_spec_apply(arg + (reserve ? 8 : 6), reserve, &g->qos, why, sizeof(why)))
			return fail_at(err, len, fname, lineno, "group %s: %s", spec, why);
	}
	strcpy(g->spec, spec);
	g->line = lineno;
	d->nspecs++;
	return 0;
}

static void device_defaults(struct conf_device *d, const char *name, int line)
{
	memset(d, 0, sizeof(*d));
	strcpy(d->name, name);
	d->line = line;
	strcpy(d->c.type, "none");
	strcpy(d->c.policy, "weight");
	d->c.def_weight = 100;
	d->c.carryover = IOB_DEFAULT_CARRYOVER;
}

static int section_done(struct conf_device *d, const char *fname, char *err,
			size_t len)
{
	int lineno = d->line, i;

	if (!d->device[0])
		return fail_at(err, len, fname, lineno, "[%s]: no 'device ='", d->name);
	if (!d->c.devgroup[0]) {
		if (strlen(d->name) >= sizeof(d->c.devgroup))
			return fail_at(err, len, fname, lineno, "[%s]: name longer than 31 characters: set device-group", d->name);
		strcpy(d->c.devgroup, d->name);
	}
	if (d->nspecs && !strcmp(d->c.type, "none"))
		return fail_at(err, len, fname, lineno, "[%s]: groups listed but type is none", d->name);
	for (i = 0; i < d->nspecs; i++)
		if (d->specs[i].children && strcmp(d->c.type, "cgroup"))
			return fail_at(err, len, fname, d->specs[i].line, "group %s: children: only groups of type cgroup have child cgroups",
				       d->specs[i].spec);
	return 0;
}

void config_free(struct config *cfg)
{
	int i;

	for (i = 0; i < cfg->ndev; i++)
		free(cfg->dev[i].specs);
	memset(cfg, 0, sizeof(*cfg));
}

int config_parse(FILE *f, const char *fname, struct config *cfg,
		 char *err, size_t len)
{
	struct conf_device *d = NULL;
	char line[PATH_LEN + 128];
	int lineno = 0, i;

	config_free(cfg);
	while (fgets(line, sizeof(line), f)) {
		char *s, *eq, *key, *val, *hash;

		lineno++;
		if (!strchr(line, '\n') && !feof(f))
			return fail_at(err, len, fname, lineno, "line too long");
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		s = trim(line);
		if (!*s)
			continue;
		if (*s == '[') {
			char *end = strchr(s, ']');

			if (!end || *trim(end + 1))
				return fail_at(err, len, fname, lineno, "expected '[name]'");
			*end = '\0';
			s = trim(s + 1);
			if (!name_ok(s))
				return fail_at(err, len, fname, lineno, "'%s': a device name is letters, digits and -_.+", s);
			if (d && section_done(d, fname, err, len))
				return -1;
			for (i = 0; i < cfg->ndev; i++)
				if (!strcmp(cfg->dev[i].name, s))
					return fail_at(err, len, fname, lineno, "[%s]: listed twice (first on line %d)", s,
					     cfg->dev[i].line);
			if (cfg->ndev == MAX_DEVICES)
				return fail_at(err, len, fname, lineno, "more than %d devices", MAX_DEVICES);
			d = &cfg->dev[cfg->ndev++];
			device_defaults(d, s, lineno);
			continue;
		}
		eq = strchr(s, '=');
		if (!eq)
			return fail_at(err, len, fname, lineno, "expected 'key = value'");
		*eq = '\0';
		key = trim(s);
		val = trim(eq + 1);
		if (!d)
			return fail_at(err, len, fname, lineno, "'%s' before the first [device] section", key);
		if (!strncmp(key, "group", 5) && (!key[5] || isspace((unsigned char)key[5]))) {
			if (add_group(d, trim(key + 5), val, fname, lineno, err, len))
				return -1;
			continue;
		}
		if (set_key(d, key, val, fname, lineno, err, len))
			return -1;
	}
	if (ferror(f))
		return fail_at(err, len, fname, lineno, "read error");
	if (d && section_done(d, fname, err, len))
		return -1;
	return 0;
}
