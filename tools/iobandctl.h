/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iobandctl: shared types.  The parsing, planning and formatting parts
 * (table.c, config.c, plan.c, stats.c, groupspec.c) do no device-mapper
 * calls, so the unit tests link them without libdevmapper.
 */
#ifndef IOBANDCTL_H
#define IOBANDCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "ioband-args.h"	/* iob_parse_u32(), names and limits */
#include "ioband-latency.h"

/* Exit codes. */
#define EX_OK		0
#define EX_FAIL		1
#define EX_USAGE	2

#define __printf(a, b)	__attribute__((format(printf, a, b)))

/*
 * Groups per device iobandctl reads and writes (the module has no limit of
 * its own).  The arrays that grow with both groups and devices (the apply
 * file's groups, a plan's steps) are allocated as they grow.
 */
#define MAX_GROUPS	4096
#define MAX_DEVICES	64
#define NAME_LEN	128
#define PATH_LEN	4096
#define ERR_LEN		512
#define TABLE_LEN	(1 << 20)	/* a table line: MAX_GROUPS groups with limits */

/* A group attached to a device, as in its table line. */
struct group_w {
	long long id;
	unsigned int weight;
	bool children;			/* each child cgroup: its own group */
	struct iob_qos qos;		/* its reservation and limit */
};

/* One ioband target's configuration: what its table line says. */
struct ioband_conf {
	char dev[NAME_LEN];		/* major:minor or path */
	char devgroup[32];
	unsigned int io_throttle, io_limit, token, carryover;
	char type[16];			/* none cgroup uid gid pid pgrp */
	char policy[16];		/* weight weight-iosize */
	unsigned int def_weight;
	struct iob_qos def_qos;
	int ngroups;
	struct group_w groups[MAX_GROUPS];
};

/* table.c */
int table_parse(const char *params, struct ioband_conf *c, char *err, size_t len);
int table_format(const struct ioband_conf *c, char *buf, size_t len);
const char *type_canonical(const char *type);
const char *policy_canonical(const char *policy);
const struct group_w *conf_group(const struct ioband_conf *c, long long id);

/* One group's counters from dmsetup status. */
enum {
	ST_RD_IOS, ST_RD_MERGES, ST_RD_SECTORS, ST_RD_TICKS,
	ST_WR_IOS, ST_WR_MERGES, ST_WR_SECTORS, ST_WR_TICKS,
	ST_HELD, ST_IO_TICKS, ST_TIME_IN_QUEUE, ST_NR
};
struct group_stat {
	long long id;
	unsigned long long v[ST_NR];
};
int status_parse(const char *params, char *devgroup, size_t dglen,
		 struct group_stat *g, int max);

/* Print into @err and return -1. */
int errorf(char *err, size_t len, const char *fmt, ...) __printf(3, 4);

/* groupspec.c: what a person types for a group, and its id. */
enum spec_kind { SPEC_CGROUP, SPEC_UID, SPEC_GID, SPEC_PID, SPEC_PGRP };
struct group_spec {
	enum spec_kind kind;
	char text[PATH_LEN];		/* as given */
	long long id;			/* resolved */
};
extern const char *cgroup_root;		/* /sys/fs/cgroup, tests change it */
int spec_parse(const char *s, struct group_spec *g, char *err, size_t len);
int spec_resolve(struct group_spec *g, char *err, size_t len);
int spec_check_type(const struct group_spec *g, const char *type,
		    char *err, size_t len);
const char *spec_kind_name(enum spec_kind k);
void group_label(const char *type, long long id, char *buf, size_t len);

/* qos.c: reservations and limits, and the module's "qos" query. */
struct qos_group_report {
	long long id;
	unsigned long long held;
	int limited;			/* held by its limit now */
	unsigned long long left[IOB_NR_KEYS];	/* in the limit buckets */
};
struct qos_report {
	unsigned int scale_pct, demand_pct;
	int n;
	struct qos_group_report g[MAX_GROUPS + 1];
};
int qos_spec_apply(const char *spec, bool reserve, struct iob_qos *q,
		   char *err, size_t len);
int qos_spec_format(char *buf, size_t len, const struct iob_qos *q,
		    bool reserve, bool all);
bool qos_equal(const struct iob_qos *a, const struct iob_qos *b);
int qos_report_parse(const char *text, struct qos_report *r);

/* tree.c: the module's "groups" query, the tree of a cgroup device. */
struct tree_group {
	long long id;
	long long parent;		/* -1: at the top */
	unsigned int weight;
	unsigned int hweight_ppm;	/* its subtree's share of the device */
	unsigned int own_ppm;		/* its own bios' share */
	unsigned int part_ppm;		/* its own bios', with reservations */
	bool children, auto_child;
};
struct tree_report {
	unsigned int nr_auto;
	unsigned long long fallbacks;
	int n;
	struct tree_group g[MAX_GROUPS + 1];
};
int tree_report_parse(const char *text, struct tree_report *t);
const struct tree_group *tree_find(const struct tree_report *t, long long id);

/* config.c: the apply file. */
struct conf_group {
	char spec[PATH_LEN];
	unsigned int weight;
	bool children;
	struct iob_qos qos;
	int line;
};
struct conf_device {
	char name[NAME_LEN];
	char device[PATH_LEN];
	int line;
	struct ioband_conf c;		/* dev, groups filled by resolution */
	int nspecs, cap;
	struct conf_group *specs;	/* nspecs of cap, allocated */
};
struct config {
	int ndev;
	struct conf_device dev[MAX_DEVICES];
};
/* @cfg: zeroed, or parsed before (what it holds is freed first). */
int config_parse(FILE *f, const char *fname, struct config *cfg,
		 char *err, size_t len);
void config_free(struct config *cfg);

/* plan.c: the messages that turn @cur into @want (cur NULL: create). */
#define MAX_STEPS	(7 * MAX_GROUPS + 16)
enum step_kind { STEP_CREATE, STEP_MESSAGE };
struct step {
	enum step_kind kind;
	char text[512];			/* a message */
};
/* Zeroed before its first use; plan_free() frees what it holds. */
struct plan {
	int n, cap;
	bool full;			/* a step did not fit */
	char *create;			/* the table params of a STEP_CREATE */
	struct step *s;			/* n of cap, allocated */
};
int plan_device(const struct ioband_conf *cur, const struct ioband_conf *want,
		struct plan *p, char *err, size_t len);
const char *step_text(const struct plan *p, int i);
void plan_free(struct plan *p);
void plan_qos(struct plan *p, long long id, const struct iob_qos *cur,
	      const struct iob_qos *want);

/* latency.c: the module's "latency" query. */
struct latency_dir {
	unsigned long long ios, p50_us, p90_us, p99_us;
};
struct latency_group {
	long long id;
	unsigned int target_us;		/* 0: none */
	unsigned long long cap_bps;	/* 0: not held back */
	unsigned long long floor_bps, missed, capped;
	struct latency_dir dir[2];	/* read, write */
};
struct latency_report {
	unsigned int window_ms;
	unsigned long long peak_bps;
	int n;
	struct latency_group g[MAX_GROUPS + 1];
};
int latency_report_parse(const char *text, struct latency_report *r);
const struct latency_group *latency_find(const struct latency_report *r, long long id);
void latency_print_text(FILE *f, const char *label, const struct latency_group *g);
void latency_print_json(FILE *f, const struct latency_group *g);

/* stats.c: rates between two status samples. */
struct group_rate {
	long long id;
	char label[PATH_LEN];
	unsigned int weight;
	/*
	 * Its part of the device group: by the tree's weights over the busy
	 * groups where the module says (cgroup type), else configured weight
	 * over all weights.
	 */
	double share;
	double rd_mbs, wr_mbs, rd_iops, wr_iops;
	unsigned long long held;
	double queue_ms;		/* mean wait in ioband per I/O */
	unsigned long long rd_bytes, wr_bytes;	/* totals */
	struct iob_qos qos;		/* configured */
	const struct qos_group_report *now;	/* NULL if not known */
	const struct tree_group *tree;	/* NULL if not known */
	const struct latency_group *lat;	/* NULL if not known */
	int depth;			/* in the tree: 0 at the top */
};
void stats_tree_order(struct group_rate *r, int n);
int stats_rates(const struct group_stat *a, int na, const struct group_stat *b,
		int nb, double secs, struct group_rate *out);
void stats_print_text(FILE *f, const char *name, const char *devgroup,
		      const struct group_rate *r, int n, double secs,
		      const struct qos_report *q, const struct tree_report *t);
void stats_print_json(FILE *f, const char *name, const char *devgroup,
		      const struct group_rate *r, int n, double secs,
		      const struct qos_report *q, const struct tree_report *t);
void json_string(FILE *f, const char *s);

#endif /* IOBANDCTL_H */
