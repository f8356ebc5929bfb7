// SPDX-License-Identifier: GPL-2.0
/*
 * iobandctl: what `apply` does to a device - create it, or send the
 * messages that change what differs and nothing else.  An empty plan
 * means the device is as configured.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "iobandctl.h"

static __printf(3, 4)
void add(struct plan *p, enum step_kind kind, const char *fmt, ...)
{
	va_list ap;

	if (p->n == p->cap) {
		int cap = p->cap ? 2 * p->cap : 64;
		struct step *s = p->n < MAX_STEPS ? realloc(p->s, cap * sizeof(*s)) : NULL;

		if (!s) {
			p->full = true;
			return;
		}
		p->s = s;
		p->cap = cap;
	}
	p->s[p->n].kind = kind;
	va_start(ap, fmt);
	vsnprintf(p->s[p->n].text, sizeof(p->s[p->n].text), fmt, ap);
	va_end(ap);
	p->n++;
}

const char *step_text(const struct plan *p, int i)
{
	return p->s[i].kind == STEP_CREATE ? p->create : p->s[i].text;
}

void plan_free(struct plan *p)
{
	free(p->s);
	free(p->create);
	memset(p, 0, sizeof(*p));
}

/*
 * A group's reservation and limit from @cur (NULL: none) to @want: each
 * message names every key, so it sets exactly what is wanted.  A lower
 * limit may not pass a reservation still in place: reservations that
 * change go to none first, then the limit, then the new reservations.
 */
void plan_qos(struct plan *p, long long id, const struct iob_qos *cur,
	      const struct iob_qos *want)
{
	static const struct iob_qos none;
	char spec[256], who[24] = "";
	bool res, lim;

	if (!cur)
		cur = &none;
	res = memcmp(cur->reserve, want->reserve, sizeof(want->reserve)) != 0;
	lim = memcmp(cur->limit, want->limit, sizeof(want->limit)) != 0 ||
	      cur->burst_ms != want->burst_ms;
	if (id != IOB_DEFAULT_GROUP_ID)
		snprintf(who, sizeof(who), "%lld", id);
	if (res && lim && memcmp(cur->reserve, none.reserve, sizeof(none.reserve))) {
		qos_spec_format(spec, sizeof(spec), &none, true, true);
		add(p, STEP_MESSAGE, "reserve %s:%s", who, spec);
	}
	if (lim) {
		qos_spec_format(spec, sizeof(spec), want, false, true);
		add(p, STEP_MESSAGE, "limit %s:%s", who, spec);
	}
	if (res) {
		qos_spec_format(spec, sizeof(spec), want, true, true);
		add(p, STEP_MESSAGE, "reserve %s:%s", who, spec);
	}
	if (cur->latency_us != want->latency_us)
		add(p, STEP_MESSAGE, "latency %s:%u", who, want->latency_us);
}

int plan_device(const struct ioband_conf *cur, const struct ioband_conf *want,
		struct plan *p, char *err, size_t len)
{
	bool retype;
	int i;

	p->n = 0;
	p->full = false;
	if (!cur) {
		if (!p->create && !(p->create = malloc(TABLE_LEN)))
			return errorf(err, len, "out of memory");
		if (table_format(want, p->create, TABLE_LEN))
			return errorf(err, len, "too many groups for one table line");
		add(p, STEP_CREATE, "table");
		return 0;
	}
	if (strcmp(cur->dev, want->dev))
		return errorf(err, len, "exists over device %s, not %s: remove it first", cur->dev, want->dev);
	if (strcmp(cur->devgroup, want->devgroup))
		return errorf(err, len, "is in device group %s, not %s: remove it first", cur->devgroup,
		     want->devgroup);

	retype = strcmp(cur->type, want->type) != 0;
	if (retype) {
		for (i = 0; i < cur->ngroups; i++)
			add(p, STEP_MESSAGE, "detach %lld", cur->groups[i].id);
		add(p, STEP_MESSAGE, "type %s", want->type);
	} else {
		for (i = 0; i < cur->ngroups; i++)
			if (!conf_group(want, cur->groups[i].id))
				add(p, STEP_MESSAGE, "detach %lld", cur->groups[i].id);
	}
	if (strcmp(cur->policy, want->policy))
		add(p, STEP_MESSAGE, "policy %s", want->policy);
	if (cur->token != want->token)
		add(p, STEP_MESSAGE, "token %u", want->token);
	if (cur->carryover != want->carryover)
		add(p, STEP_MESSAGE, "carryover %u", want->carryover);
	/* io_limit may not go below io_throttle: raise, then lower. */
	if (want->io_throttle > cur->io_throttle) {
		if (cur->io_limit != want->io_limit)
			add(p, STEP_MESSAGE, "io_limit %u", want->io_limit);
		add(p, STEP_MESSAGE, "io_throttle %u", want->io_throttle);
	} else {
		if (cur->io_throttle != want->io_throttle)
			add(p, STEP_MESSAGE, "io_throttle %u", want->io_throttle);
		if (cur->io_limit != want->io_limit)
			add(p, STEP_MESSAGE, "io_limit %u", want->io_limit);
	}
	if (cur->def_weight != want->def_weight)
		add(p, STEP_MESSAGE, "weight %u", want->def_weight);
	for (i = 0; i < want->ngroups; i++) {
		const struct group_w *w = &want->groups[i];
		const struct group_w *c = retype ? NULL : conf_group(cur, w->id);

		if (!c)
			add(p, STEP_MESSAGE, "attach %lld", w->id);
		if (!c || c->weight != w->weight)
			add(p, STEP_MESSAGE, "weight %lld:%u", w->id, w->weight);
		if ((c && c->children) != w->children)
			add(p, STEP_MESSAGE, "children %lld:%d", w->id, w->children);
		plan_qos(p, w->id, c ? &c->qos : NULL, &w->qos);
	}
	plan_qos(p, IOB_DEFAULT_GROUP_ID, &cur->def_qos, &want->def_qos);
	if (p->full)
		return errorf(err, len, "too many changes at once (or out of memory)");
	return 0;
}
