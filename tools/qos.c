// SPDX-License-Identifier: GPL-2.0
/*
 * iobandctl: reservations and limits as a person writes them
 * ("wbps=8M,burst=50"), as the module's messages take them, and as its
 * "qos" query reports them.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "iobandctl.h"

/*
 * "8M" -> "8388608": K, M, G, T (powers of 1024, an optional "i" and "B"
 * after them) on values of the byte keys.  Other text is copied.
 */
static int expand(const char *spec, char *out, size_t len, char *err,
		  size_t elen)
{
	size_t o = 0;

	while (*spec) {
		const char *eq = strchr(spec, '='), *end = strchr(spec, ',');
		unsigned long long v, mul = 1;
		char *num_end;
		size_t klen;
		int n;

		if (!end)
			end = spec + strlen(spec);
		if (!eq || eq > end || !isdigit((unsigned char)eq[1])) {
			n = snprintf(out + o, len - o, "%.*s%s", (int)(end - spec), spec,
				     *end ? "," : "");
			goto next;
		}
		klen = (size_t)(eq - spec);
		v = strtoull(eq + 1, &num_end, 10);
		if (num_end < end && klen >= 3 && !strncmp(eq - 3, "bps", 3)) {
			switch (toupper((unsigned char)*num_end)) {
			case 'K': mul = 1ULL << 10; break;
			case 'M': mul = 1ULL << 20; break;
			case 'G': mul = 1ULL << 30; break;
			case 'T': mul = 1ULL << 40; break;
			default: mul = 0; break;
			}
			if (mul) {
				num_end++;
				if (num_end < end && *num_end == 'i')
					num_end++;
				if (num_end < end && *num_end == 'B')
					num_end++;
			}
			if (!mul || num_end != end || v > IOB_RATE_MAX / mul)
				return errorf(err, elen, "'%.*s': expected a number, or one with K, M, G or T",
					      (int)(end - spec), spec);
			n = snprintf(out + o, len - o, "%.*s=%llu%s", (int)klen, spec, v * mul,
				     *end ? "," : "");
		} else {
			n = snprintf(out + o, len - o, "%.*s%s", (int)(end - spec), spec,
				     *end ? "," : "");
		}
next:
		if (n < 0 || (size_t)n >= len - o)
			return errorf(err, elen, "'%s': too long", spec);
		o += (size_t)n;
		spec = *end ? end + 1 : end;
	}
	return 0;
}

int qos_spec_apply(const char *spec, bool reserve, struct iob_qos *q,
		   char *err, size_t len)
{
	char buf[512], kerr[160];
	struct iob_qos_arg a;

	if (strchr(spec, ':'))
		return errorf(err, len, "'%s': expected <key>=<n>[,<key>=<n>...], without a group", spec);
	if (expand(spec, buf, sizeof(buf), err, len))
		return -1;
	if (iob_parse_qos_arg(IOB_TYPE_NONE, reserve, buf, &a, kerr, sizeof(kerr)) ||
	    iob_apply_qos_arg(q, &a, kerr, sizeof(kerr)))
		return errorf(err, len, "%s", kerr);
	return 0;
}

/*
 * The keys of a limit (with burst) or reservation; with @all every key,
 * 0 for the ones not set, so that a message sets exactly @q's.
 */
int qos_spec_format(char *buf, size_t len, const struct iob_qos *q,
		    bool reserve, bool all)
{
	const u64 *v = reserve ? q->reserve : q->limit;
	size_t o = 0;
	int k, n;

	buf[0] = '\0';
	for (k = 0; k <= IOB_NR_KEYS; k++) {
		unsigned long long x = k < IOB_NR_KEYS ? (unsigned long long)v[k] : q->burst_ms;

		if (k == IOB_NR_KEYS && reserve)
			break;
		if (!x && !all)
			continue;
		n = snprintf(buf + o, len - o, "%s%s=%llu", o ? "," : "",
			     k < IOB_NR_KEYS ? iob_key_name(k) : "burst", x);
		if (n < 0 || (size_t)n >= len - o)
			return -1;
		o += (size_t)n;
	}
	return (int)o;
}

bool qos_equal(const struct iob_qos *a, const struct iob_qos *b)
{
	return !memcmp(a, b, sizeof(*a));
}

/*
 * The "qos" query's answer: a first line "reserve_scale=<n>
 * reserve_demand=<n>", then "<id> held=<n> limited=<0|1> left=<k>=<n>,...|-
 * [limit=...] [reserve=...]" per group.  Fills what it finds in @r.
 */
int qos_report_parse(const char *text, struct qos_report *r)
{
	const char *line = text;

	memset(r, 0, sizeof(*r));
	if (sscanf(text, "reserve_scale=%u reserve_demand=%u", &r->scale_pct,
		   &r->demand_pct) != 2)
		return -1;
	while ((line = strchr(line, '\n')) && r->n < MAX_GROUPS + 1) {
		struct qos_group_report *g = &r->g[r->n];
		const char *left;
		char *end;
		int k;

		line++;
		memset(g, 0, sizeof(*g));
		if (sscanf(line, "%lld held=%llu limited=%d", &g->id, &g->held, &g->limited) != 3)
			return -1;
		left = strstr(line, " left=");
		end = strchr(line, '\n');
		if (left && (!end || left < end)) {
			left += 6;
			while (*left && *left != ' ' && *left != '\n' && *left != '-') {
				const char *eq = strchr(left, '=');

				if (!eq)
					return -1;
				for (k = 0; k < IOB_NR_KEYS; k++)
					if ((size_t)(eq - left) == strlen(iob_key_name(k)) &&
					    !strncmp(left, iob_key_name(k), (size_t)(eq - left)))
						g->left[k] = strtoull(eq + 1, NULL, 10);
				left = eq + 1 + strspn(eq + 1, "0123456789");
				if (*left == ',')
					left++;
			}
		}
		r->n++;
	}
	return 0;
}
