// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of iobandctl's parts that need no kernel: table and status
 * lines, group names, the apply file, apply's plan and the stats output.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iobandctl.h"
#include "check.h"

static char err[ERR_LEN];

static void test_table(void)
{
	static struct ioband_conf c;
	char out[1024];

	CHECK(!table_parse("254:1 t1 0 0 user default 0 :100 1001:200 1002:300", &c, err, sizeof(err)),
	      "%s", err);
	CHECK(!strcmp(c.type, "uid") && !strcmp(c.policy, "weight"), "%s %s", c.type, c.policy);
	CHECK(c.def_weight == 100 && c.ngroups == 2 && c.groups[1].id == 1002 &&
	      c.groups[1].weight == 300, "%u %d", c.def_weight, c.ngroups);
	CHECK(!table_format(&c, out, sizeof(out)) &&
	      !strcmp(out, "254:1 t1 0 0 uid weight 0 :100 1001:200 1002:300"), "%s", out);
	CHECK(!table_parse("8:16 dg 4 64 cgroup weight-iosize 512", &c, err, sizeof(err)) &&
	      c.io_throttle == 4 && c.io_limit == 64 && c.token == 512 && c.def_weight == 100,
	      "%s", err);

	CHECK(table_parse("254:1 t1 0", &c, err, sizeof(err)) && strstr(err, "Not enough arguments"), "%s", err);
	CHECK(table_parse("254:1 t1 0 0 node weight 0", &c, err, sizeof(err)) &&
	      strstr(err, "node and cpuset are not supported"), "%s", err);
	CHECK(table_parse("254:1 t1 0 0 uid fifo 0", &c, err, sizeof(err)) &&
	      strstr(err, "Unknown policy"), "%s", err);
	CHECK(table_parse("254:1 t1 0 0 uid weight 0 1001", &c, err, sizeof(err)) &&
	      strstr(err, "Invalid group argument"), "%s", err);
	CHECK(table_parse("254:1 t1 x 0 uid weight 0", &c, err, sizeof(err)), "bad io_throttle");
	/* carryover is in the table line when it is not the default */
	CHECK(!table_parse("254:1 t1 0 0 uid weight 0 carryover=5 :100 7:50", &c, err, sizeof(err)) &&
	      c.carryover == 5 && c.ngroups == 1, "%s", err);
	CHECK(!table_format(&c, out, sizeof(out)) &&
	      !strcmp(out, "254:1 t1 0 0 uid weight 0 carryover=5 :100 7:50"), "%s", out);
	CHECK(table_parse("254:1 t1 0 0 uid weight 0 carryover=65", &c, err, sizeof(err)) &&
	      strstr(err, "Invalid carryover"), "%s", err);
}

static void test_status(void)
{
	struct group_stat g[4];
	char dg[32];
	int n;

	n = status_parse("t1 -1 1 0 8 0 0 0 0 0 0 0 0 23 10 0 80 5 2 0 16 1 3 7 9\n",
			 dg, sizeof(dg), g, 4);
	CHECK(n == 2 && !strcmp(dg, "t1"), "n %d dg %s", n, dg);
	CHECK(g[0].id == -1 && g[0].v[ST_RD_SECTORS] == 8, "%lld", g[0].id);
	CHECK(g[1].id == 23 && g[1].v[ST_WR_SECTORS] == 16 && g[1].v[ST_HELD] == 3 &&
	      g[1].v[ST_TIME_IN_QUEUE] == 9, "%llu", g[1].v[ST_HELD]);
	CHECK(status_parse("t1 -1 1 0 8", dg, sizeof(dg), g, 4) < 0, "short block");
	CHECK(status_parse("t1 -1 1 0 8 0 0 0 0 0 0 0 0 junk", dg, sizeof(dg), g, 4) < 0,
	      "trailing junk");
	CHECK(status_parse("t1", dg, sizeof(dg), g, 4) == 0, "no groups");
}

static void test_specs(void)
{
	char root[] = "/tmp/iobandctl-test-XXXXXX", path[256];
	struct group_spec g;
	struct stat st;

	CHECK(mkdtemp(root) != NULL, "mkdtemp");
	snprintf(path, sizeof(path), "%s/vm1.scope", root);
	CHECK(!mkdir(path, 0755) && !stat(path, &st), "mkdir %s", path);
	cgroup_root = root;
	setenv("IOBANDCTL_ANY_FS", "1", 1);

	CHECK(!spec_parse("vm1.scope", &g, err, sizeof(err)) && g.kind == SPEC_CGROUP, "%s", err);
	CHECK(!spec_resolve(&g, err, sizeof(err)) && g.id == (long long)st.st_ino,
	      "%s id %lld", err, g.id);
	CHECK(!spec_parse(path, &g, err, sizeof(err)) && !spec_resolve(&g, err, sizeof(err)) &&
	      g.id == (long long)st.st_ino, "absolute %s", err);
	CHECK(!spec_parse("cgroup:vm1.scope", &g, err, sizeof(err)) &&
	      !spec_resolve(&g, err, sizeof(err)) && g.id == (long long)st.st_ino, "%s", err);
	CHECK(!spec_parse("nope", &g, err, sizeof(err)) && spec_resolve(&g, err, sizeof(err)) &&
	      strstr(err, "/nope: no such cgroup"), "%s", err);
	CHECK(!spec_check_type(&g, "cgroup", err, sizeof(err)), "cgroup on cgroup");
	CHECK(spec_check_type(&g, "uid", err, sizeof(err)) &&
	      strstr(err, "nope is a cgroup, but the device's groups are of type uid"), "%s", err);

	CHECK(!spec_parse("user:0", &g, err, sizeof(err)) && g.kind == SPEC_UID &&
	      !spec_resolve(&g, err, sizeof(err)) && g.id == 0, "%s", err);
	CHECK(!spec_parse("user:root", &g, err, sizeof(err)) &&
	      !spec_resolve(&g, err, sizeof(err)) && g.id == 0, "%s", err);
	CHECK(!spec_parse("user:no-such-user-xyz", &g, err, sizeof(err)) &&
	      spec_resolve(&g, err, sizeof(err)) && strstr(err, "no such user"), "%s", err);
	CHECK(!spec_parse("group:0", &g, err, sizeof(err)) && g.kind == SPEC_GID &&
	      !spec_resolve(&g, err, sizeof(err)) && g.id == 0, "%s", err);
	CHECK(!spec_parse("pid:1x", &g, err, sizeof(err)) && spec_resolve(&g, err, sizeof(err)) &&
	      strstr(err, "expected a positive number"), "%s", err);
	snprintf(path, sizeof(path), "pid:%d", (int)getpid());
	CHECK(!spec_parse(path, &g, err, sizeof(err)) && !spec_resolve(&g, err, sizeof(err)) &&
	      g.id == getpid(), "%s", err);
	CHECK(!spec_parse("pgrp:7", &g, err, sizeof(err)) && g.kind == SPEC_PGRP &&
	      !spec_resolve(&g, err, sizeof(err)) && g.id == 7, "%s", err);
	CHECK(spec_check_type(&g, "none", err, sizeof(err)) && strstr(err, "type none"), "%s", err);
	CHECK(spec_parse("user:", &g, err, sizeof(err)) && strstr(err, "nothing after"), "%s", err);
	CHECK(spec_parse("", &g, err, sizeof(err)), "empty");

	snprintf(path, sizeof(path), "%s/vm1.scope", root);
	rmdir(path);
	rmdir(root);
	cgroup_root = "/sys/fs/cgroup";
}

static struct config cfg;

static int parse_text(const char *text)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int r = config_parse(f, "t.conf", &cfg, err, sizeof(err));

	fclose(f);
	return r;
}

static void test_config(void)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "[a]\ndevice = /dev/x\nspeed = 3\n", "t.conf:3: unknown key 'speed'" },
		{ "[a]\ndevice /dev/x\n", "t.conf:2: expected 'key = value'" },
		{ "device = /dev/x\n", "t.conf:1: 'device' before the first [device] section" },
		{ "[a]\ntype = cgroup\n", "t.conf:1: [a]: no 'device ='" },
		{ "[a]\ndevice = /dev/x\ntype = node\n", "t.conf:3: type 'node'" },
		{ "[a]\ndevice = /dev/x\npolicy = fifo\n", "t.conf:3: policy 'fifo'" },
		{ "[a]\ndevice = /dev/x\ntype = cgroup\ngroup a = 0\n", "t.conf:4: group a: weight '0'" },
		{ "[a]\ndevice = /dev/x\ntype = cgroup\ngroup a = 1\ngroup a = 2\n",
		  "t.conf:5: group a: listed twice (first on line 4)" },
		{ "[a]\ndevice = /dev/x\ngroup a = 10\n", "t.conf:1: [a]: groups listed but type is none" },
		{ "[a]\ndevice = /dev/x\n[a]\ndevice = /dev/y\n", "t.conf:3: [a]: listed twice" },
		{ "[a/b]\n", "t.conf:1: 'a/b': a device name" },
		{ "[a\n", "t.conf:1: expected '[name]'" },
		{ "[a]\ndevice = /dev/x\ntoken = -1\n", "t.conf:3: token '-1'" },
		{ "[a]\ndevice = /dev/x\nio-limit = 99999\n", "t.conf:3: io-limit '99999'" },
		{ "[a]\ndevice = /dev/x\nweight = 10001\n", "t.conf:3: weight '10001'" },
		{ "[a]\ndevice = /dev/x\ndevice-group = 0123456789012345678901234567890123\n",
		  "t.conf:3: device-group" },
		{ "[a]\ndevice = /dev/x\ngroup = 10\n", "t.conf:3: group: expected" },
		{ "[a]\ndevice = /dev/x\ntype = cgroup\ngroup a = 1 limit=bps=1X\n",
		  "t.conf:4: group a: 'bps=1X': expected a number, or one with K, M, G or T" },
		{ "[a]\ndevice = /dev/x\ntype = cgroup\ngroup a = 1 cap=bps=1\n",
		  "t.conf:4: group a: 'cap=bps=1': expected children, limit=" },
		{ "[a]\ndevice = /dev/x\ntype = cgroup\ngroup a = 1 limit=bps=1M reserve=bps=2M\n",
		  "t.conf:4: group a: reserve bps=2097152 is above limit bps=1048576" },
		{ "[a]\ndevice = /dev/x\nlimit = burst=5,bogus=1\n", "t.conf:3: limit burst=5,bogus=1: unknown key 'bogus'" },
		{ "[a]\ndevice = /dev/x\ntype = uid\ngroup 5 = 1 children\n",
		  "t.conf:4: group 5: children: only groups of type cgroup" },
		{ "[a]\ndevice = /dev/x\ntype = cgroup\ngroup a = 1 child\n",
		  "t.conf:4: group a: 'child': expected children, limit=" },
	};
	size_t i;

	CHECK(!parse_text("# VMs\n[vmdisks]   # the guests\n  device = /dev/sdb\n"
			  "device-group = array0\ntype = cgroup\npolicy = weight-iosize\n"
			  "token = 4096\nio-throttle = 8\nio-limit = 128\nweight = 50\n"
			  "group machine.slice/vm1.scope = 300\ngroup /sys/fs/cgroup/vm2 = 100\n\n"
			  "[logs]\ndevice = 8:32\n"), "%s", err);
	CHECK(cfg.ndev == 2, "%d devices", cfg.ndev);
	CHECK(!strcmp(cfg.dev[0].name, "vmdisks") && !strcmp(cfg.dev[0].device, "/dev/sdb") &&
	      !strcmp(cfg.dev[0].c.devgroup, "array0") && !strcmp(cfg.dev[0].c.type, "cgroup") &&
	      !strcmp(cfg.dev[0].c.policy, "weight-iosize") && cfg.dev[0].c.token == 4096 &&
	      cfg.dev[0].c.io_throttle == 8 && cfg.dev[0].c.io_limit == 128 &&
	      cfg.dev[0].c.def_weight == 50, "device 0");
	CHECK(cfg.dev[0].nspecs == 2 && !strcmp(cfg.dev[0].specs[0].spec, "machine.slice/vm1.scope") &&
	      cfg.dev[0].specs[0].weight == 300 && cfg.dev[0].specs[1].line == 12, "groups");
	CHECK(!strcmp(cfg.dev[1].c.devgroup, "logs") && !strcmp(cfg.dev[1].c.type, "none") &&
	      !strcmp(cfg.dev[1].c.policy, "weight") && cfg.dev[1].c.def_weight == 100,
	      "defaults");
	CHECK(!parse_text("[q]\ndevice = /dev/x\ntype = cgroup\nlimit = wbps=200M,burst=50\n"
			  "reserve = bps=1K\ngroup vm2.scope = 100 limit=wbps=8M  reserve=bps=4M\n"), "%s", err);
	CHECK(cfg.dev[0].c.def_qos.limit[IOB_WBPS] == 200ULL << 20 && cfg.dev[0].c.def_qos.burst_ms == 50 &&
	      cfg.dev[0].c.def_qos.reserve[IOB_BPS] == 1024 && cfg.dev[0].specs[0].weight == 100 &&
	      cfg.dev[0].specs[0].qos.limit[IOB_WBPS] == 8ULL << 20 &&
	      cfg.dev[0].specs[0].qos.reserve[IOB_BPS] == 4ULL << 20, "limits and reservations");
	CHECK(!parse_text("") && cfg.ndev == 0, "empty file");
	/* nested groups and the per-child mark, the type given after them */
	CHECK(!parse_text("[vm]\ndevice = /dev/x\ngroup machine.slice = 200 children limit=wbps=8M\n"
			  "group machine.slice/vm1.scope = 300\ntype = cgroup\n") &&
	      cfg.dev[0].specs[0].children && cfg.dev[0].specs[0].weight == 200 &&
	      cfg.dev[0].specs[0].qos.limit[IOB_WBPS] == 8ULL << 20 && !cfg.dev[0].specs[1].children,
	      "children: %s", err);
	CHECK(!parse_text("[vm]\ndevice = /dev/x\ntype = cgroup\ngroup a = 1 children=1\ngroup b = 1 children=0\n") &&
	      cfg.dev[0].specs[0].children && !cfg.dev[0].specs[1].children, "children=1/0: %s", err);
	CHECK(parse_text("[vm]\ndevice = /dev/x\ntype = cgroup\ngroup a = 1 children=2\n") &&
	      strstr(err, "'children=2'"), "children=2: %s", err);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(parse_text(bad[i].text) && strstr(err, bad[i].want),
		      "case %zu: got '%s', want '%s'", i, err, bad[i].want);
}

static bool plan_is(const struct plan *p, const char *want)
{
	static char got[TABLE_LEN];
	int i;

	got[0] = '\0';
	for (i = 0; i < p->n; i++) {
		if (i)
			strcat(got, "; ");
		strcat(got, p->s[i].kind == STEP_CREATE ? "create " : "");
		strcat(got, step_text(p, i));
	}
	if (strcmp(got, want))
		printf("  .. plan '%s', want '%s'\n", got, want);
	return !strcmp(got, want);
}

static void test_plan(void)
{
	static struct ioband_conf cur, want;
	static struct plan p;

	table_parse("254:1 t1 0 0 cgroup weight 0 :100 23:100 62:300", &cur, err, sizeof(err));
	want = cur;
	CHECK(!plan_device(&cur, &want, &p, err, sizeof(err)) && plan_is(&p, ""), "same");
	CHECK(!plan_device(NULL, &want, &p, err, sizeof(err)) &&
	      plan_is(&p, "create 254:1 t1 0 0 cgroup weight 0 :100 23:100 62:300"), "create");

	table_parse("254:1 t1 0 0 cgroup weight 0 :100 23:200 70:50", &want, err, sizeof(err));
	CHECK(!plan_device(&cur, &want, &p, err, sizeof(err)) &&
	      plan_is(&p, "detach 62; weight 23:200; attach 70; weight 70:50"), "groups");

	table_parse("254:1 t1 8 64 cgroup weight-iosize 512 :50 23:100 62:300", &want, err, sizeof(err));
	CHECK(!plan_device(&cur, &want, &p, err, sizeof(err)) &&
	      plan_is(&p, "policy weight-iosize; token 512; io_limit 64; io_throttle 8; weight 50"),
	      "params");
	/* lowering io_throttle to below the current io_limit goes first */
	table_parse("254:1 t1 0 0 cgroup weight 0 carryover=9 :100 23:100 62:300", &want, err, sizeof(err));
	CHECK(!plan_device(&cur, &want, &p, err, sizeof(err)) && plan_is(&p, "carryover 9"),
	      "carryover");

	table_parse("254:1 t1 16 32 cgroup weight 0 :100", &cur, err, sizeof(err));
	table_parse("254:1 t1 2 4 cgroup weight 0 :100", &want, err, sizeof(err));
	CHECK(!plan_device(&cur, &want, &p, err, sizeof(err)) &&
	      plan_is(&p, "io_throttle 2; io_limit 4"), "throttle order");

	table_parse("254:1 t1 0 0 cgroup weight 0 :100 23:100", &cur, err, sizeof(err));
	table_parse("254:1 t1 0 0 uid weight 0 :100 1001:300", &want, err, sizeof(err));
	CHECK(!plan_device(&cur, &want, &p, err, sizeof(err)) &&
	      plan_is(&p, "detach 23; type uid; attach 1001; weight 1001:300"), "retype");

	/* limits and reservations: whole messages, reservations out of a lower limit's way */
	table_parse("254:1 t1 0 0 cgroup weight 0 :100 23:100 limit=23:bps=1000 reserve=23:bps=800", &cur, err, sizeof(err));
	table_parse("254:1 t1 0 0 cgroup weight 0 :100 23:100 limit=23:bps=500,burst=20 reserve=23:bps=400 limit=:iops=7", &want, err, sizeof(err));
	CHECK(!plan_device(&cur, &want, &p, err, sizeof(err)) &&
	      plan_is(&p, "reserve 23:bps=0,rbps=0,wbps=0,iops=0,riops=0,wiops=0; "
		      "limit 23:bps=500,rbps=0,wbps=0,iops=0,riops=0,wiops=0,burst=20; "
		      "reserve 23:bps=400,rbps=0,wbps=0,iops=0,riops=0,wiops=0; "
		      "limit :bps=0,rbps=0,wbps=0,iops=7,riops=0,wiops=0,burst=0"), "qos");
	CHECK(!plan_device(NULL, &want, &p, err, sizeof(err)) &&
	      plan_is(&p, "create 254:1 t1 0 0 cgroup weight 0 :100 23:100 limit=23:bps=500,burst=20 reserve=23:bps=400 limit=:iops=7"),
	      "create with qos");

	/* the per-child mark: set after the attach, taken away alone */
	table_parse("254:1 t1 0 0 cgroup weight 0 :100 23:100", &cur, err, sizeof(err));
	CHECK(!table_parse("254:1 t1 0 0 cgroup weight 0 :100 23:100 70:50 children=70 children=23", &want,
			   err, sizeof(err)) && want.groups[0].children && want.groups[1].children, "%s", err);
	CHECK(!plan_device(&cur, &want, &p, err, sizeof(err)) &&
	      plan_is(&p, "children 23:1; attach 70; weight 70:50; children 70:1"), "children");
	CHECK(!plan_device(&want, &cur, &p, err, sizeof(err)) &&
	      plan_is(&p, "detach 70; children 23:0"), "children off");
	CHECK(!plan_device(NULL, &want, &p, err, sizeof(err)) &&
	      plan_is(&p, "create 254:1 t1 0 0 cgroup weight 0 :100 23:100 70:50 children=23 children=70"),
	      "create with children");

	table_parse("254:2 t1 0 0 uid weight 0 :100", &want, err, sizeof(err));
	CHECK(plan_device(&cur, &want, &p, err, sizeof(err)) &&
	      strstr(err, "exists over device 254:1, not 254:2"), "%s", err);
	table_parse("254:1 t2 0 0 cgroup weight 0 :100 23:100", &want, err, sizeof(err));
	CHECK(plan_device(&cur, &want, &p, err, sizeof(err)) &&
	      strstr(err, "device group t1, not t2"), "%s", err);
}

/* A small JSON checker: is the text one well-formed value? */
static const char *js;

static void ws(void)
{
	while (isspace((unsigned char)*js))
		js++;
}

static bool value(void);

static bool string(void)
{
	if (*js++ != '"')
		return false;
	while (*js && *js != '"') {
		if ((unsigned char)*js < 0x20)
			return false;
		if (*js == '\\')
			js++;
		js++;
	}
	return *js++ == '"';
}

static bool number(void)
{
	const char *s = js;

	strtod(js, (char **)&js);
	return js != s;
}

static bool seq(char open, char close, bool keys)
{
	if (*js++ != open)
		return false;
	ws();
	if (*js == close)
		return js++, true;
	for (;;) {
		ws();
		if (keys) {
			if (!string())
				return false;
			ws();
			if (*js++ != ':')
				return false;
		}
		if (!value())
			return false;
		ws();
		if (*js == close)
			return js++, true;
		if (*js++ != ',')
			return false;
	}
}

static bool value(void)
{
	ws();
	if (*js == '{')
		return seq('{', '}', true);
	if (*js == '[')
		return seq('[', ']', false);
	if (*js == '"')
		return string();
	if (!strncmp(js, "true", 4) || !strncmp(js, "null", 4))
		return js += 4, true;
	if (!strncmp(js, "false", 5))
		return js += 5, true;
	return number();
}

static bool json_ok(const char *text)
{
	js = text;
	if (!value())
		return false;
	ws();
	return !*js;
}

static void test_stats(void)
{
	struct group_stat a[2] = {
		{ -1, { 0 } },
		{ 23, { 100, 0, 800, 0, 0, 0, 0, 0, 0, 0, 50 } },
	}, b[3] = {
		{ -1, { 0 } },
		{ 23, { 1100, 0, 8800, 0, 10, 0, 80, 0, 2, 0, 1150 } },
		{ 62, { 5, 0, 40, 0, 0, 0, 0, 0, 0, 0, 0 } },
	};
	struct group_rate r[3];
	char buf[4096];
	FILE *f;

	stats_rates(a, 2, b, 3, 2.0, r);
	CHECK(r[1].rd_iops == 500 && r[1].wr_iops == 5, "iops %f %f", r[1].rd_iops, r[1].wr_iops);
	CHECK(r[1].rd_mbs > 2.0479 && r[1].rd_mbs < 2.0481, "MB/s %f", r[1].rd_mbs);
	CHECK(r[1].queue_ms > 1.089 && r[1].queue_ms < 1.091, "queue %f", r[1].queue_ms);
	CHECK(r[1].held == 2 && r[1].rd_bytes == 8800 * 512ULL, "held/bytes");
	CHECK(r[2].rd_iops == 0 && r[2].rd_bytes == 40 * 512, "new group has no rate yet");
	/* after a "reset" message counters restart from zero */
	a[1].v[ST_RD_IOS] = 5000;
	stats_rates(a, 2, b, 3, 2.0, r);
	CHECK(r[1].rd_iops == 550, "after reset %f", r[1].rd_iops);

	strcpy(r[0].label, "default");
	strcpy(r[1].label, "/sys/fs/cgroup/a \"quoted\"\\");
	strcpy(r[2].label, "user:alice");
	f = fmemopen(buf, sizeof(buf), "w");
	stats_print_json(f, "ib0", "t1", r, 3, 2.0, NULL, NULL);
	fclose(f);
	CHECK(json_ok(buf), "json: %s", buf);
	CHECK(strstr(buf, "\"name\": \"/sys/fs/cgroup/a \\\"quoted\\\"\\\\\"") != NULL, "escaped: %s", buf);
	CHECK(strstr(buf, "\"read_bytes\": 4505600") != NULL, "bytes: %s", buf);
	CHECK(!json_ok("{\"a\": [1, 2,]}") && !json_ok("{\"a\" 1}") && json_ok("[]"),
	      "the checker checks");
	f = fmemopen(buf, sizeof(buf), "w");
	stats_print_text(f, "ib0", "t1", r, 3, 2.0, NULL, NULL);
	fclose(f);
	CHECK(strstr(buf, "GROUP") && strstr(buf, "user:alice") && strstr(buf, "ib0 (device group t1)"),
	      "text: %s", buf);
	CHECK(!strstr(buf, "Limits"), "no limits, no section: %s", buf);

	/* with a limit, a reservation and the module's qos answer */
	{
		static struct qos_report q;

		CHECK(qos_report_parse("reserve_scale=61 reserve_demand=147\n"
				       "-1 held=0 limited=0 left=-\n"
				       "23 held=7 limited=1 left=wbps=65536,riops=3 limit=23:wbps=8388608,riops=500 reserve=23:bps=100\n"
				       "62 held=0 limited=0 left=- reserve=62:bps=5", &q) == 0 &&
		      q.n == 3 && q.scale_pct == 61 && q.demand_pct == 147 && q.g[1].id == 23 &&
		      q.g[1].held == 7 && q.g[1].limited && q.g[1].left[IOB_WBPS] == 65536 &&
		      q.g[1].left[IOB_RIOPS] == 3, "report parsed");
		CHECK(qos_report_parse("garbage", &q) == -1, "not a report");
		qos_report_parse("reserve_scale=61 reserve_demand=147\n-1 held=0 limited=0 left=-\n"
				 "23 held=7 limited=1 left=wbps=65536,riops=3", &q);
		r[1].qos.limit[IOB_WBPS] = 8388608;
		r[1].qos.limit[IOB_RIOPS] = 500;
		r[1].qos.reserve[IOB_BPS] = 1048576;
		r[1].now = &q.g[1];
		f = fmemopen(buf, sizeof(buf), "w");
		stats_print_text(f, "ib0", "t1", r, 3, 2.0, &q, NULL);
		fclose(f);
		CHECK(strstr(buf, "limit wbps=8.00MiB/s,riops=500 burst 100 ms (left wbps 64 KiB riops 3) reserve bps=1.00MiB/s, held by its limit") &&
		      strstr(buf, "reservations ask for 147% of the device: each gets 61% of what it asks"),
		      "text: %s", buf);
		f = fmemopen(buf, sizeof(buf), "w");
		stats_print_json(f, "ib0", "t1", r, 3, 2.0, &q, NULL);
		fclose(f);
		CHECK(json_ok(buf) && strstr(buf, "\"limit\": {\"wbps\": 8388608, \"riops\": 500}") &&
		      strstr(buf, "\"burst_left\": {\"wbps\": 65536, \"riops\": 3}, \"held_by_limit\": true") &&
		      strstr(buf, "\"reserve_scale_pct\": 61"), "json: %s", buf);
	}
}

/* the module's "groups" answer, and stats as a tree */
static const char tree_text[] =
	"auto=1 fallbacks=3\n"
	"-1 parent=- weight=100 hweight=333333 own=333333 part=333333 children=0 auto=0\n"
	"140 parent=- weight=100 hweight=500000 own=100000 part=100000 children=1 auto=0\n"
	"179 parent=- weight=100 hweight=500000 own=500000 part=500000 children=0 auto=0\n"
	"218 parent=140 weight=100 hweight=125000 own=125000 part=125000 children=0 auto=0\n"
	"257 parent=140 weight=300 hweight=375000 own=375000 part=400000 children=0 auto=1\n";

static void test_tree_stats(void)
{
	static struct tree_report t;
	static struct group_rate r[5];
	static const long long ids[5] = { -1, 140, 179, 218, 257 };
	char buf[4096];
	FILE *f;
	int i;

	CHECK(tree_report_parse(tree_text, &t) == 0 &&
	      t.n == 5 && t.nr_auto == 1 && t.fallbacks == 3 && t.g[4].parent == 140 &&
	      t.g[4].auto_child && t.g[4].part_ppm == 400000 && t.g[1].children &&
	      t.g[1].hweight_ppm == 500000 && t.g[1].own_ppm == 100000 &&
	      t.g[0].parent == -1, "parsed: %d", t.n);
	CHECK(tree_report_parse("auto=0 fallbacks=0\n5 parent=x weight=1", &t) == -1 &&
	      tree_report_parse("reserve_scale=1", &t) == -1 &&
	      tree_report_parse("auto=0 fallbacks=0\n5 parent=- weight=1 hweight=2 part=3 children=0 auto=0", &t) == -1,
	      "not a tree (or the old format)");
	tree_report_parse(tree_text, &t);
	/* in the status's order (by id), put in the tree's: children after their parent */
	for (i = 0; i < 5; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].id = ids[i];
		r[i].tree = tree_find(&t, ids[i]);
		r[i].weight = r[i].tree->weight;
		r[i].share = r[i].tree->hweight_ppm / 1e6;
		snprintf(r[i].label, sizeof(r[i].label), "g%lld", ids[i]);
	}
	stats_tree_order(r, 5);
	CHECK(r[0].id == -1 && r[1].id == 140 && r[2].id == 218 && r[3].id == 257 &&
	      r[4].id == 179 && r[2].depth == 1 && r[3].depth == 1 && r[4].depth == 0,
	      "order %lld %lld %lld %lld %lld", r[0].id, r[1].id, r[2].id, r[3].id, r[4].id);
	f = fmemopen(buf, sizeof(buf), "w");
	stats_print_text(f, "ib0", "t1", r, 5, 1.0, NULL, &t);
	fclose(f);
	CHECK(strstr(buf, "\ng140 ") && strstr(buf, " 50.0%") && strstr(buf, "\n  g218 ") &&
	      strstr(buf, " 12.5%") && strstr(buf, "  (per child)") && strstr(buf, "  (children)") &&
	      strstr(buf, "1 groups made per child cgroup; 3 bios"),
	      "text: %s", buf);
	f = fmemopen(buf, sizeof(buf), "w");
	stats_print_json(f, "ib0", "t1", r, 5, 1.0, NULL, &t);
	fclose(f);
	CHECK(json_ok(buf) && strstr(buf, "\"parent\": 140, \"depth\": 1, \"own\": 0.3750, \"part\": 0.4000, \"children\": false, \"per_child\": true") &&
	      strstr(buf, "\"parent\": null") && strstr(buf, "\"per_child_fallbacks\": 3"), "json: %s", buf);
}

/* limits and reservations as a person writes them */
static void test_qos_specs(void)
{
	struct iob_qos q = { 0 };
	char buf[256];

	CHECK(!qos_spec_apply("wbps=8M,riops=500,burst=50", false, &q, err, sizeof(err)) &&
	      q.limit[IOB_WBPS] == 8388608 && q.limit[IOB_RIOPS] == 500 && q.burst_ms == 50, "%s", err);
	CHECK(qos_spec_apply("wbps=16M", true, &q, err, sizeof(err)) && strstr(err, "above limit wbps"),
	      "reservation above the limit: %s", err);
	memset(&q, 0, sizeof(q));
	CHECK(!qos_spec_apply("bps=16MiB,rbps=1k", true, &q, err, sizeof(err)) &&
	      q.reserve[IOB_BPS] == 16777216 && q.reserve[IOB_RBPS] == 1024, "suffixes: %s", err);
	CHECK(qos_spec_apply("iops=5k", false, &q, err, sizeof(err)) && strstr(err, "expected 0 to"),
	      "no suffix on I/Os: %s", err);
	CHECK(qos_spec_apply("bps=5X", false, &q, err, sizeof(err)) && strstr(err, "with K, M, G or T"),
	      "%s", err);
	CHECK(qos_spec_apply("bps=2T", false, &q, err, sizeof(err)) && strstr(err, "with K, M, G or T"),
	      "overflow: %s", err);
	CHECK(qos_spec_apply("5:bps=1", false, &q, err, sizeof(err)) && strstr(err, "without a group"),
	      "%s", err);
	CHECK(qos_spec_apply("bps=1M", false, &q, err, sizeof(err)) && strstr(err, "above limit"),
	      "a limit under the reservation: %s", err);
	CHECK(qos_spec_format(buf, sizeof(buf), &q, true, false) > 0 &&
	      !strcmp(buf, "bps=16777216,rbps=1024"), "'%s'", buf);
}


/* the module's "latency" query, stats with it, and latency in a plan and a file */
static void test_latency(void)
{
	static const char text[] =
		"window_ms=100 peak_bps=67108864 step=6 windows=123\n"
		"-1 target=- cap=- floor=1048576 missed=0 capped=0 r=0:0,0,0 w=0:0,0,0\n"
		"140 target=300 cap=- floor=16777216 missed=7 capped=0 r=1800:60,92,260 w=0:0,0,0\n"
		"218 target=- cap=55000000 floor=16777216 missed=0 capped=88 r=0:0,0,0 w=7000:34816,38912,55296\n";
	static struct latency_report l;
	static struct group_rate r[3];
	static const long long ids[3] = { -1, 140, 218 };
	struct iob_qos cur = { 0 }, want = { 0 };
	struct plan p = { 0 };
	char buf[4096];
	FILE *f;
	int i;

	CHECK(latency_report_parse(text, &l) == 0 && l.n == 3 && l.window_ms == 100 &&
	      l.g[1].target_us == 300 && l.g[1].missed == 7 && l.g[1].dir[0].p99_us == 260 &&
	      l.g[2].cap_bps == 55000000 && l.g[2].dir[1].ios == 7000 && !l.g[0].target_us,
	      "parsed %d", l.n);
	CHECK(latency_report_parse("window_ms=100 peak_bps=1\n5 target=x cap=- floor=1 missed=0 capped=0 r=0:0,0,0 w=0:0,0,0", &l) == -1 &&
	      latency_report_parse("window_ms=100 peak_bps=1\n5 target=1 cap=- floor=1 missed=0 capped=0 r=0:0,0 w=0:0,0,0", &l) == -1 &&
	      latency_report_parse("auto=0 fallbacks=0", &l) == -1, "not a latency report");
	latency_report_parse(text, &l);
	for (i = 0; i < 3; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].id = ids[i];
		r[i].lat = latency_find(&l, ids[i]);
		snprintf(r[i].label, sizeof(r[i].label), "g%lld", ids[i]);
	}
	f = fmemopen(buf, sizeof(buf), "w");
	stats_print_text(f, "ib0", "t1", r, 3, 1.0, NULL, NULL);
	fclose(f);
	CHECK(strstr(buf, "Latency (since the group was made or reset):\n") &&
	      strstr(buf, "  g140: target 300 us (7 windows missed) read p50/p90/p99 60/92/260 us of 1800\n") &&
	      strstr(buf, "  g218: write p50/p90/p99 34816/38912/55296 us of 7000, held back to 52.45 MiB/s for a target\n") &&
	      !strstr(buf, "  g-1:"), "text: %s", buf);
	f = fmemopen(buf, sizeof(buf), "w");
	stats_print_json(f, "ib0", "t1", r, 3, 1.0, NULL, NULL);
	fclose(f);
	CHECK(json_ok(buf) &&
	      strstr(buf, "\"latency\": {\"target_us\": 300, \"cap_bps\": 0, \"floor_bps\": 16777216, \"missed_windows\": 7, \"capped_windows\": 0, \"read\": {\"ios\": 1800, \"p50_us\": 60, \"p90_us\": 92, \"p99_us\": 260}"),
	      "json: %s", buf);
	/* a plan sets and removes targets */
	want.latency_us = 500;
	plan_qos(&p, 140, &cur, &want);
	plan_qos(&p, IOB_DEFAULT_GROUP_ID, &want, &cur);
	CHECK(p.n == 2 && !strcmp(step_text(&p, 0), "latency 140:500") &&
	      !strcmp(step_text(&p, 1), "latency :0"), "plan: %d %s", p.n, p.n ? step_text(&p, 0) : "");
	/* the apply file */
	CHECK(!parse_text("[q]\ndevice = /dev/x\ntype = cgroup\nlatency = 2000\n"
			  "group vm2.scope = 100 latency=300 limit=wbps=8M\n") &&
	      cfg.dev[0].c.def_qos.latency_us == 2000 && cfg.dev[0].specs[0].qos.latency_us == 300 &&
	      cfg.dev[0].specs[0].qos.limit[IOB_WBPS] == 8ULL << 20, "file: %s", err);
	CHECK(parse_text("[q]\ndevice = /dev/x\ntype = cgroup\ngroup a = 1 latency=60000001\n") &&
	      strstr(err, "t.conf:4: group a: latency '60000001': expected 0 to 60000000"), "%s", err);
	CHECK(parse_text("[q]\ndevice = /dev/x\nlatency = 1ms\n") &&
	      strstr(err, "t.conf:3: latency '1ms'"), "%s", err);
}

/*
 * A device of MAX_GROUPS groups: its table line round-trips, its status
 * parses, an apply file of that many groups parses and plans, and one
 * more is refused with a clear error.
 */
static void test_many_groups(void)
{
	static char line[TABLE_LEN], out[TABLE_LEN], status[TABLE_LEN * 4];
	static struct ioband_conf c, c2;
	static struct group_stat st[MAX_GROUPS + 2];
	static struct plan p;
	size_t n = 0, m;
	char *text;
	FILE *f;
	int i, k;

	n += snprintf(line + n, sizeof(line) - n, "254:1 big 0 0 cgroup weight 0 :100");
	for (i = 0; i < MAX_GROUPS; i++)
		n += snprintf(line + n, sizeof(line) - n, " %d:%d", 1000 + i, 1 + i % 800);
	for (i = 0; i < MAX_GROUPS; i += 7)
		n += snprintf(line + n, sizeof(line) - n, " limit=%d:wbps=%d", 1000 + i, 1 << 20);
	CHECK(!table_parse(line, &c, err, sizeof(err)) && c.ngroups == MAX_GROUPS &&
	      c.groups[MAX_GROUPS - 1].id == 1000 + MAX_GROUPS - 1, "parse: %s", err);
	CHECK(!table_format(&c, out, sizeof(out)) && !table_parse(out, &c2, err, sizeof(err)) &&
	      c2.ngroups == MAX_GROUPS && !memcmp(c.groups, c2.groups, sizeof(c.groups)),
	      "round trip: %s", err);
	snprintf(line + n, sizeof(line) - n, " 99999:5");
	CHECK(table_parse(line, &c2, err, sizeof(err)) && strstr(err, "more than"),
	      "one group too many: '%s'", err);

	/* the status of the default group and MAX_GROUPS groups */
	n = snprintf(status, sizeof(status), "big");
	for (i = -1; i < MAX_GROUPS; i++) {
		n += snprintf(status + n, sizeof(status) - n, " %d", i < 0 ? -1 : 1000 + i);
		for (k = 0; k < ST_NR; k++)
			n += snprintf(status + n, sizeof(status) - n, " %d", i + k + 1);
	}
	k = status_parse(status, out, 32, st, MAX_GROUPS + 1);
	CHECK(k == MAX_GROUPS + 1 && st[MAX_GROUPS].id == 1000 + MAX_GROUPS - 1 &&
	      st[MAX_GROUPS].v[ST_TIME_IN_QUEUE] == MAX_GROUPS + ST_NR - 1, "status: %d", k);

	/* an apply file naming every group, and the plan that creates them */
	m = 64 + 32 * (size_t)MAX_GROUPS;
	text = malloc(m);
	n = snprintf(text, m, "[big]\ndevice = /dev/x\ntype = cgroup\n");
	for (i = 0; i < MAX_GROUPS; i++)
		n += snprintf(text + n, m - n, "group cg%d = %d\n", i, 1 + i % 800);
	f = fmemopen(text, n, "r");
	CHECK(!config_parse(f, "t.conf", &cfg, err, sizeof(err)) && cfg.dev[0].nspecs == MAX_GROUPS &&
	      !strcmp(cfg.dev[0].specs[MAX_GROUPS - 1].spec, "cg4095") , "file: %s", err);
	fclose(f);
	snprintf(text + n, m - n, "group one-more = 1\n");
	CHECK(parse_text(text) && strstr(err, "more than 4096 groups"), "file, one too many: %s", err);
	free(text);
	config_free(&cfg);

	CHECK(!plan_device(NULL, &c, &p, err, sizeof(err)) && p.n == 1 && strlen(step_text(&p, 0)) > 8 * MAX_GROUPS,
	      "create: %s", err);
	c2 = c;
	for (i = 0; i < MAX_GROUPS; i++)
		c2.groups[i].weight++;
	CHECK(!plan_device(&c, &c2, &p, err, sizeof(err)) && p.n == MAX_GROUPS,
	      "reweight every group: %d steps: %s", p.n, err);
	plan_free(&p);
}

/* cgroup ids named back by path: one walk for many groups, new ones found */
static void test_labels(void)
{
	char root[] = "/tmp/iob-cgXXXXXX", path[PATH_LEN], label[PATH_LEN];
	unsigned long long ino[300];
	struct stat st;
	int i, bad = 0;

	CHECK(mkdtemp(root) != NULL, "mkdtemp");
	cgroup_root = root;
	for (i = 0; i < 300; i++) {
		snprintf(path, sizeof(path), "%s/p%d", root, i % 10);
		mkdir(path, 0755);
		snprintf(path, sizeof(path), "%s/p%d/c%d", root, i % 10, i);
		mkdir(path, 0755);
		stat(path, &st);
		ino[i] = st.st_ino;
	}
	for (i = 0; i < 300; i++) {
		snprintf(path, sizeof(path), "%s/p%d/c%d", root, i % 10, i);
		group_label("cgroup", (long long)ino[i], label, sizeof(label));
		bad += strcmp(label, path) != 0;
	}
	CHECK(!bad, "%d of 300 labels wrong", bad);
	group_label("cgroup", 1, label, sizeof(label));
	CHECK(!strcmp(label, "cgroup:1 (gone)"), "%s", label);
	sleep(1);	/* a miss walks again at most once a second */
	snprintf(path, sizeof(path), "%s/late", root);
	mkdir(path, 0755);
	stat(path, &st);
	group_label("cgroup", (long long)st.st_ino, label, sizeof(label));
	CHECK(!strcmp(label, path), "a cgroup made after the first walk: %s", label);
	for (i = 0; i < 300; i++) {
		snprintf(path, sizeof(path), "%s/p%d/c%d", root, i % 10, i);
		rmdir(path);
	}
	for (i = 0; i < 10; i++) {
		snprintf(path, sizeof(path), "%s/p%d", root, i);
		rmdir(path);
	}
	snprintf(path, sizeof(path), "%s/late", root);
	rmdir(path);
	rmdir(root);
	cgroup_root = "/sys/fs/cgroup";
}

int main(void)
{
	RUN(test_table);
	RUN(test_status);
	RUN(test_specs);
	RUN(test_config);
	RUN(test_plan);
	RUN(test_stats);
	RUN(test_tree_stats);
	RUN(test_qos_specs);
	RUN(test_latency);
	RUN(test_many_groups);
	RUN(test_labels);
	return check_summary("test-iobandctl");
}
