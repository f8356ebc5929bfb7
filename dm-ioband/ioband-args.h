/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ioband's arguments: parsing and printing the table line and the
 * device-group parameters (ioband-args.c).  Plain C, shared with
 * iobandctl and the unit tests.
 */
#ifndef IOBAND_ARGS_H
#define IOBAND_ARGS_H

#include "ioband-policy.h"
#include "ioband-qos.h"

int iob_parse_u32(const char *s, u32 min, u32 max, u32 *out);
int iob_parse_type(const char *s, enum iob_type *out);
const char *iob_type_name(enum iob_type type);
int iob_parse_policy(const char *s, enum iob_policy *out);
const char *iob_policy_name(enum iob_policy policy);
int iob_parse_group_id(enum iob_type type, const char *s, s64 *id);
int iob_parse_weight_arg(enum iob_type type, const char *s, s64 *id,
			 u32 *weight);
int iob_parse_param(const char *key, const char *val, struct iob_params *p,
		    char *err, size_t errlen);

/*
 * One "limit" or "reserve" argument, <id>:<key>=<n>[,<key>=<n>...]
 * [,burst=<ms>] (burst for limits only); "<spec>" or ":<spec>" names the
 * default group.  @set has bit k for each key given, bit IOB_NR_KEYS for
 * burst.
 */
struct iob_qos_arg {
	s64 id;
	bool reserve;
	u32 set;
	u64 val[IOB_NR_KEYS];
	u32 burst_ms;
};

#define IOB_QOS_BURST_BIT	(1U << IOB_NR_KEYS)

int iob_parse_qos_arg(enum iob_type type, bool reserve, const char *s,
		      struct iob_qos_arg *a, char *err, size_t errlen);
int iob_apply_qos_arg(struct iob_qos *q, const struct iob_qos_arg *a,
		      char *err, size_t errlen);
int iob_parse_latency_arg(enum iob_type type, const char *s, s64 *id,
			  u32 *us, char *err, size_t errlen);
int iob_parse_range_bw(enum iob_type type, const char *s, s64 *id,
		       struct iob_qos *q, char *err, size_t errlen);
int iob_format_qos(char *buf, size_t len, s64 id, const struct iob_qos *q);

/*
 * One <id>:<weight> of a table line, with its reservation and limit, and
 * whether each of its child cgroups is a group of its own (children=).
 */
struct iob_group_arg {
	s64 id;
	u32 weight;
	bool children;
	struct iob_qos qos;
};

/* A table line after its <dev>, which dm core opens. */
struct iob_table {
	char devgroup[IOB_DEVGROUP_MAX + 1];
	struct iob_params params;
	enum iob_type type;
	u32 def_weight;
	struct iob_qos def_qos;
	unsigned int ngroups;
	struct iob_group_arg *groups;	/* the caller's, room for argc */
};

bool iob_valid_devgroup(const char *s);
int iob_parse_table(unsigned int argc, char **argv, struct iob_table *t,
		    const char **error);
int iob_format_params(char *buf, size_t len, const char *devgroup,
		      const struct iob_params *p, enum iob_type type,
		      u32 def_weight);
int iob_format_table(const struct iob_table *t, char *buf, size_t len);

#endif /* IOBAND_ARGS_H */
