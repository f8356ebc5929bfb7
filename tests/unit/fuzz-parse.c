// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz the policy core's parsers (built with -fsanitize=address,undefined):
 * table lines and messages made from valid ones with fields dropped,
 * duplicated, swapped, overflowed, emptied, made long or non-ASCII, and
 * random bytes.  Every line must be refused with a reason or accepted; an
 * accepted table line printed back and parsed again must give the same
 * settings, and a refused parameter must change nothing.
 *   fuzz-parse [LINES [SEED]]     (default 1000000 lines, seed 1)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ioband-args.h"
#include "check.h"

#define MAXARG 48
#define ARGLEN 600

static u64 rng_state;

static u32 rnd(u32 n)
{
	/* xorshift64*: deterministic for a seed, good enough to mutate */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (u32)((rng_state * 2685821657736338717ULL) >> 33) % n;
}

static const char *const seeds[] = {
	"g 0 0 none weight 0",
	"g 0 0 none weight 0 :100",
	"dg 4 16 cgroup weight-iosize 0 :100 5:100 6:300 carryover=5",
	"t1 0 0 uid weight 64 carryover=0 :50 1001:200 1002:300",
	"t2 2 32767 gid default 1073741824 :10000 4294967294:1",
	"t3 0 0 pid weight 0 1:1 2:2 3:3 4:4 5:5 6:6 7:7 8:8",
	"t4 0 0 pgrp weight-iosize 16384 :1 77:9999",
	"t5 0 0 user weight 0 carryover=64 0:5",
	"q1 0 0 cgroup weight-iosize 0 :100 5:100 limit=5:wbps=8388608,burst=50 reserve=:bps=1000",
	"q2 0 0 uid weight 0 7:1 limit=7:riops=500,wiops=9 reserve=7:riops=100 limit=:bps=1099511627776",
	"1 4 128 cgroup range-bw 16384 :0:0 2:100:500 3:700:1000 4:30000:35000",
	"tr 0 0 cgroup weight-iosize 0 :100 5:100 6:300 children=5 children=6 limit=5:wbps=1",
	"lt 0 0 cgroup weight-iosize 0 :100 5:100 6:300 latency=5:500 latency=:2000 limit=6:wbps=9",
};

static const char *const words[] = {
	"", ":", "::", "0", "-1", "+1", "1:", ":0", ":10001", "carryover=",
	"carryover=65", "carryover=-1", "carryover=007", "99999999999999999999",
	"18446744073709551616", "9223372036854775807:1", "9223372036854775808:1",
	"4294967295:1", "node", "cpuset", "range-bw", "weight", "cgroup", "none",
	"\xc3\xa9t\xc3\xa9", "\xff\xfe", "1\t2", "0x10", "1e3", "12a", " ", "%s%n",
	"limit=", "limit=:", "limit=5:bps=1,", "limit=5:bps=1,,iops=2", "reserve=:burst=5",
	"limit=:burst=60000", "limit=-1:bps=1", "reserve=5:bps=1099511627777", ":1:2:3",
	"limit=5:bps=0", "reserve=7:iops=4294967296", "2:100:0", "-1:5:6",
	"children=", "children=5", "children=-1", "children=0", "children=7", "children=5:1",
	"latency=", "latency=5:0", "latency=5:60000000", "latency=5:60000001", "latency=:1",
	"latency=5", "latency=7:100", "latency=-1:5", "latency=5:1,2",
};

struct fuzz_line {
	unsigned int argc;
	char argv[MAXARG][ARGLEN];
};

static void from_seed(struct fuzz_line *l, const char *s)
{
	char buf[ARGLEN * 2], *tok;

	l->argc = 0;
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok(buf, " "); tok && l->argc < MAXARG; tok = strtok(NULL, " "))
		snprintf(l->argv[l->argc++], ARGLEN, "%s", tok);
}

static void mutate(struct fuzz_line *l)
{
	unsigned int i = l->argc ? rnd(l->argc) : 0, j, k;
	char *a = l->argv[i];
	size_t n;

	switch (rnd(10)) {
	case 0:		/* drop a field */
		if (!l->argc)
			break;
		memmove(&l->argv[i], &l->argv[i + 1], (l->argc - i - 1) * ARGLEN);
		l->argc--;
		break;
	case 1:		/* duplicate a field */
		if (!l->argc || l->argc == MAXARG)
			break;
		memmove(&l->argv[i + 1], &l->argv[i], (l->argc - i) * ARGLEN);
		l->argc++;
		break;
	case 2:		/* swap two fields */
		if (l->argc < 2)
			break;
		j = rnd(l->argc);
		{
			char t[ARGLEN];

			memcpy(t, l->argv[i], ARGLEN);
			memcpy(l->argv[i], l->argv[j], ARGLEN);
			memcpy(l->argv[j], t, ARGLEN);
		}
		break;
	case 3:		/* a field becomes a known troublemaker */
		if (l->argc)
			snprintf(a, ARGLEN, "%s", words[rnd(ARRAY_SIZE(words))]);
		break;
	case 4:		/* overflow: append digits */
		if (!l->argc)
			break;
		n = strlen(a);
		for (k = rnd(25); k && n < ARGLEN - 1; k--)
			a[n++] = '0' + rnd(10);
		a[n] = '\0';
		break;
	case 5:		/* a very long field */
		if (!l->argc)
			break;
		n = 1 + rnd(ARGLEN - 1);
		memset(a, rnd(2) ? '9' : 'a' + rnd(26), n);
		a[n] = '\0';
		break;
	case 6:		/* random bytes, non-ASCII included */
		if (!l->argc)
			break;
		n = rnd(12);
		for (k = 0; k < n; k++)
			a[k] = (char)(1 + rnd(255));
		a[n] = '\0';
		break;
	case 7:		/* flip one character */
		n = l->argc ? strlen(a) : 0;
		if (n)
			a[rnd((u32)n)] = (char)(1 + rnd(255));
		break;
	case 8:		/* add a group */
		if (l->argc < MAXARG)
			snprintf(l->argv[l->argc++], ARGLEN, "%u:%u", rnd(20), rnd(12000));
		break;
	default:	/* truncate a field */
		if (l->argc)
			a[rnd((u32)strlen(a) + 1)] = '\0';
		break;
	}
}

static bool same_table(const struct iob_table *a, const struct iob_table *b)
{
	unsigned int i;

	if (strcmp(a->devgroup, b->devgroup) || a->type != b->type ||
	    a->def_weight != b->def_weight || a->ngroups != b->ngroups ||
	    memcmp(&a->params, &b->params, sizeof(a->params)))
		return false;
	if (memcmp(&a->def_qos, &b->def_qos, sizeof(a->def_qos)))
		return false;
	for (i = 0; i < a->ngroups; i++)
		if (a->groups[i].id != b->groups[i].id ||
		    a->groups[i].weight != b->groups[i].weight ||
		    memcmp(&a->groups[i].qos, &b->groups[i].qos, sizeof(a->groups[i].qos)))
			return false;
	return true;
}

static char out[MAXARG * 160];
static char reparse_buf[sizeof(out)];

/* Accepted lines: printed back and parsed again, the same settings. */
static bool round_trip(const struct iob_table *t)
{
	struct iob_group_arg g2[MAXARG];
	struct iob_table u = { .groups = g2 };
	char *argv[MAXARG + 2], *tok;
	const char *err = NULL;
	unsigned int n = 0;

	if (iob_format_table(t, out, sizeof(out)))
		return false;
	strcpy(reparse_buf, out);
	for (tok = strtok(reparse_buf, " "); tok && n < MAXARG + 2; tok = strtok(NULL, " "))
		argv[n++] = tok;
	return iob_parse_table(n, argv, &u, &err) == 0 && same_table(t, &u);
}

int main(int argc, char **argv)
{
	unsigned long lines = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	unsigned long i, accepted = 0, refused = 0, bad = 0, pbad = 0;
	static struct fuzz_line l;

	rng_state = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
	if (!rng_state)
		rng_state = 1;
	for (i = 0; i < lines; i++) {
		struct iob_group_arg groups[MAXARG];
		struct iob_table t = { .groups = groups };
		struct iob_params p = { .carryover = 2 }, before;
		char *av[MAXARG], err[160];
		const char *why = NULL;
		unsigned int k, m = 1 + rnd(4);
		s64 id;
		u32 w;

		from_seed(&l, seeds[rnd(ARRAY_SIZE(seeds))]);
		for (k = 0; k < m; k++)
			mutate(&l);
		for (k = 0; k < l.argc; k++)
			av[k] = l.argv[k];
		if (iob_parse_table(l.argc, av, &t, &why) == 0) {
			accepted++;
			if (!round_trip(&t)) {
				if (bad++ < 5)
					printf("  .. round trip changed '%s'\n", out);
			}
		} else {
			refused++;
			if (!why || !*why) {
				if (bad++ < 5)
					printf("  .. refused without a reason\n");
			}
		}
		/* messages: a key and a value from the same line */
		before = p;
		err[0] = '\0';
		if (l.argc >= 2 &&
		    iob_parse_param(av[rnd(l.argc)], av[rnd(l.argc)], &p, err, sizeof(err)) &&
		    (memcmp(&p, &before, sizeof(p)) || !err[0]))
			pbad++;
		if (l.argc)
			(void)iob_parse_weight_arg((enum iob_type)rnd(6), av[0], &id, &w);
		/* limit and reserve messages: refused ones change nothing */
		if (l.argc) {
			struct iob_qos q = { .limit = { [IOB_BPS] = 1000 } }, qb = q;
			struct iob_qos_arg qa;

			err[0] = '\0';
			if (iob_parse_qos_arg((enum iob_type)rnd(6), rnd(2), av[rnd(l.argc)],
					      &qa, err, sizeof(err))) {
				if (!err[0])
					pbad++;
			} else if (iob_apply_qos_arg(&q, &qa, err, sizeof(err)) &&
				   (memcmp(&q, &qb, sizeof(q)) || !err[0])) {
				pbad++;
			}
			err[0] = '\0';
			qb = q;
			if (iob_parse_range_bw((enum iob_type)rnd(6), av[rnd(l.argc)], &id,
					       &q, err, sizeof(err)) &&
			    (!err[0] || memcmp(&q, &qb, sizeof(q))))
				pbad++;
		}
	}
	RESULT(bad == 0 && accepted > lines / 20 && refused > lines / 20,
	       "fuzz table lines",
	       "%lu lines: %lu accepted and printed back the same, %lu refused with a reason, %lu wrong",
	       lines, accepted, refused, bad);
	RESULT(pbad == 0, "fuzz parameter, limit, reserve and range-bw messages",
	       "%lu messages, %lu refused ones changed something or gave no reason", lines, pbad);
	return check_summary("fuzz-parse");
}
