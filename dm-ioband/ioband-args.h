/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ioband's arguments: parsing and printing the table line and the
 * device-group parameters (ioband-args.c).  Plain C, shared with
 * iobandctl and the unit tests.
 */
#ifndef IOBAND_ARGS_H
#define IOBAND_ARGS_H

#include "ioband-policy.h"

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

/* One <id>:<weight> of a table line. */
struct iob_group_arg {
	s64 id;
	u32 weight;
};

/* A table line after its <dev>, which dm core opens. */
struct iob_table {
	char devgroup[IOB_DEVGROUP_MAX + 1];
	struct iob_params params;
	enum iob_type type;
	u32 def_weight;
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
