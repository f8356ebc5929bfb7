// SPDX-License-Identifier: GPL-2.0
/*
 * iobandctl: create, inspect and configure ioband devices.
 * Exit status: 0 success, 1 the operation failed, 2 bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dm.h"
#include "iobandctl.h"

#define VERSION "2.0.0"

static const char *cmd = "iobandctl";
static int verbose;

static __printf(2, 3)
int fail(const char *obj, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "iobandctl: %s%s%s: ", cmd, obj ? " " : "", obj ? obj : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EX_FAIL;
}

static __printf(1, 2)
int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "iobandctl: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'iobandctl %s --help'.\n", cmd);
	return EX_USAGE;
}

static const char *const helps[][2] = {
	{ "create", "create NAME DEVICE [--device-group ID] [--type T] [--policy P]\n"
		"         [--weight W] [--token N] [--io-throttle N] [--io-limit N]\n"
		"  An ioband device /dev/mapper/NAME over all of DEVICE (a path or\n"
		"  major:minor).  Defaults: device group NAME, type none, policy weight,\n"
		"  weight 100, token 0 (automatic), io-throttle and io-limit 0 (default).\n"
		"  Types: none cgroup user gid pid pgrp.  Policies: weight weight-iosize.\n" },
	{ "remove", "remove NAME\n  Remove the ioband device NAME.\n" },
	{ "list", "list [--json]\n  Every ioband device: its device, device group, type, policy and\n"
		"  groups with their weights and children marks.\n" },
	{ "attach", "attach NAME GROUP [--weight W]\n"
		"  GROUP is a cgroup path (absolute, or relative to /sys/fs/cgroup),\n"
		"  user:NAME|UID, group:NAME|GID, pid:N or pgrp:N, and must match the\n"
		"  device's group type.  Default weight: the device's default group's.\n" },
	{ "detach", "detach NAME GROUP\n  Detach GROUP; its I/O goes to the default group again.\n" },
	{ "set", "set NAME [GROUP] KEY=VALUE...\n"
		"  Keys: weight, limit and reserve (of GROUP, or of the default group),\n"
		"  token, carryover, io_throttle, io_limit, policy, type.  limit and\n"
		"  reserve take KEY=N,... with keys bps rbps wbps (bytes/s, K M G T\n"
		"  suffixes in 1024s) iops riops wiops, and for limit burst (ms); N 0\n"
		"  removes a key.  latency=USEC is the group's latency target (its 99th\n"
		"  percentile from arrival to completion; 0 removes it): while it is\n"
		"  missed, groups without one are held back.\n"
		"  children=1 (a cgroup GROUP) makes each of its child\n"
		"  cgroups a group of its own; children=0 undoes it.  Values are checked\n"
		"  before any is sent; the device-group wide keys apply to every device\n"
		"  in it.\n" },
	{ "stats", "stats NAME [--json] [--interval SECONDS] [--watch SECONDS] [--count N]\n"
		"  Per group: weight, share of the device group (for cgroup devices by\n"
		"  the tree's weights over the busy groups, shown as a tree), read and\n"
		"  write MB/s and IOPS over the interval (default 1 s), bios held, mean\n"
		"  wait in ioband per I/O; for groups with a limit or reservation, those,\n"
		"  what is left of each limit's burst and whether the limit holds the\n"
		"  group now, and how far reservations were scaled to fit the device.\n"
		"  --watch redraws every SECONDS (stop with Ctrl-C, or after --count N\n"
		"  screens).\n" },
	{ "apply", "apply FILE [--dry-run]\n"
		"  Make the devices in FILE (see iobandctl(8)) as described: create the\n"
		"  missing, change what differs, detach groups no longer listed.  Prints\n"
		"  the plan; with --dry-run does nothing else.  Devices not in FILE are\n"
		"  left alone.\n" },
};

static int print_help(FILE *f, const char *which)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(helps); i++)
		if (which && !strcmp(which, helps[i][0])) {
			fprintf(f, "Usage: iobandctl %s", helps[i][1]);
			return EX_OK;
		}
	fprintf(f, "Usage: iobandctl [-v] COMMAND [ARGS...]\n"
		"Create, inspect and configure ioband (dm-ioband) devices.\n\nCommands:\n");
	for (i = 0; i < ARRAY_SIZE(helps); i++) {
		const char *nl = strchr(helps[i][1], '\n');

		fprintf(f, "  %.*s\n", (int)(nl - helps[i][1]), helps[i][1]);
	}
	fprintf(f, "\n'iobandctl COMMAND --help' tells more.  Exit status: 0 success,\n"
		"1 the operation failed, 2 bad usage.\n");
	return EX_OK;
}

/* Numbers from the command line: a bad one is bad usage. */
static int opt_uint(const char *what, const char *s, unsigned int lo,
		    unsigned int hi, unsigned int *out)
{
	if (!iob_parse_u32(s, lo, hi, out))
		return 0;
	usage_error("%s '%s': expected %u to %u", what, s, lo, hi);
	return -1;
}

static int read_conf(const char *name, struct ioband_conf *c)
{
	static char params[TABLE_LEN];
	char err[ERR_LEN];

	if (dmx_table(name, params, sizeof(params)))
		return fail(name, "%s", dmx_error());
	if (table_parse(params, c, err, sizeof(err)))
		return fail(name, "unexpected table: %s", err);
	return 0;
}

static int send(const char *name, const char *msg)
{
	if (verbose)
		fprintf(stderr, "iobandctl: message %s: %s\n", name, msg);
	if (dmx_message(name, msg))
		return fail(name, "%s: %s", msg, dmx_error());
	return 0;
}

/* ---- create / remove ---------------------------------------------------- */

static int do_create(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device-group", required_argument, NULL, 'g' },
		{ "type", required_argument, NULL, 't' },
		{ "policy", required_argument, NULL, 'p' },
		{ "weight", required_argument, NULL, 'w' },
		{ "token", required_argument, NULL, 'k' },
		{ "io-throttle", required_argument, NULL, 'T' },
		{ "io-limit", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct ioband_conf c;
	const char *dg = NULL, *name, *t;
	unsigned long long sectors;
	static char line[TABLE_LEN];
	char params[64];
	int o;

	c.def_weight = 100;
	c.carryover = IOB_DEFAULT_CARRYOVER;
	strcpy(c.type, "none");
	strcpy(c.policy, "weight");
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'g':
			dg = optarg;
			break;
		case 't':
			t = type_canonical(optarg);
			if (!t)
				return usage_error("type '%s': expected none, cgroup, user, gid, pid or pgrp", optarg);
			strcpy(c.type, t);
			break;
		case 'p':
			t = policy_canonical(optarg);
			if (!t)
				return usage_error("policy '%s': expected weight or weight-iosize", optarg);
			strcpy(c.policy, t);
			break;
		case 'w':
			if (opt_uint("weight", optarg, 1, IOB_WEIGHT_MAX, &c.def_weight))
				return EX_USAGE;
			break;
		case 'k':
			if (opt_uint("token", optarg, 0, IOB_TOKEN_MAX, &c.token))
				return EX_USAGE;
			break;
		case 'T':
			if (opt_uint("io-throttle", optarg, 0, IOB_IO_PARAM_MAX, &c.io_throttle))
				return EX_USAGE;
			break;
		case 'L':
			if (opt_uint("io-limit", optarg, 0, IOB_IO_PARAM_MAX, &c.io_limit))
				return EX_USAGE;
			break;
		case 'h':
			return print_help(stdout, "create");
		default:
			return usage_error("bad option");
		}
	}
	if (argc - optind != 2)
		return usage_error("expected NAME DEVICE");
	name = argv[optind];
	if (!*name || strchr(name, '/') || strlen(name) >= NAME_LEN)
		return usage_error("'%s': not a device name", name);
	if (!dg)
		dg = name;
	if (!iob_valid_devgroup(dg))
		return usage_error("device group '%s': 1 to 31 printable ASCII characters, no spaces", dg);
	strcpy(c.devgroup, dg);
	if (dmx_table(name, params, sizeof(params)) != -ENXIO)
		return fail(name, "a device-mapper device of that name exists already");
	if (dmx_blockdev(argv[optind + 1], c.dev, sizeof(c.dev), &sectors))
		return fail(name, "%s", dmx_error());
	if (table_format(&c, line, sizeof(line)))
		return fail(name, "table line too long");
	if (dmx_create(name, sectors, line))
		return fail(name, "%s", dmx_error());
	printf("created /dev/mapper/%s over %s (%llu sectors), device group %s\n",
	       name, c.dev, sectors, c.devgroup);
	return EX_OK;
}

static int do_remove(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	static struct ioband_conf c;	/* MAX_GROUPS groups: not on the stack */
	int o;

	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1)
		return o == 'h' ? print_help(stdout, "remove") : usage_error("bad option");
	if (argc - optind != 1)
		return usage_error("expected NAME");
	if (read_conf(argv[optind], &c))
		return EX_FAIL;
	if (dmx_remove(argv[optind]))
		return fail(argv[optind], "%s", dmx_error());
	printf("removed %s\n", argv[optind]);
	return EX_OK;
}

/* ---- list ----------------------------------------------------------------- */

static char names[MAX_DEVICES][NAME_LEN];
static struct ioband_conf confs[MAX_DEVICES];

/* Every ioband device and its table; returns the count or -1. */
static int load_all(void)
{
	int n = dmx_list(names, MAX_DEVICES), i, k = 0;
	static char params[TABLE_LEN];
	char err[ERR_LEN];

	if (n < 0)
		return fail(NULL, "cannot list devices: %s", dmx_error()), -1;
	for (i = 0; i < n; i++) {
		if (dmx_table(names[i], params, sizeof(params)) ||
		    table_parse(params, &confs[k], err, sizeof(err)))
			continue;	/* removed meanwhile */
		if (k != i)
			strcpy(names[k], names[i]);
		k++;
	}
	return k;
}

static int do_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	bool json = false;
	char label[PATH_LEN];
	int o, n, i, g;

	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (o == 'j')
			json = true;
		else
			return o == 'h' ? print_help(stdout, "list") : usage_error("bad option");
	}
	if (optind != argc)
		return usage_error("unexpected '%s'", argv[optind]);
	n = load_all();
	if (n < 0)
		return EX_FAIL;
	if (json) {
		printf("{\"devices\": [");
		for (i = 0; i < n; i++) {
			struct ioband_conf *c = &confs[i];

			printf("%s\n  {\"name\": ", i ? "," : "");
			json_string(stdout, names[i]);
			printf(", \"device\": ");
			json_string(stdout, c->dev);
			printf(", \"device_group\": ");
			json_string(stdout, c->devgroup);
			printf(", \"type\": \"%s\", \"policy\": \"%s\"", c->type, c->policy);
			printf(", \"token\": %u, \"carryover\": %u, \"io_throttle\": %u, \"io_limit\": %u",
			       c->token, c->carryover, c->io_throttle, c->io_limit);
			printf(", \"groups\": [");
			printf("{\"id\": -1, \"name\": \"default\", \"weight\": %u}", c->def_weight);
			for (g = 0; g < c->ngroups; g++) {
				group_label(c->type, c->groups[g].id, label, sizeof(label));
				printf(", {\"id\": %lld, \"name\": ", c->groups[g].id);
				json_string(stdout, label);
				printf(", \"weight\": %u, \"children\": %s}", c->groups[g].weight,
				       c->groups[g].children ? "true" : "false");
			}
			printf("]}");
		}
		printf("\n]}\n");
		return EX_OK;
	}
	printf("%-16s %-8s %-12s %-7s %-13s %s\n", "NAME", "DEVICE", "DEVICE-GROUP",
	       "TYPE", "POLICY", "GROUPS (weight)");
	for (i = 0; i < n; i++) {
		struct ioband_conf *c = &confs[i];

		printf("%-16s %-8s %-12s %-7s %-13s default:%u", names[i], c->dev,
		       c->devgroup, c->type, c->policy, c->def_weight);
		for (g = 0; g < c->ngroups; g++) {
			group_label(c->type, c->groups[g].id, label, sizeof(label));
			printf(" %s:%u%s", label, c->groups[g].weight,
			       c->groups[g].children ? "(children)" : "");
		}
		putchar('\n');
	}
	return EX_OK;
}

/* ---- attach / detach / set --------------------------------------------- */

static int resolve(const char *name, const struct ioband_conf *c,
		   const char *text, struct group_spec *g)
{
	char err[ERR_LEN];

	if (spec_parse(text, g, err, sizeof(err)) ||
	    spec_check_type(g, c->type, err, sizeof(err)) ||
	    spec_resolve(g, err, sizeof(err)))
		return fail(name, "%s", err);
	return 0;
}

static int do_attach_detach(int argc, char **argv, bool attach)
{
	static const struct option opts[] = {
		{ "weight", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	unsigned int weight = 0;
	static struct ioband_conf c;	/* MAX_GROUPS groups: not on the stack */
	struct group_spec g;
	const char *name;
	char msg[64];
	int o;

	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (o == 'w' && attach) {
			if (opt_uint("weight", optarg, 1, IOB_WEIGHT_MAX, &weight))
				return EX_USAGE;
		} else {
			return o == 'h' ? print_help(stdout, cmd) : usage_error("bad option");
		}
	}
	if (argc - optind != 2)
		return usage_error("expected NAME GROUP");
	name = argv[optind];
	if (read_conf(name, &c) || resolve(name, &c, argv[optind + 1], &g))
		return EX_FAIL;
	if (attach && conf_group(&c, g.id))
		return fail(name, "%s (id %lld) is attached already", g.text, g.id);
	if (!attach && !conf_group(&c, g.id))
		return fail(name, "%s (id %lld) is not attached", g.text, g.id);
	snprintf(msg, sizeof(msg), "%s %lld", attach ? "attach" : "detach", g.id);
	if (send(name, msg))
		return EX_FAIL;
	if (weight) {
		snprintf(msg, sizeof(msg), "weight %lld:%u", g.id, weight);
		if (send(name, msg))
			return EX_FAIL;
	}
	if (attach)
		printf("attached %s (id %lld) to %s, weight %u\n", g.text, g.id, name,
		       weight ? weight : c.def_weight);
	else
		printf("detached %s (id %lld) from %s\n", g.text, g.id, name);
	return EX_OK;
}

static int do_set(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	static struct ioband_conf c;
	static struct plan qp;
	char msgs[32][96], err[ERR_LEN];
	struct iob_qos q, *cur;
	struct group_spec g;
	const char *name, *group = NULL, *qos_args[32];
	int o, i, first, n = 0, nq = 0;

	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1)
		return o == 'h' ? print_help(stdout, "set") : usage_error("bad option");
	if (argc - optind < 2)
		return usage_error("expected NAME [GROUP] KEY=VALUE...");
	name = argv[optind];
	first = optind + 1;
	if (!strchr(argv[first], '='))
		group = argv[first++];
	if (first == argc)
		return usage_error("expected KEY=VALUE after %s", group);
	if (argc - first > 32)
		return usage_error("too many settings");
	/* Check every setting before sending any. */
	for (i = first; i < argc; i++) {
		char key[32];
		const char *val = strchr(argv[i], '='), *t;
		unsigned int v;

		if (!val || val == argv[i] || (size_t)(val - argv[i]) >= sizeof(key))
			return usage_error("'%s': expected KEY=VALUE", argv[i]);
		memcpy(key, argv[i], (size_t)(val - argv[i]));
		key[val - argv[i]] = '\0';
		val++;
		for (t = key; *t; t++)
			if (*t == '-')
				key[t - key] = '_';
		if (group && strcmp(key, "weight") && strcmp(key, "limit") &&
		    strcmp(key, "reserve") && strcmp(key, "children") && strcmp(key, "latency"))
			return usage_error("%s: only weight, limit, reserve, latency and children are set per group", key);
		if (!strcmp(key, "limit") || !strcmp(key, "reserve")) {
			memset(&q, 0, sizeof(q));
			if (qos_spec_apply(val, key[0] == 'r', &q, err, sizeof(err)))
				return usage_error("%s: %s", key, err);
			qos_args[nq++] = argv[i];
			continue;
		} else if (!strcmp(key, "weight")) {
			if (opt_uint("weight", val, 1, IOB_WEIGHT_MAX, &v))
				return EX_USAGE;
		} else if (!strcmp(key, "latency")) {
			if (opt_uint("latency", val, 0, IOB_LAT_TARGET_MAX_US, &v))
				return EX_USAGE;
			if (!group) {
				snprintf(msgs[n++], sizeof(msgs[0]), "latency :%u", v);
				continue;
			}
		} else if (!strcmp(key, "children")) {
			if (!group)
				return usage_error("children: names a GROUP (a cgroup)");
			if (opt_uint("children", val, 0, 1, &v))
				return EX_USAGE;
		} else if (!strcmp(key, "token")) {
			if (opt_uint("token", val, 0, IOB_TOKEN_MAX, &v))
				return EX_USAGE;
		} else if (!strcmp(key, "carryover")) {
			if (opt_uint("carryover", val, 0, IOB_CARRYOVER_MAX, &v))
				return EX_USAGE;
		} else if (!strcmp(key, "io_throttle") || !strcmp(key, "io_limit")) {
			if (opt_uint(key, val, 0, IOB_IO_PARAM_MAX, &v))
				return EX_USAGE;
		} else if (!strcmp(key, "policy")) {
			if (!policy_canonical(val))
				return usage_error("policy '%s': expected weight or weight-iosize", val);
		} else if (!strcmp(key, "type")) {
			if (!type_canonical(val))
				return usage_error("type '%s': expected none, cgroup, user, gid, pid or pgrp", val);
		} else {
			return usage_error("unknown key '%s' (weight, limit, reserve, latency, children, token, carryover, io_throttle, io_limit, policy, type)", key);
		}
		snprintf(msgs[n++], sizeof(msgs[0]), "%s %s", key, val);
	}
	if (read_conf(name, &c))
		return EX_FAIL;
	g.id = IOB_DEFAULT_GROUP_ID;
	if (group) {
		if (resolve(name, &c, group, &g))
			return EX_FAIL;
		if (!conf_group(&c, g.id))
			return fail(name, "%s (id %lld) is not attached", g.text, g.id);
		for (i = 0; i < n; i++) {
			char k[16], w[16];

			/* "weight 5", "children 1", "latency 500": per group */
			snprintf(k, sizeof(k), "%.*s", (int)strcspn(msgs[i], " "), msgs[i]);
			snprintf(w, sizeof(w), "%s", strchr(msgs[i], ' ') + 1);
			snprintf(msgs[i], sizeof(msgs[0]), "%s %lld:%s", k, g.id, w);
		}
	}
	/* limits and reservations: on what the group has, checked as a whole */
	cur = g.id == IOB_DEFAULT_GROUP_ID ? &c.def_qos :
	      &((struct group_w *)conf_group(&c, g.id))->qos;
	q = *cur;
	for (i = 0; i < nq; i++)
		if (qos_spec_apply(strchr(qos_args[i], '=') + 1, qos_args[i][0] == 'r',
				   &q, err, sizeof(err)))
			return fail(name, "%s: %s", qos_args[i], err);
	qp.n = 0;
	plan_qos(&qp, g.id, cur, &q);
	for (i = 0; i < n; i++)
		if (!strncmp(msgs[i], "type ", 5) && c.ngroups &&
		    strcmp(type_canonical(msgs[i] + 5), c.type))
			return fail(name, "%s: detach the %d attached groups first",
				    msgs[i], c.ngroups);
	for (i = 0; i < n; i++)
		if (send(name, msgs[i]))
			return EX_FAIL;
	for (i = 0; i < qp.n; i++)
		if (send(name, qp.s[i].text))
			return EX_FAIL;
	return EX_OK;
}

/* ---- stats ---------------------------------------------------------------- */

static int sample(const char *name, char *dg, struct group_stat *g, int max)
{
	static char params[TABLE_LEN * 4];	/* MAX_GROUPS + 1 groups of 12 counters */
	int n;

	if (dmx_status(name, params, sizeof(params)))
		return fail(name, "%s", dmx_error()), -1;
	n = status_parse(params, dg, 32, g, max);
	if (n < 0)
		return fail(name, "unexpected status line (or more than %d groups)", max - 1), -1;
	return n;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (time_t)s) * 1e9) };

	nanosleep(&ts, NULL);
}

static struct group_stat st_a[MAX_GROUPS + 1], st_b[MAX_GROUPS + 1];
static struct group_rate rates[MAX_GROUPS + 1];

/* Weights, shares of the device group, and names. */
static void describe(const char *name, const struct ioband_conf *c,
		     struct group_rate *r, int n, const struct qos_report *q,
		     const struct tree_report *t, const struct latency_report *l)
{
	unsigned long long total = 0;
	int ndev = load_all(), i, k;

	for (i = 0; i < ndev; i++) {
		if (strcmp(confs[i].devgroup, c->devgroup))
			continue;
		total += confs[i].def_weight;
		for (k = 0; k < confs[i].ngroups; k++)
			total += confs[i].groups[k].weight;
	}
	(void)name;
	for (i = 0; i < n; i++) {
		const struct group_w *w = conf_group(c, r[i].id);

		r[i].weight = r[i].id == -1 ? c->def_weight : w ? w->weight : 0;
		r[i].share = total ? (double)r[i].weight / total : 0;
		group_label(c->type, r[i].id, r[i].label, sizeof(r[i].label));
		memset(&r[i].qos, 0, sizeof(r[i].qos));
		if (r[i].id == -1)
			r[i].qos = c->def_qos;
		else if (w)
			r[i].qos = w->qos;
		r[i].now = NULL;
		for (k = 0; q && k < q->n; k++)
			if (q->g[k].id == r[i].id)
				r[i].now = &q->g[k];
		r[i].tree = tree_find(t, r[i].id);
		r[i].lat = latency_find(l, r[i].id);
		r[i].depth = 0;
		if (r[i].tree) {
			/* the module knows per-child groups' weights, and the tree */
			r[i].weight = r[i].tree->weight;
			r[i].share = r[i].tree->hweight_ppm / 1e6;
		}
	}
	if (t)
		stats_tree_order(r, n);
}

/* The module's "groups" answer, for cgroup devices; NULL if none. */
static const struct tree_report *query_tree(const char *name,
					    const struct ioband_conf *c)
{
	static char buf[TABLE_LEN];
	static struct tree_report t;

	if (strcmp(c->type, "cgroup") ||
	    dmx_message_out(name, "groups", buf, sizeof(buf)) ||
	    tree_report_parse(buf, &t))
		return NULL;
	return &t;
}

/* The module's "latency" answer; NULL (and nothing shown) if it has none. */
static const struct latency_report *query_latency(const char *name)
{
	static char buf[TABLE_LEN];
	static struct latency_report l;

	if (dmx_message_out(name, "latency", buf, sizeof(buf)) ||
	    latency_report_parse(buf, &l))
		return NULL;
	return &l;
}

/* The module's "qos" answer; NULL (and nothing shown) if it has none. */
static const struct qos_report *query_qos(const char *name)
{
	static char buf[TABLE_LEN];
	static struct qos_report q;

	if (dmx_message_out(name, "qos", buf, sizeof(buf)) || qos_report_parse(buf, &q))
		return NULL;
	return &q;
}

static int do_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "interval", required_argument, NULL, 'i' },
		{ "watch", required_argument, NULL, 'w' },
		{ "count", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	unsigned int interval_ms = 1000, count = 0, shown = 0, v;
	const struct qos_report *q;
	const struct tree_report *t;
	bool json = false, watch = false;
	static struct ioband_conf c;	/* MAX_GROUPS groups: not on the stack */
	char dg[32];
	const char *name;
	double t0, t1;
	int o, na, nb;

	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'j':
			json = true;
			break;
		case 'i':
		case 'w':
			if (opt_uint(o == 'i' ? "interval" : "watch", optarg, 1, 3600, &v))
				return EX_USAGE;
			interval_ms = v * 1000;
			watch |= o == 'w';
			break;
		case 'c':
			if (opt_uint("count", optarg, 1, 1000000, &count))
				return EX_USAGE;
			break;
		case 'h':
			return print_help(stdout, "stats");
		default:
			return usage_error("bad option");
		}
	}
	if (argc - optind != 1)
		return usage_error("expected NAME");
	name = argv[optind];
	if (read_conf(name, &c))
		return EX_FAIL;
	na = sample(name, dg, st_a, MAX_GROUPS + 1);
	if (na < 0)
		return EX_FAIL;
	t0 = now_s();
	for (;;) {
		sleep_s(interval_ms / 1000.0);
		if (read_conf(name, &c))
			return EX_FAIL;
		nb = sample(name, dg, st_b, MAX_GROUPS + 1);
		if (nb < 0)
			return EX_FAIL;
		t1 = now_s();
		stats_rates(st_a, na, st_b, nb, t1 - t0, rates);
		q = query_qos(name);
		t = query_tree(name, &c);
		describe(name, &c, rates, nb, q, t, query_latency(name));
		if (watch && !json && isatty(STDOUT_FILENO))
			fputs("\033[H\033[2J", stdout);
		if (json)
			stats_print_json(stdout, name, dg, rates, nb, t1 - t0, q, t);
		else
			stats_print_text(stdout, name, dg, rates, nb, t1 - t0, q, t);
		fflush(stdout);
		if (!watch || (count && ++shown >= count))
			return EX_OK;
		memcpy(st_a, st_b, sizeof(st_a));
		na = nb;
		t0 = t1;
	}
}

/* ---- apply ---------------------------------------------------------------- */

static struct config cfg;
static struct plan plans[MAX_DEVICES];
static bool creates[MAX_DEVICES];
static unsigned long long sizes[MAX_DEVICES];

static int params_clash(const struct ioband_conf *a, const struct ioband_conf *b)
{
	return strcmp(a->policy, b->policy) || a->token != b->token ||
	       a->carryover != b->carryover ||
	       a->io_throttle != b->io_throttle || a->io_limit != b->io_limit;
}

/* Resolve one configured device and plan it; nothing is changed. */
static int plan_one(struct conf_device *d, const char *fname, int idx)
{
	static char params[TABLE_LEN];
	char err[ERR_LEN];
	static struct ioband_conf cur;
	int i, r;

	if (dmx_blockdev(d->device, d->c.dev, sizeof(d->c.dev), &sizes[idx]))
		return fail(d->name, "%s:%d: %s", fname, d->line, dmx_error());
	d->c.ngroups = 0;
	for (i = 0; i < d->nspecs; i++) {
		struct group_spec g;

		if (spec_parse(d->specs[i].spec, &g, err, sizeof(err)) ||
		    spec_check_type(&g, d->c.type, err, sizeof(err)) ||
		    spec_resolve(&g, err, sizeof(err)))
			return fail(d->name, "%s:%d: %s", fname, d->specs[i].line, err);
		if (conf_group(&d->c, g.id))
			return fail(d->name, "%s:%d: %s is id %lld, listed already",
				    fname, d->specs[i].line, g.text, g.id);
		d->c.groups[d->c.ngroups].id = g.id;
		d->c.groups[d->c.ngroups].weight = d->specs[i].weight;
		d->c.groups[d->c.ngroups].children = d->specs[i].children;
		d->c.groups[d->c.ngroups].qos = d->specs[i].qos;
		d->c.ngroups++;
	}
	r = dmx_table(d->name, params, sizeof(params));
	if (r && r != -ENXIO)
		return fail(d->name, "%s", dmx_error());
	creates[idx] = r == -ENXIO;
	if (!creates[idx] && table_parse(params, &cur, err, sizeof(err)))
		return fail(d->name, "unexpected table: %s", err);
	if (plan_device(creates[idx] ? NULL : &cur, &d->c, &plans[idx], err, sizeof(err)))
		return fail(d->name, "%s", err);
	return 0;
}

static int do_apply(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	bool dry = false;
	char err[ERR_LEN];
	int o, i, k, changes = 0;
	FILE *f;

	while ((o = getopt_long(argc, argv, "hn", opts, NULL)) != -1) {
		if (o == 'n')
			dry = true;
		else
			return o == 'h' ? print_help(stdout, "apply") : usage_error("bad option");
	}
	if (argc - optind != 1)
		return usage_error("expected FILE");
	f = strcmp(argv[optind], "-") ? fopen(argv[optind], "r") : stdin;
	if (!f)
		return fail(argv[optind], "%m");
	k = config_parse(f, argv[optind], &cfg, err, sizeof(err));
	if (f != stdin)
		fclose(f);
	if (k)
		return fail(NULL, "%s", err);
	for (i = 0; i < cfg.ndev; i++)
		for (k = 0; k < i; k++)
			if (!strcmp(cfg.dev[i].c.devgroup, cfg.dev[k].c.devgroup) &&
			    params_clash(&cfg.dev[i].c, &cfg.dev[k].c))
				return fail(cfg.dev[i].name, "%s:%d: %s",
					    argv[optind], cfg.dev[i].line,
					    "other policy, token or io settings than another device of its device group");
	/* Resolve and plan everything before changing anything. */
	for (i = 0; i < cfg.ndev; i++)
		if (plan_one(&cfg.dev[i], argv[optind], i))
			return EX_FAIL;
	for (i = 0; i < cfg.ndev; i++)
		for (k = 0; k < plans[i].n; k++, changes++)
			printf("%s: %s %s\n", cfg.dev[i].name,
			       plans[i].s[k].kind == STEP_CREATE ? "create" : "message",
			       step_text(&plans[i], k));
	if (!changes) {
		printf("apply: nothing to change\n");
		return EX_OK;
	}
	if (dry) {
		printf("apply: %d change%s planned (dry run)\n", changes,
		       changes == 1 ? "" : "s");
		return EX_OK;
	}
	for (i = 0; i < cfg.ndev; i++)
		for (k = 0; k < plans[i].n; k++) {
			const struct step *s = &plans[i].s[k];

			if (s->kind == STEP_CREATE) {
				if (dmx_create(cfg.dev[i].name, sizes[i], plans[i].create))
					return fail(cfg.dev[i].name, "create: %s", dmx_error());
			} else if (send(cfg.dev[i].name, s->text)) {
				return EX_FAIL;
			}
		}
	printf("apply: %d change%s made\n", changes, changes == 1 ? "" : "s");
	return EX_OK;
}

/* ---- main ----------------------------------------------------------------- */

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} cmds[] = {
		{ "create", do_create }, { "remove", do_remove }, { "list", do_list },
		{ "set", do_set }, { "stats", do_stats }, { "apply", do_apply },
	};
	int i = 1;
	size_t k;

	while (i < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose"))
			verbose++;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return print_help(stdout, NULL);
		else if (!strcmp(argv[i], "--version"))
			return printf("iobandctl %s\n", VERSION) < 0;
		else
			return usage_error("unknown option '%s'", argv[i]);
		i++;
	}
	if (i == argc) {
		print_help(stderr, NULL);
		return EX_USAGE;
	}
	cmd = argv[i];
	dmx_init(verbose);
	optind = 0;
	if (!strcmp(cmd, "attach") || !strcmp(cmd, "detach"))
		return do_attach_detach(argc - i, argv + i, !strcmp(cmd, "attach"));
	for (k = 0; k < ARRAY_SIZE(cmds); k++)
		if (!strcmp(cmd, cmds[k].name))
			return cmds[k].fn(argc - i, argv + i);
	cmd = "iobandctl";
	fprintf(stderr, "iobandctl: unknown command '%s'\n", argv[i]);
	print_help(stderr, NULL);
	return EX_USAGE;
}
