// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the ioband policy core: parsing and token arithmetic. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "ioband-args.h"
#include "ioband-inflight.h"
#include "ioband-latency.h"
#include "ioband-slots.h"
#include "ioband-tree.h"
#include "check.h"

/* The policy whose token base the rate tests see (1024..16384). */
static const struct iob_params P = { .policy = IOB_POLICY_WEIGHT_IOSIZE };

static void test_parse_u32(void)
{
	static const char *const bad[] = {
		"", "-1", "+1", " 1", "1 ", "0x10", "1e3", "12a", "4294967296",
		"99999999999999999999",
	};
	u32 v = 7;
	unsigned int i;

	CHECK(iob_parse_u32("0", 0, 10, &v) == 0 && v == 0, "v=%u", v);
	CHECK(iob_parse_u32("4294967295", 0, 0xffffffffU, &v) == 0 &&
	      v == 0xffffffffU, "v=%u", v);
	CHECK(iob_parse_u32("11", 0, 10, &v) == -ERANGE, "above max");
	/* a digit above a maximum below 9 (it once wrapped round) */
	CHECK(iob_parse_u32("2", 0, 1, &v) == -ERANGE && iob_parse_u32("1", 0, 1, &v) == 0 &&
	      iob_parse_u32("9", 0, 8, &v) == -ERANGE && iob_parse_u32("0", 0, 0, &v) == 0,
	      "small maxima");
	CHECK(iob_parse_u32("0", 1, 10, &v) == -ERANGE, "below min");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 7;
		CHECK(iob_parse_u32(bad[i], 0, 0xffffffffU, &v) != 0 && v == 7,
		      "'%s' accepted", bad[i]);
	}
	CHECK(iob_parse_u32(NULL, 0, 10, &v) == -EINVAL, "NULL");
}

static void test_names(void)
{
	enum iob_type t;
	enum iob_policy p;

	CHECK(iob_parse_type("user", &t) == 0 && t == IOB_TYPE_UID, "user");
	CHECK(iob_parse_type("cgroup", &t) == 0 && t == IOB_TYPE_CGROUP, "cgroup");
	CHECK(iob_parse_type("pgrp", &t) == 0 && t == IOB_TYPE_PGRP, "pgrp");
	CHECK(iob_parse_type("node", &t) == -EOPNOTSUPP, "node");
	CHECK(iob_parse_type("cpuset", &t) == -EOPNOTSUPP, "cpuset");
	CHECK(iob_parse_type("uidd", &t) == -EINVAL, "uidd");
	CHECK(iob_parse_type("", &t) == -EINVAL, "empty");
	for (t = IOB_TYPE_NONE; t <= IOB_TYPE_PGRP; t++) {
		enum iob_type back;

		CHECK(iob_parse_type(iob_type_name(t), &back) == 0 && back == t,
		      "round trip %d", t);
	}
	CHECK(iob_parse_policy("default", &p) == 0 && p == IOB_POLICY_WEIGHT, "default");
	CHECK(iob_parse_policy("weight-iosize", &p) == 0 &&
	      p == IOB_POLICY_WEIGHT_IOSIZE, "iosize");
	CHECK(iob_parse_policy("range-bw", &p) == -EINVAL, "range-bw");
	CHECK(strcmp(iob_policy_name(IOB_POLICY_WEIGHT_IOSIZE), "weight-iosize") == 0,
	      "name");
}

static void test_group_args(void)
{
	s64 id = 5;
	u32 w = 5;

	CHECK(iob_parse_group_id(IOB_TYPE_UID, "1000", &id) == 0 && id == 1000, "uid");
	CHECK(iob_parse_group_id(IOB_TYPE_UID, "4294967295", &id) == -ERANGE, "uid -1");
	CHECK(iob_parse_group_id(IOB_TYPE_CGROUP, "0", &id) == -ERANGE, "cgroup 0");
	CHECK(iob_parse_group_id(IOB_TYPE_CGROUP, "9223372036854775807", &id) == 0,
	      "cgroup max");
	CHECK(iob_parse_group_id(IOB_TYPE_CGROUP, "9223372036854775808", &id) == -ERANGE,
	      "cgroup overflow");
	CHECK(iob_parse_group_id(IOB_TYPE_NONE, "1", &id) == -EPERM, "type none");
	CHECK(iob_parse_group_id(IOB_TYPE_PID, "-1", &id) == -EINVAL, "negative");

	CHECK(iob_parse_weight_arg(IOB_TYPE_UID, ":40", &id, &w) == 0 &&
	      id == IOB_DEFAULT_GROUP_ID && w == 40, "default");
	CHECK(iob_parse_weight_arg(IOB_TYPE_UID, "40", &id, &w) == 0 &&
	      id == IOB_DEFAULT_GROUP_ID && w == 40, "bare weight");
	CHECK(iob_parse_weight_arg(IOB_TYPE_UID, "1000:300", &id, &w) == 0 &&
	      id == 1000 && w == 300, "id:w");
	CHECK(iob_parse_weight_arg(IOB_TYPE_UID, "1000:0", &id, &w) != 0, "w 0");
	CHECK(iob_parse_weight_arg(IOB_TYPE_UID, "1000:10001", &id, &w) != 0, "w max");
	CHECK(iob_parse_weight_arg(IOB_TYPE_UID, "1:2:3", &id, &w) != 0, "two colons");
	CHECK(iob_parse_weight_arg(IOB_TYPE_UID, ":", &id, &w) != 0, "colon");
	CHECK(iob_parse_weight_arg(IOB_TYPE_UID, "1000:", &id, &w) != 0, "no w");
	CHECK(iob_parse_weight_arg(IOB_TYPE_UID, "x:1", &id, &w) != 0, "bad id");
	CHECK(iob_parse_weight_arg(IOB_TYPE_NONE, "1:1", &id, &w) == -EPERM, "none");
	CHECK(iob_parse_weight_arg(IOB_TYPE_CGROUP,
				   "123456789012345678901234567890123:1", &id, &w) != 0,
	      "long id");
}

static void test_tokens(void)
{
	struct iob_params p = { .policy = IOB_POLICY_WEIGHT };
	struct iob_bucket b = { .tokens = 0, .share = 100, .epoch = 0 };


	struct iob_clock c = { .rate = 0 };

	CHECK(iob_token_base(&p, NULL) == 256, "weight base, no rate yet");
	c.rate = (500ULL << 30) / 1000000000ULL;	/* 500 per s */
	CHECK(iob_token_base(&p, &c) == 128, "slow device: floor %u", iob_token_base(&p, &c));
	c.rate = (10000000ULL << 30) / 1000000000ULL;	/* 10M per s */
	CHECK(iob_token_base(&p, &c) == 2048, "fast device: cap");
	c.rate = (5000ULL << 30) / 1000000000ULL;	/* 5000 per s */
	CHECK(iob_token_base(&p, &c) >= 900 && iob_token_base(&p, &c) <= 1000,
	      "200 ms of I/O: %u", iob_token_base(&p, &c));
	p.policy = IOB_POLICY_WEIGHT_IOSIZE;
	CHECK(iob_token_base(&p, NULL) == 2048, "iosize base");
	p.token = 77;
	CHECK(iob_token_base(&p, &c) == 77, "explicit base");
	CHECK(iob_io_throttle(&p) == IOB_DEFAULT_IO_THROTTLE, "io_throttle default");

	CHECK(iob_share(2048, 100, 400) == 512, "share");
	CHECK(iob_share(2048, 1, 100000) == 1, "share floor is 1");
	CHECK(iob_share(2048, 100, 0) == 2048, "no weights");

	iob_refill(&b, 1, 2);
	CHECK(b.tokens == 100 && b.epoch == 1, "refill %lld", (long long)b.tokens);
	iob_refill(&b, 1, 2);
	CHECK(b.tokens == 100, "same epoch: no refill");
	iob_refill(&b, 50, 2);
	CHECK(b.tokens == 300, "carryover cap %lld", (long long)b.tokens);
	b.tokens = -150;
	iob_refill(&b, 51, 2);
	CHECK(b.tokens == -50, "debt is carried %lld", (long long)b.tokens);
	iob_refill(&b, 52, 0);
	CHECK(b.tokens == 50, "carryover 0 %lld", (long long)b.tokens);
	iob_refill(&b, 53, 0);
	CHECK(b.tokens == 100, "carryover 0 caps at one share");

	/* a share of 11.4 tokens: 11, 11, 12, 11, 12; 1140 in a hundred */
	{
		static const s64 first[] = { 11, 11, 12, 11, 12 };
		struct iob_bucket f = { .tokens = 0 };
		s64 given = 0;
		bool each = true;
		u64 e;

		iob_set_share(&f, 500, 22800);	/* 500 * 2.28% = 11.4 */
		CHECK(f.share == 11 && f.frac == 400000, "share %lld + %u millionths",
		      (long long)f.share, f.frac);
		for (e = 1; e <= 100; e++) {
			iob_refill(&f, e, 2);
			if (e <= 5 && f.tokens != first[e - 1])
				each = false;
			if (f.tokens != 11 && f.tokens != 12)
				each = false;
			given += f.tokens;
			f.tokens = 0;
		}
		CHECK(each, "every epoch 11 or 12 tokens, the first five 11, 11, 12, 11, 12");
		CHECK(given == 1140, "a hundred epochs: %lld (want 1140)", (long long)given);
		/* an idle bucket keeps three epochs of 12.9: 38.7, so 38 */
		iob_set_share(&f, 500, 25800);
		f.tokens = 0;
		f.frac_sum = 0;
		f.epoch = 0;
		iob_refill(&f, 1, 2);
		iob_refill(&f, 2, 2);
		iob_refill(&f, 3, 2);
		CHECK(f.tokens == 38, "carryover 2 of 12.9: %lld (want 38)", (long long)f.tokens);
		/* a resume gives the share's millionths too */
		f.tokens = 0;
		f.frac_sum = 600000;
		iob_resume_bucket(&f, 4);
		CHECK(f.tokens == 13 && f.frac_sum == 500000, "resume: %lld, %u",
		      (long long)f.tokens, f.frac_sum);
		iob_set_share(&f, 128, 100);	/* 0.0128 tokens */
		CHECK(f.share == 1 && f.frac == 0, "at least one token an epoch");
		iob_set_share(&f, 400, 1000000);
		CHECK(f.share == 400 && f.frac == 0, "a whole share");
		f.frac = 500000;
		f.frac_sum = 0;
		f.tokens = 0;
		iob_refill(&f, 200, 0);
		CHECK(f.tokens == 400, "400.5: 400 first %lld", (long long)f.tokens);
		iob_refill(&f, 201, 0);
		CHECK(f.tokens == 401, "carryover 0 keeps the share's odd token: %lld",
		      (long long)f.tokens);
		/* 256 tokens kept from a share of 256; now 6.9: the refill caps */
		f.tokens = 256;
		iob_set_share(&f, 256, 27027);
		CHECK(f.share == 6 && f.tokens == 256, "a new share keeps the tokens");
		iob_refill(&f, 202, 2);
		CHECK(f.tokens == 21, "the next refill caps them: %lld (want 21)",
		      (long long)f.tokens);
	}

	CHECK(iob_cost(IOB_POLICY_WEIGHT, 128, true) == 1, "weight cost");
	CHECK(iob_cost(IOB_POLICY_WEIGHT_IOSIZE, 128, true) == 128, "iosize cost");
	CHECK(iob_cost(IOB_POLICY_WEIGHT_IOSIZE, 1 << 21, false) == 8, "discard cost");
	CHECK(iob_cost(IOB_POLICY_WEIGHT_IOSIZE, 0, true) == 1, "zero sectors");

	b.tokens = 1;
	CHECK(iob_charge(&b, 1) && b.tokens == 0, "charge to zero");
	CHECK(!iob_charge(&b, 1) && b.tokens == -1, "charge into debt");
	CHECK(!iob_may_take(&b, false), "no tokens");
	CHECK(iob_may_take(&b, true), "quiet bypass");
	b.tokens = -50;
	CHECK(!iob_may_take(&b, true), "bypass debt limit");
}

static void test_rounds(void)
{
	struct iob_bucket busy = { .tokens = 500, .share = 1000 };
	struct iob_bucket broke = { .tokens = -1, .share = 1000 };
	struct iob_gstate gs = { .bucket = &busy, .inflight = 4 };
	struct iob_gstate gw = { .bucket = &broke, .held = 3 };
	u64 until = 0, retry = 0, now = 1000000000ULL;
	struct iob_clock c = { .start_ns = now - 100000000ULL };
	struct iob_round r;

	CHECK(iob_classify(&gw, now, false, &until) == IOB_WAITING, "waiting");
	CHECK(iob_classify(&gw, now, true, &until) == IOB_READY, "bypass ready");
	CHECK(iob_classify(&gs, now, false, &until) == IOB_BUSY, "in flight busy");
	gs.inflight = 0;
	gs.last_active_ns = now - IOB_IDLE_WINDOW_NS / 2;
	CHECK(iob_classify(&gs, now, false, &until) == IOB_BUSY &&
	      until == gs.last_active_ns + IOB_IDLE_WINDOW_NS, "recent busy");
	gs.last_active_ns = now + 5;
	CHECK(iob_classify(&gs, now, false, &until) == IOB_BUSY, "clock skew");
	gs.last_active_ns = now - IOB_IDLE_WINDOW_NS;
	CHECK(iob_classify(&gs, now, false, &until) == IOB_IDLE, "idle");
	busy.tokens = 0;
	gs.inflight = 3;
	CHECK(iob_classify(&gs, now, false, &until) == IOB_IDLE, "no tokens: idle");
	CHECK(iob_used_since(&gs, now), "in flight: used");
	gs.inflight = 0;
	CHECK(!iob_used_since(&gs, now), "idle since before: unused");
	CHECK(iob_used_since(&gs, gs.last_active_ns), "active at the start: used");

	iob_round_init(&r);
	iob_round_add(&r, IOB_WAITING, 0, 0);
	CHECK(iob_round_verdict(&r, &P, now, &c, &retry) == IOB_ADVANCE,
	      "nobody busy: advance");
	/*
	 * An epoch of 100 ms that completed 1000 tokens sets the rate.  The
	 * kernel measures without moving the epoch (it publishes the number
	 * after the next epoch's shares); the simulator advances.
	 */
	{
		struct iob_clock m = c;

		iob_clock_measure(&m, &P, now, 1000);
		iob_clock_advance(&c, &P, now, 1000);
		CHECK(m.epoch == 0 && m.rate == c.rate && m.start_ns == now,
		      "measure leaves epoch %llu", (unsigned long long)m.epoch);
	}
	CHECK(c.epoch == 1 && c.start_ns == now && c.rate == (1000ULL << 30) / 100000000ULL,
	      "rate %llu", (unsigned long long)c.rate);

	iob_round_add(&r, IOB_BUSY, 1000, now + 1000);
	CHECK(iob_round_verdict(&r, &P, now, &c, &retry) == IOB_WAIT &&
	      c.wait_ns == now && retry == now + 1000, "wait, retry %llu",
	      (unsigned long long)(retry - now));
	/* 20 ms later 150 more tokens completed: the device is busy. */
	iob_round_init(&r);
	iob_round_add(&r, IOB_WAITING, 0, 0);
	iob_round_add(&r, IOB_BUSY, 1150, ~0ULL);
	CHECK(iob_round_verdict(&r, &P, now + 20000000ULL, &c, &retry) == IOB_WAIT,
	      "device busy: keep waiting");
	/* 40 ms in, only 80, but the busy group has bios in the device. */
	iob_round_init(&r);
	iob_round_add(&r, IOB_WAITING, 0, 0);
	iob_round_add(&r, IOB_BUSY, 1080, ~0ULL);
	CHECK(iob_round_verdict(&r, &P, now + 40000000ULL, &c, &retry) == IOB_WAIT,
	      "slow completions: keep waiting");
	/* Nothing in flight: the busy group trickles; stop waiting. */
	iob_round_init(&r);
	iob_round_add(&r, IOB_WAITING, 0, 0);
	iob_round_add(&r, IOB_BUSY, 1080, now + 40000001ULL);
	CHECK(iob_round_verdict(&r, &P, now + 40000000ULL, &c, &retry) == IOB_ADVANCE,
	      "device idles: advance");
	iob_round_add(&r, IOB_READY, 0, 0);
	CHECK(iob_round_verdict(&r, &P, now, &c, &retry) == IOB_DISPATCH, "ready");
	iob_round_init(&r);
	iob_round_add(&r, IOB_BUSY, 0, 0);
	CHECK(iob_round_verdict(&r, &P, now, &c, &retry) == IOB_NOTHING && !c.wait_ns,
	      "nothing");
	/* The hard cap holds even while the device is busy. */
	iob_round_init(&r);
	iob_round_add(&r, IOB_WAITING, 0, 0);
	iob_round_add(&r, IOB_BUSY, 0, ~0ULL);
	CHECK(iob_round_verdict(&r, &P, now, &c, &retry) == IOB_WAIT, "wait again");
	iob_round_init(&r);
	iob_round_add(&r, IOB_WAITING, 0, 0);
	iob_round_add(&r, IOB_BUSY, 1ULL << 30, ~0ULL);
	CHECK(iob_round_verdict(&r, &P, now + IOB_MAX_WAIT_NS, &c, &retry) == IOB_ADVANCE,
	      "cap");
}

/* The device's rate: over a span long enough to mean something. */
static void test_rate(void)
{
	const u64 ms = 1000000ULL, t0 = 5000 * ms;
	const u64 per100 = (1000ULL << 30) / (100 * ms);	/* 1000 per 100 ms */
	struct iob_clock c = { .start_ns = t0 };
	struct iob_round r;
	u64 retry;

	iob_clock_advance(&c, &P, t0 + 100 * ms, 1000);
	CHECK(c.rate == per100, "first epoch sets the rate: %llu", (unsigned long long)c.rate);

	/*
	 * A tick's worth (400 of a 2000 base) completes 2 ms into the epoch,
	 * then everyone waits for a slow group; 120 ms in, 1200 have
	 * completed.  The 2 ms say nothing (that would be 200000 per s): the
	 * whole epoch does.
	 */
	iob_round_init(&r);
	iob_round_add(&r, IOB_WAITING, 0, 0);
	iob_round_add(&r, IOB_BUSY, 1000 + 400, ~0ULL);
	CHECK(iob_round_verdict(&r, &P, t0 + 102 * ms, &c, &retry) == IOB_WAIT, "wait");
	CHECK(c.wait_rate == per100, "a 2 ms start is judged by the last rate: %llu",
	      (unsigned long long)c.wait_rate);
	iob_clock_advance(&c, &P, t0 + 220 * ms, 1000 + 1200);
	CHECK(c.rate == (1200ULL << 30) / (120 * ms), "whole epoch: %llu",
	      (unsigned long long)c.rate);
	CHECK(iob_token_base(&P, &c) >= 1999 && iob_token_base(&P, &c) <= 2000,
	      "base %u", iob_token_base(&P, &c));

	/* 50 ms of everyone busy before a wait: that part sets the rate. */
	iob_round_init(&r);
	iob_round_add(&r, IOB_WAITING, 0, 0);
	iob_round_add(&r, IOB_BUSY, 2200 + 600, ~0ULL);
	CHECK(iob_round_verdict(&r, &P, t0 + 270 * ms, &c, &retry) == IOB_WAIT, "wait 2");
	CHECK(c.wait_rate == (600ULL << 30) / (50 * ms), "wait rate %llu",
	      (unsigned long long)c.wait_rate);
	iob_clock_advance(&c, &P, t0 + 400 * ms, 2200 + 700);
	CHECK(c.rate == (600ULL << 30) / (50 * ms), "pre-wait rate %llu",
	      (unsigned long long)c.rate);

	/* A 3 ms epoch with a burst of 3000: at most double the last rate. */
	retry = c.rate;
	iob_clock_advance(&c, &P, t0 + 403 * ms, 2900 + 3000);
	CHECK(c.rate == 2 * retry, "burst capped: %llu, was %llu",
	      (unsigned long long)c.rate, (unsigned long long)retry);
	/* Under a millisecond: not measured at all. */
	retry = c.rate;
	iob_clock_advance(&c, &P, t0 + 403 * ms + 500000, 5900 + 10);
	CHECK(c.rate == retry && c.epoch == 5, "0.5 ms epoch: rate kept");
}


/* Split @line into @argv (modified in place); returns argc. */
static unsigned int split(char *line, char **argv, unsigned int max)
{
	unsigned int n = 0;
	char *tok;

	for (tok = strtok(line, " "); tok && n < max; tok = strtok(NULL, " "))
		argv[n++] = tok;
	return n;
}

static int parse_line(const char *line, struct iob_table *t, const char **err)
{
	static char buf[512];
	char *argv[32];

	strcpy(buf, line);
	return iob_parse_table(split(buf, argv, 32), argv, t, err);
}

static void test_table(void)
{
	struct iob_group_arg ga[32], gb[32];
	struct iob_table t = { .groups = ga }, u = { .groups = gb };
	static const struct { const char *line, *err; } bad[] = {
		{ "g 0 0 none weight", "Not enough arguments" },
		{ "0123456789012345678901234567890123 0 0 none weight 0", "device-group id" },
		{ "g x 0 none weight 0", "Invalid io_throttle" },
		{ "g 8 2 none weight 0", "smaller than io_throttle" },
		{ "g 0 0 node weight 0", "not supported" },
		{ "g 0 0 uid weight 0 carryover=65", "Invalid carryover" },
		{ "g 0 0 uid weight 0 carryover=1 carryover=2", "carryover given twice" },
		{ "g 0 0 uid weight 0 carryover=", "Invalid carryover" },
		{ "g 0 0 uid weight 0 :1 :2", "Default weight given twice" },
		{ "g 0 0 uid weight 0 5:1 5:2", "Group id given twice" },
		{ "g 0 0 none weight 0 5:1", "takes no groups" },
		{ "g 0 0 uid weight 0 100", "Invalid group argument" },
		{ "g 0 0 uid weight 0 5:1 limit=6:bps=1", "does not attach" },
		{ "g 0 0 uid weight 0 5:1 limit=5:bps=1 limit=5:bps=2", "given twice" },
		{ "g 0 0 uid weight 0 5:1 limit=5:bps=10 reserve=5:bps=11", "above a limit" },
		{ "g 0 0 uid weight 0 5:1 limit=5:bogus=1", "Invalid limit= or reserve=" },
		{ "g 0 0 uid weight 0 5:1 reserve=5:burst=1", "Invalid limit= or reserve=" },
		{ "g 0 0 uid range-bw 0 :0:0 2:500:100", "Invalid range-bw" },
		{ "g 0 0 uid range-bw 0 :0:0 2:100", "Invalid range-bw" },
		{ "g 0 0 none range-bw 0 :0:0 2:100:500", "takes no groups" },
	};
	const char *err = NULL;
	char out[512];
	unsigned int i;

	CHECK(parse_line("g7 0 0 uid weight 0 :100 1001:200", &t, &err) == 0, "%s", err);
	CHECK(t.params.carryover == IOB_DEFAULT_CARRYOVER && t.ngroups == 1 &&
	      ga[0].id == 1001 && ga[0].weight == 200 && t.def_weight == 100, "parsed");
	CHECK(iob_format_table(&t, out, sizeof(out)) == 0 &&
	      !strcmp(out, "g7 0 0 uid weight 0 :100 1001:200"), "'%s'", out);
	/* carryover anywhere in the tail, printed after the token base */
	CHECK(parse_line("g7 4 8 cgroup weight-iosize 64 5:7 carryover=5 :50", &t, &err) == 0, "%s", err);
	CHECK(iob_format_table(&t, out, sizeof(out)) == 0 &&
	      !strcmp(out, "g7 4 8 cgroup weight-iosize 64 carryover=5 :50 5:7"), "'%s'", out);
	CHECK(parse_line(out, &u, &err) == 0 && !memcmp(&t.params, &u.params, sizeof(t.params)) &&
	      u.ngroups == 1 && gb[0].id == 5 && u.def_weight == 50, "round trip");
	CHECK(iob_format_table(&t, out, 20) == -1, "short buffer");
	/* limits and reservations, anywhere in the tail, printed last */
	CHECK(parse_line("g7 0 0 uid weight-iosize 0 reserve=5:bps=100 :100 limit=:iops=9 5:7 limit=5:wbps=800,burst=50",
			 &t, &err) == 0, "%s", err);
	CHECK(iob_format_table(&t, out, sizeof(out)) == 0 &&
	      !strcmp(out, "g7 0 0 uid weight-iosize 0 :100 5:7 limit=5:wbps=800,burst=50 reserve=5:bps=100 limit=:iops=9"),
	      "'%s'", out);
	CHECK(parse_line(out, &u, &err) == 0 && !memcmp(&gb[0].qos, &ga[0].qos, sizeof(ga[0].qos)) &&
	      !memcmp(&u.def_qos, &t.def_qos, sizeof(t.def_qos)), "round trip with qos");
	/* dm-ioband's range-bw line (range-bw.txt): KB/s, printed as ioband's */
	CHECK(parse_line("1 4 128 cgroup range-bw 16384 :0:0 2:100:500 3:700:1000 4:30000:35000",
			 &t, &err) == 0, "%s", err);
	CHECK(iob_format_table(&t, out, sizeof(out)) == 0 &&
	      !strcmp(out, "1 4 128 cgroup weight-iosize 0 :100 2:100 3:100 4:100 limit=2:bps=500000 reserve=2:bps=100000 limit=3:bps=1000000 reserve=3:bps=700000 limit=4:bps=35000000 reserve=4:bps=30000000"),
	      "'%s'", out);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		err = "";
		CHECK(parse_line(bad[i].line, &t, &err) == -EINVAL && strstr(err, bad[i].err),
		      "'%s': '%s'", bad[i].line, err);
	}
}

static void test_param(void)
{
	struct iob_params p = { .carryover = 2 }, before;
	char err[128];

	CHECK(iob_parse_param("carryover", "5", &p, err, sizeof(err)) == 0 && p.carryover == 5, "carryover");
	CHECK(iob_parse_param("token", "1073741824", &p, err, sizeof(err)) == 0 && p.token == 1U << 30, "token");
	CHECK(iob_parse_param("policy", "default", &p, err, sizeof(err)) == 0 &&
	      p.policy == IOB_POLICY_WEIGHT, "policy");
	CHECK(iob_parse_param("io_throttle", "8", &p, err, sizeof(err)) == 0 && p.io_throttle == 8, "throttle");
	before = p;
	CHECK(iob_parse_param("io_limit", "4", &p, err, sizeof(err)) == -EINVAL &&
	      strstr(err, "below io_throttle 8"), "%s", err);
	CHECK(iob_parse_param("carryover", "65", &p, err, sizeof(err)) == -EINVAL &&
	      strstr(err, "expected 0 to 64"), "%s", err);
	CHECK(iob_parse_param("policy", "fifo", &p, err, sizeof(err)) == -EINVAL &&
	      strstr(err, "unknown policy"), "%s", err);
	CHECK(iob_parse_param("speed", "1", &p, err, sizeof(err)) == -EINVAL &&
	      strstr(err, "unknown parameter"), "%s", err);
	CHECK(!memcmp(&p, &before, sizeof(p)), "refused changes nothing");
}

/* Debts, old epochs and think time: the things a review found. */
static void test_bucket_edges(void)
{
	struct iob_bucket b = { .tokens = 10, .share = 100, .epoch = 5 };
	u64 think = 0;
	int i;

	/* an epoch read before the last refill adds nothing */
	iob_refill(&b, 4, 2);
	CHECK(b.tokens == 10 && b.epoch == 5, "tokens %lld epoch %llu",
	      (long long)b.tokens, (unsigned long long)b.epoch);
	/* urgent bios: debt bounded by one share */
	for (i = 0; i < 1000; i++)
		iob_charge_urgent(&b, 8);
	CHECK(b.tokens == -100, "tokens %lld", (long long)b.tokens);
	/* a resume keeps the debt */
	iob_resume_bucket(&b, 9);
	CHECK(b.tokens == 0 && b.epoch == 9, "tokens %lld", (long long)b.tokens);
	b.tokens = 250;
	iob_resume_bucket(&b, 10);
	CHECK(b.tokens == 100, "tokens %lld", (long long)b.tokens);

	/* think time: a 200 IOPS reader thinks, a backlogged one does not */
	for (i = 1; i <= 50; i++)
		iob_think(&think, true, i * 5000000ULL, i * 5000000ULL - 4900000ULL);
	CHECK(think > IOB_THINK_NS && think <= 4900000, "reader %llu", (unsigned long long)think);
	for (i = 0; i < 40; i++)
		iob_think(&think, false, 0, 0);
	CHECK(think < IOB_THINK_NS / 4, "backlogged %llu", (unsigned long long)think);
	/*
	 * Thinking against time in the device: a 200 IOPS reader whose reads
	 * take 4 ms thinks 1 ms, and is light; a reader that thinks 1 ms
	 * between 10 ms reads is paced by its device; one that thinks 0.1 ms
	 * submits back to back, however fast its device.
	 */
	{
		struct iob_gstate g = { .think_ns = 1000000, .svc_ns = 4000000 };

		CHECK(iob_thinks(&g), "paced reader, think 1 ms, svc 4 ms");
		g.svc_ns = 10000000;
		CHECK(!iob_thinks(&g), "think 1 ms, svc 10 ms");
		g.think_ns = 100000;
		g.svc_ns = 60000;
		CHECK(!iob_thinks(&g), "back to back, think 0.1 ms, svc 0.06 ms");
		g.think_ns = IOB_THINK_NS + 1;
		g.svc_ns = 100 * IOB_THINK_NS;
		CHECK(iob_thinks(&g), "think over IOB_THINK_NS");
		for (i = 0; i < 64; i++)
			iob_svc(&g.svc_ns, 1000000);
		CHECK(g.svc_ns > 990000 && g.svc_ns < 1050000, "svc mean %llu",
		      (unsigned long long)g.svc_ns);
	}
	/* one long pause of a backlogged group is soon forgotten */
	iob_think(&think, true, 10000000000ULL, 1000000ULL);
	CHECK(think <= IOB_THINK_CAP_NS / 8 + IOB_THINK_NS / 4 && think < IOB_THINK_NS,
	      "after a pause %llu", (unsigned long long)think);
	/* a first bio is no sample */
	think = 0;
	iob_think(&think, true, 123456789ULL, 0);
	CHECK(think == 0, "first %llu", (unsigned long long)think);
}

/* limit and reserve arguments: what parses, and what is refused and why */
static void test_qos_args(void)
{
	static const struct { bool reserve; const char *arg, *err; } bad[] = {
		{ false, "5:", "expected <key>=<n>" },
		{ false, "5:bps", "expected <key>=<n>" },
		{ false, "5:bps=", "expected 0 to" },
		{ false, "5:bps=-1", "expected 0 to" },
		{ false, "5:bps=1x", "expected 0 to" },
		{ false, "5:bps=1099511627777", "expected 0 to" },
		{ false, "5:bps=99999999999999999999999999", "expected 0 to" },
		{ false, "5:xbps=1", "unknown key" },
		{ false, "5:BPS=1", "unknown key" },
		{ false, "5:bps=1,bps=2", "given twice" },
		{ false, "5:bps=1,", "trailing comma" },
		{ false, "5:bps=1,,iops=2", "expected <key>=<n>" },
		{ false, "5:burst=60001", "expected 0 to 60000" },
		{ true, "5:burst=10", "unknown key" },
		{ false, "x:bps=1", "invalid group id" },
		{ false, "5:6:bps=1", "unknown key" },
		{ false, "", "expected <key>=<n>" },
		{ false, ":", "expected <key>=<n>" },
	};
	struct iob_qos_arg a;
	struct iob_qos q = { 0 }, before;
	char err[160];
	unsigned int i;

	CHECK(iob_parse_qos_arg(IOB_TYPE_CGROUP, false, "5:wbps=8388608,riops=500,burst=50",
				&a, err, sizeof(err)) == 0, "%s", err);
	CHECK(a.id == 5 && a.val[IOB_WBPS] == 8388608 && a.val[IOB_RIOPS] == 500 &&
	      a.burst_ms == 50 && a.set == ((1U << IOB_WBPS) | (1U << IOB_RIOPS) | IOB_QOS_BURST_BIT),
	      "parsed %lld %x", (long long)a.id, a.set);
	CHECK(iob_parse_qos_arg(IOB_TYPE_UID, true, "bps=1", &a, err, sizeof(err)) == 0 &&
	      a.id == IOB_DEFAULT_GROUP_ID && a.reserve, "bare spec names the default group");
	CHECK(iob_parse_qos_arg(IOB_TYPE_UID, true, ":bps=1", &a, err, sizeof(err)) == 0 &&
	      a.id == IOB_DEFAULT_GROUP_ID, ":spec names the default group");
	CHECK(iob_parse_qos_arg(IOB_TYPE_NONE, false, "5:bps=1", &a, err, sizeof(err)) == -EINVAL &&
	      strstr(err, "type none"), "%s", err);
	CHECK(iob_parse_qos_arg(IOB_TYPE_NONE, false, "bps=1", &a, err, sizeof(err)) == 0,
	      "type none: the default group");
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = '\0';
		CHECK(iob_parse_qos_arg(IOB_TYPE_UID, bad[i].reserve, bad[i].arg, &a, err,
					sizeof(err)) == -EINVAL && strstr(err, bad[i].err),
		      "'%s': '%s'", bad[i].arg, err);
	}

	/* reservations above a limit that bounds them are refused, unchanged */
	iob_parse_qos_arg(IOB_TYPE_UID, false, "bps=1000,rbps=600", &a, err, sizeof(err));
	CHECK(iob_apply_qos_arg(&q, &a, err, sizeof(err)) == 0, "%s", err);
	before = q;
	{
		static const char *const over[] = {
			"bps=1001", "rbps=601", "wbps=1001", "rbps=500,wbps=501",
		};

		for (i = 0; i < ARRAY_SIZE(over); i++) {
			iob_parse_qos_arg(IOB_TYPE_UID, true, over[i], &a, err, sizeof(err));
			err[0] = '\0';
			CHECK(iob_apply_qos_arg(&q, &a, err, sizeof(err)) == -EINVAL &&
			      strstr(err, "above") && !memcmp(&q, &before, sizeof(q)),
			      "'%s': '%s'", over[i], err);
		}
	}
	iob_parse_qos_arg(IOB_TYPE_UID, true, "rbps=600,wbps=400", &a, err, sizeof(err));
	CHECK(iob_apply_qos_arg(&q, &a, err, sizeof(err)) == 0, "at the limits: %s", err);
	/* 0 removes a key; then the limit may go below the old reservation */
	iob_parse_qos_arg(IOB_TYPE_UID, true, "rbps=0,wbps=0", &a, err, sizeof(err));
	CHECK(iob_apply_qos_arg(&q, &a, err, sizeof(err)) == 0 && !q.reserve[IOB_RBPS],
	      "removed");
	iob_parse_qos_arg(IOB_TYPE_UID, false, "riops=10,wiops=10", &a, err, sizeof(err));
	iob_apply_qos_arg(&q, &a, err, sizeof(err));
	iob_parse_qos_arg(IOB_TYPE_UID, true, "iops=21", &a, err, sizeof(err));
	CHECK(iob_apply_qos_arg(&q, &a, err, sizeof(err)) == -EINVAL &&
	      strstr(err, "above limits riops+wiops"), "'%s'", err);

	/* dm-ioband's range-bw, in KB/s */
	{
		struct iob_qos r = { 0 };
		s64 id;

		CHECK(iob_parse_range_bw(IOB_TYPE_CGROUP, "2:100:500", &id, &r, err, sizeof(err)) == 0 &&
		      id == 2 && r.reserve[IOB_BPS] == 100000 && r.limit[IOB_BPS] == 500000,
		      "%s", err);
		CHECK(iob_parse_range_bw(IOB_TYPE_CGROUP, "-1:0:0", &id, &r, err, sizeof(err)) == 0 &&
		      id == IOB_DEFAULT_GROUP_ID && !r.reserve[IOB_BPS] && !r.limit[IOB_BPS],
		      "-1 is the default group");
		CHECK(iob_parse_range_bw(IOB_TYPE_CGROUP, ":300:0", &id, &r, err, sizeof(err)) == 0 &&
		      id == IOB_DEFAULT_GROUP_ID && r.reserve[IOB_BPS] == 300000, "min only");
		CHECK(iob_parse_range_bw(IOB_TYPE_CGROUP, "2:500:100", &id, &r, err, sizeof(err)) == -EINVAL &&
		      strstr(err, "above max-bw"), "'%s'", err);
		CHECK(iob_parse_range_bw(IOB_TYPE_CGROUP, "2:100", &id, &r, err, sizeof(err)) == -EINVAL &&
		      strstr(err, "expected <id>:<min-bw>:<max-bw>"), "'%s'", err);
		CHECK(iob_parse_range_bw(IOB_TYPE_CGROUP, "100:500", &id, &r, err, sizeof(err)) == -EINVAL,
		      "two fields");
	}
}

/* limit buckets: exact over long windows, a burst after idling, bound */
static void test_qos_buckets(void)
{
	struct iob_qos q = { .limit = { [IOB_WBPS] = 8000000, [IOB_RIOPS] = 500 } };
	struct iob_qos_state st = { 0 };
	u64 now = 5000000000ULL, sent = 0, t;
	unsigned int n = 0;

	iob_qos_set(&st, &q, now);
	CHECK(st.has_limit && !st.has_reserve, "flags");
	CHECK(st.depth_ns[IOB_WBPS] == 131072000ULL, "depth: one 1 MiB bio (%llu)",
	      (unsigned long long)st.depth_ns[IOB_WBPS]);
	CHECK(iob_qos_limit_at(&st, 0) == 0 && iob_qos_limit_at(&st, 1) == 0, "full");
	/* a writer sends 64k whenever allowed, for 10 s: burst + rate x 10 s */
	for (t = now; t < now + 10000000000ULL; t += 100000) {
		while (iob_qos_limit_at(&st, 1) <= t) {
			iob_qos_charge(&st, 1, 65536, t, false);
			sent += 65536;
		}
	}
	CHECK(sent >= 80000000 && sent <= 80000000 + 1048576 + 65536,
	      "10 s at 8 MB/s sent %llu", (unsigned long long)sent);
	CHECK(iob_qos_limit_bound(&st, t), "bound while at the rate");
	CHECK(iob_qos_limit_at(&st, 0) == 0, "reads are not held by wbps");
	/* idle for a second: the bucket is full again, not fuller */
	t += 1000000000ULL;
	CHECK(!iob_qos_limit_bound(&st, t), "idle: not bound");
	CHECK(iob_qos_burst_left(&st, IOB_WBPS, t) == 1048576, "left %llu",
	      (unsigned long long)iob_qos_burst_left(&st, IOB_WBPS, t));
	for (sent = 0; iob_qos_limit_at(&st, 1) <= t; sent += 65536)
		iob_qos_charge(&st, 1, 65536, t, false);
	CHECK(sent == 1048576 + 65536, "burst %llu", (unsigned long long)sent);
	/* 500 IOPS on reads, 4k, over 2 s */
	for (t = now; t < now + 2000000000ULL; t += 50000)
		while (iob_qos_limit_at(&st, 0) <= t) {
			iob_qos_charge(&st, 0, 4096, t, false);
			n++;
		}
	CHECK(n >= 1000 && n <= 1002 + 50, "2 s at 500 IOPS: %u", n);
	/* a longer burst; the default burst when 0 */
	q.burst_ms = 1000;
	iob_qos_set(&st, &q, now);
	CHECK(st.depth_ns[IOB_WBPS] == 1000000000ULL && st.depth_ns[IOB_RIOPS] == 1000000000ULL,
	      "burst=1000");
	q.burst_ms = 0;
	iob_qos_set(&st, &q, now);
	CHECK(st.depth_ns[IOB_RIOPS] == 100000000ULL, "default burst 100 ms");
	/* urgent bios (metadata, a suspend's sync) owe at most one burst */
	q.limit[IOB_WBPS] = 1000;
	iob_qos_set(&st, &q, now);
	for (n = 0; n < 16384; n++)
		iob_qos_charge(&st, 1, 65536, now, true);
	CHECK(st.limit_vt[IOB_WBPS] <= now + st.depth_ns[IOB_WBPS],
	      "urgent debt %llu s", (unsigned long long)((st.limit_vt[IOB_WBPS] - now) / 1000000000ULL));
	/* a debt run up at 1000 B/s is paid at the new rate when it goes up */
	iob_qos_charge(&st, 1, 1 << 20, now, false);
	q.limit[IOB_WBPS] = 1000000000;
	iob_qos_set(&st, &q, now);
	CHECK(iob_qos_limit_at(&st, 1) < now + 2000000000ULL,
	      "raised limit: held %llu ms more", (unsigned long long)((iob_qos_limit_at(&st, 1) - now) / 1000000));
	/* no-data bios count as 4 KiB */
	CHECK(iob_qos_units(IOB_BPS, 0) == 4096 && iob_qos_units(IOB_IOPS, 1 << 20) == 1, "units");
}

/* floors: the reservation where it is more than the weight's part */
static void test_floors(void)
{
	struct iob_floor f[3] = {
		{ .next = &f[1], .weight = 100, .reserve_ppm = 250000, .counts = true },
		{ .next = &f[2], .weight = 900, .counts = true },
		{ .next = NULL, .weight = 100, .counts = false },
	};
	struct iob_qos q = { .reserve = { [IOB_BPS] = 16000000 } };

	iob_floors(f);
	CHECK(f[0].floored && f[0].part_ppm == 250000 && f[1].part_ppm == 750000,
	      "1:9, a quarter reserved: %u %u", f[0].part_ppm, f[1].part_ppm);
	CHECK(f[2].part_ppm == 83333, "not counted: its weight's part of the rest, %u",
	      f[2].part_ppm);
	/* a reservation below the weight's part changes nothing */
	f[0].reserve_ppm = 50000;
	iob_floors(f);
	CHECK(!f[0].floored && f[0].part_ppm == 100000, "%u", f[0].part_ppm);
	/* water-filling: the second floor appears once the first is set */
	f[0].reserve_ppm = 600000;
	f[1].weight = 100;
	f[1].reserve_ppm = 300000;
	f[2].counts = true;
	iob_floors(f);
	CHECK(f[0].floored && f[1].floored && f[2].part_ppm == 100000,
	      "%u %u %u", f[0].part_ppm, f[1].part_ppm, f[2].part_ppm);
	/* the device's rate in sectors/s for weight-iosize, I/Os for weight */
	CHECK(iob_reserve_ppm(&q, IOB_POLICY_WEIGHT_IOSIZE, 125000, 65536) == 250000,
	      "16 MB/s of 64 MB/s");
	CHECK(iob_reserve_ppm(&q, IOB_POLICY_WEIGHT, 1000, 65536) == 244140,
	      "16 MB/s of 1000 x 64k/s: %llu",
	      (unsigned long long)iob_reserve_ppm(&q, IOB_POLICY_WEIGHT, 1000, 65536));
	/* no overflow: huge reservations, a slow device, big bios */
	q.reserve[IOB_IOPS] = IOB_RATE_MAX;
	CHECK(iob_reserve_ppm(&q, IOB_POLICY_WEIGHT_IOSIZE, 1, 1 << 20) == IOB_RESERVE_PPM_MAX &&
	      iob_reserve_ppm(&q, IOB_POLICY_WEIGHT, 1, 1 << 20) == IOB_RESERVE_PPM_MAX, "saturates");
	/* a group that does not count, heavier than the rest: at most all */
	f[0].weight = 10000;
	f[0].counts = false;
	f[1].weight = 1;
	f[1].reserve_ppm = 0;
	f[2].weight = 1;
	f[0].reserve_ppm = 0;
	iob_floors(f);
	CHECK(f[0].part_ppm == 1000000, "%u", f[0].part_ppm);
	CHECK(iob_reserve_scale(900000) == IOB_SCALE_ONE, "fits");
	CHECK(iob_reserve_scale(1500000) == 614, "150%%: %u", iob_reserve_scale(1500000));
}

/* The tree: P and Q at the top, P's children c1 and c2, default. */
static void test_tree(void)
{
	struct iob_node n[5] = {
		[0] = { .next = &n[1], .weight = 100 },			/* P */
		[1] = { .next = &n[2], .weight = 100 },			/* Q */
		[2] = { .next = &n[3], .parent = &n[0], .weight = 100 },	/* c1 */
		[3] = { .next = &n[4], .parent = &n[0], .weight = 300 },	/* c2 */
		[4] = { .next = NULL, .weight = 100 },			/* default */
	};
	struct iob_node flat[2] = {
		{ .next = &flat[1], .weight = 100, .busy = true },
		{ .weight = 300, .busy = true },
	};

	n[1].busy = n[2].busy = n[3].busy = true;
	iob_tree_shares(n);
	CHECK(n[1].self_ppm == 500000 && n[2].self_ppm == 125000 &&
	      n[3].self_ppm == 375000, "Q 50%%, c1 12.5%%, c2 37.5%%: %u %u %u",
	      n[1].self_ppm, n[2].self_ppm, n[3].self_ppm);
	/* not busy: the part it would have if it joined */
	CHECK(n[4].self_ppm == 333333, "default group joining: %u", n[4].self_ppm);
	CHECK(n[0].self_ppm == 100000, "P's own bios beside c1 and c2: %u",
	      n[0].self_ppm);
	/* an idle child's part stays in its subtree */
	n[3].busy = false;
	iob_tree_shares(n);
	CHECK(n[2].self_ppm == 500000 && n[1].self_ppm == 500000,
	      "c2 idle: c1 has P's half: %u %u", n[2].self_ppm, n[1].self_ppm);
	CHECK(n[3].self_ppm == 375000, "c2 would get 3/4 of P: %u", n[3].self_ppm);
	/* P busy itself: its bios are one more child of weight 100 */
	n[0].busy = n[3].busy = true;
	iob_tree_shares(n);
	CHECK(n[0].self_ppm == 100000 && n[2].self_ppm == 100000 &&
	      n[3].self_ppm == 300000, "%u %u %u", n[0].self_ppm,
	      n[2].self_ppm, n[3].self_ppm);
	/* a parent's reservation is a floor under its subtree, by share */
	n[0].busy = false;
	n[0].reserve_ppm = 800000;
	iob_tree_shares(n);
	CHECK(n[2].self_res_ppm == 200000 && n[3].self_res_ppm == 600000,
	      "P reserves 80%%: c1 %u c2 %u", n[2].self_res_ppm, n[3].self_res_ppm);
	n[2].reserve_ppm = 300000;
	iob_tree_shares(n);
	CHECK(n[2].self_res_ppm == 300000, "its own, when more: %u", n[2].self_res_ppm);
	CHECK(n[1].self_res_ppm == 0, "nothing for Q: %u", n[1].self_res_ppm);
	/* P busy too: its own bios get their part of it, not all of it again */
	n[0].busy = true;
	n[2].reserve_ppm = 0;
	iob_tree_shares(n);
	CHECK(n[0].self_res_ppm + n[2].self_res_ppm + n[3].self_res_ppm >= 799998 &&
	      n[0].self_res_ppm + n[2].self_res_ppm + n[3].self_res_ppm <= 800000 &&
	      n[0].self_res_ppm == 160000, "P's 80%% over P, c1, c2: %u %u %u",
	      n[0].self_res_ppm, n[2].self_res_ppm, n[3].self_res_ppm);
	n[0].busy = false;
	/* a parent's limit caps its subtree; the children divide it by weight */
	n[0].reserve_ppm = n[2].reserve_ppm = 0;
	n[0].limit_ppm = 262500;
	n[0].busy = n[4].busy = false;
	n[1].busy = n[2].busy = n[3].busy = true;
	iob_tree_shares(n);
	CHECK(n[0].capped && n[2].self_ppm == 65625 && n[3].self_ppm == 196875 &&
	      n[1].self_ppm == 737500, "P capped at 26.25%%: c1 %u c2 %u Q %u",
	      n[2].self_ppm, n[3].self_ppm, n[1].self_ppm);
	/* a cap above the part by weight changes nothing */
	n[0].limit_ppm = 600000;
	iob_tree_shares(n);
	CHECK(!n[0].capped && n[2].self_ppm == 125000 && n[1].self_ppm == 500000,
	      "cap not reached: %u %u", n[2].self_ppm, n[1].self_ppm);
	/* a limited leaf is not capped: its bucket alone holds it */
	n[0].limit_ppm = 0;
	n[1].limit_ppm = 100000;
	iob_tree_shares(n);
	CHECK(!n[1].capped && n[1].self_ppm == 500000, "leaf: %u", n[1].self_ppm);
	n[1].limit_ppm = 0;
	/* a limit's part: its tightest key, whatever the order */
	{
		struct iob_qos lq = { .limit = { [IOB_BPS] = IOB_RATE_MAX, [IOB_WIOPS] = 100 } };

		CHECK(iob_limit_ppm(&lq, IOB_POLICY_WEIGHT, 1000, 4096) == 100000 &&
		      iob_limit_ppm(&lq, IOB_POLICY_WEIGHT, 0, 4096) == 0,
		      "tightest: %llu", (unsigned long long)iob_limit_ppm(&lq, IOB_POLICY_WEIGHT, 1000, 4096));
	}
	/* no parents: the flat weights */
	iob_tree_shares(flat);
	CHECK(flat[0].self_ppm == 250000 && flat[1].self_ppm == 750000,
	      "flat 1:3: %u %u", flat[0].self_ppm, flat[1].self_ppm);
	/* deep chain: each level's share is the whole */
	{
		struct iob_node d[8];
		int i;

		for (i = 0; i < 8; i++)
			d[i] = (struct iob_node){ .next = i < 7 ? &d[i + 1] : NULL,
						  .parent = i ? &d[i - 1] : NULL,
						  .weight = 1 + i * 1000 };
		d[7].busy = true;
		iob_tree_shares(d);
		/* d0's own bios, were they to come: 100 of 100 + 1001 */
		CHECK(d[7].self_ppm == 1000000 && d[0].self_ppm == 90826,
		      "deep: %u %u", d[7].self_ppm, d[0].self_ppm);
	}
}

/* children=<id>: parsed for attached cgroup groups, printed back. */
static void test_children_arg(void)
{
	struct iob_group_arg ga[8];
	struct iob_table t = { .groups = ga };
	char *ok[] = { "g", "0", "0", "cgroup", "weight", "0", "children=12", "12:100", "13:300" };
	char *bad_type[] = { "g", "0", "0", "uid", "weight", "0", "5:100", "children=5" };
	char *bad_id[] = { "g", "0", "0", "cgroup", "weight", "0", "12:100", "children=13" };
	char *twice[] = { "g", "0", "0", "cgroup", "weight", "0", "12:100", "children=12",
			  "children=12" };
	const char *err = NULL;
	char buf[256];

	CHECK(!iob_parse_table(9, ok, &t, &err) && ga[0].children && !ga[1].children,
	      "children=12: %s", err ? err : "");
	CHECK(!iob_format_table(&t, buf, sizeof(buf)) &&
	      !strcmp(buf, "g 0 0 cgroup weight 0 :100 12:100 13:300 children=12"),
	      "printed: %s", buf);
	err = NULL;
	CHECK(iob_parse_table(8, bad_type, &t, &err) && err && strstr(err, "cgroup"),
	      "type uid: %s", err ? err : "");
	err = NULL;
	CHECK(iob_parse_table(8, bad_id, &t, &err) && err && strstr(err, "does not attach"),
	      "not attached: %s", err ? err : "");
	err = NULL;
	CHECK(iob_parse_table(9, twice, &t, &err) && err && strstr(err, "twice"),
	      "twice: %s", err ? err : "");
}


/* Latency histogram buckets: exact below 8 us, midpoints within 6.25%. */
static void test_lat_buckets(void)
{
	static const u64 us[] = { 0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 100,
				  113, 226, 1000, 19999, 40108, 1000000,
				  60000000 };
	u64 hist[IOB_LAT_BUCKETS];
	u32 i, prev = 0;

	for (i = 0; i < sizeof(us) / sizeof(us[0]); i++) {
		u32 b = iob_lat_bucket(us[i] * 1000);
		u64 mid = iob_lat_bucket_us(b);
		double err = us[i] ? ((double)mid - (double)us[i]) / (double)us[i] : 0;

		CHECK(b < IOB_LAT_BUCKETS, "%llu us: bucket %u", (unsigned long long)us[i], b);
		CHECK(b >= prev, "%llu us: bucket %u below %u", (unsigned long long)us[i], b, prev);
		CHECK(err <= 0.0625 && err >= -0.0625, "%llu us: midpoint %llu (%.3f)",
		      (unsigned long long)us[i], (unsigned long long)mid, err);
		if (us[i] < 8)
			CHECK(mid == us[i], "%llu us exact: %llu", (unsigned long long)us[i],
			      (unsigned long long)mid);
		prev = b;
	}
	/* every bucket's midpoint falls in the bucket itself */
	for (i = 0; i < IOB_LAT_BUCKETS; i++)
		CHECK(iob_lat_bucket(iob_lat_bucket_us(i) * 1000) == i, "bucket %u", i);
	CHECK(iob_lat_bucket(~0ULL) == IOB_LAT_BUCKETS - 1 &&
	      iob_lat_bucket(200000000000000ULL) == IOB_LAT_BUCKETS - 1, "saturates");
	CHECK(iob_lat_bucket(999) == 0, "sub-microsecond");

	/* 1000 samples: 1..1000 us; p50 ~500, p90 ~900, p99 ~990 */
	memset(hist, 0, sizeof(hist));
	CHECK(iob_lat_percentile_us(hist, 99) == 0, "empty");
	for (i = 1; i <= 1000; i++)
		hist[iob_lat_bucket((u64)i * 1000)]++;
	CHECK(iob_lat_percentile_us(hist, 50) >= 470 && iob_lat_percentile_us(hist, 50) <= 530,
	      "p50 %llu", (unsigned long long)iob_lat_percentile_us(hist, 50));
	CHECK(iob_lat_percentile_us(hist, 90) >= 850 && iob_lat_percentile_us(hist, 90) <= 950,
	      "p90 %llu", (unsigned long long)iob_lat_percentile_us(hist, 90));
	CHECK(iob_lat_percentile_us(hist, 99) >= 930 && iob_lat_percentile_us(hist, 99) <= 1050,
	      "p99 %llu", (unsigned long long)iob_lat_percentile_us(hist, 99));
	/* one slow bio in a hundred is the p99, not two */
	memset(hist, 0, sizeof(hist));
	hist[iob_lat_bucket(100000)] = 98;
	hist[iob_lat_bucket(20000000)] = 2;
	CHECK(iob_lat_percentile_us(hist, 98) < 120 && iob_lat_percentile_us(hist, 99) > 18000,
	      "p98 %llu p99 %llu", (unsigned long long)iob_lat_percentile_us(hist, 98),
	      (unsigned long long)iob_lat_percentile_us(hist, 99));
}

#define MBS 1000000ULL

/* V's bios a window (lat_pair) */
static u32 lat_v_n = 20;

/* V (a target) and N (none) on a list, as the module builds it. */
static void lat_pair(struct iob_lat *v, struct iob_lat *n, u32 over)
{
	v->next = n;
	n->next = NULL;
	v->target_ns = 300000;
	v->n = lat_v_n;
	v->over = over;
	v->bytes = 80000;		/* 0.8 MB/s */
	v->part_ppm = 500000;
	n->target_ns = 0;
	n->n = 0;
	n->over = 0;
	n->bytes = 6400000;		/* 64 MB/s */
	n->part_ppm = 500000;
}

/*
 * One window of V and N (as lat_pair), N at its cap if it has one, and at
 * most at the device's 64 MB/s; the cap before.
 */
static u64 lat_step(struct iob_lat_dom *d, struct iob_lat *v, struct iob_lat *n, u32 over)
{
	u64 cap = n->cap_bps;

	lat_pair(v, n, over);
	if (cap && cap < 64 * MBS)
		n->bytes = cap / 10;
	iob_lat_window(d, v, 100000000);
	return cap;
}

static void test_lat_control(void)
{
	struct iob_lat v = {}, n = {}, w = {};
	struct iob_lat_dom d;
	u64 cap, floor;
	int i;

	iob_lat_dom_init(&d);
	/* targets met, nobody held back: the device's rate is learnt */
	lat_pair(&v, &n, 0);
	CHECK(iob_lat_window(&d, &v, 100000000) == IOB_LAT_MET && !n.cap_bps,
	      "met: cap %llu", (unsigned long long)n.cap_bps);
	CHECK(d.peak_bps == 64800000, "peak %llu", (unsigned long long)d.peak_bps);
	/* two late bios of twenty in one window: a miss */
	lat_pair(&v, &n, 2);
	CHECK(iob_lat_window(&d, &v, 100000000) == IOB_LAT_MISSED && v.missed,
	      "two late: missed");
	CHECK(n.cap_bps == 64 * MBS - 2 * MBS, "cut a thirty-second from its rate: %llu",
	      (unsigned long long)n.cap_bps);
	CHECK(!v.cap_bps, "the group with the target is not held back");
	/* held to its cap, N moves at it; misses cut on to the floor */
	floor = iob_lat_floor_bps(&d, &n);
	CHECK(floor == d.peak_bps / 2 / 2, "floor half of its half: %llu",
	      (unsigned long long)floor);
	for (i = 0; i < 100; i++) {
		lat_pair(&v, &n, 20);
		n.bytes = n.cap_bps / 10;
		iob_lat_window(&d, &v, 100000000);
	}
	CHECK(n.cap_bps == floor, "never below the floor: %llu vs %llu",
	      (unsigned long long)n.cap_bps, (unsigned long long)floor);
	CHECK(v.missed_windows == 101 && n.capped_windows == 101, "counted: %llu %llu",
	      (unsigned long long)v.missed_windows, (unsigned long long)n.capped_windows);
	/*
	 * it missed at its floor: held there for a calm spell, then the cap
	 * grows, a step a window, and goes an eighth above the device's rate
	 */
	cap = n.cap_bps;
	for (i = 0; i < 400 && n.cap_bps; i++) {
		lat_pair(&v, &n, 0);
		if (n.cap_bps < 64 * MBS)
			n.bytes = n.cap_bps / 10;
		iob_lat_window(&d, &v, 100000000);
		if (i < IOB_LAT_CALM_WINDOWS - 1)
			CHECK(n.cap_bps == cap, "held below the rate that missed: %llu",
			      (unsigned long long)n.cap_bps);
		else
			CHECK(!n.cap_bps || n.cap_bps > cap, "grows: %llu",
			      (unsigned long long)n.cap_bps);
		cap = n.cap_bps;
	}
	CHECK(!n.cap_bps && i > IOB_LAT_CALM_WINDOWS + 10, "gone after %d windows", i);
	/*
	 * a new first cut, then a miss at it: no ceiling (the first cut's
	 * window may have begun part way, or with N only starting); a
	 * second miss pins
	 */
	lat_step(&d, &v, &n, 2);
	lat_step(&d, &v, &n, 2);
	CHECK(n.cap_bps && !n.ceil_bps, "a new first cut: %llu ceil %llu",
	      (unsigned long long)n.cap_bps, (unsigned long long)n.ceil_bps);
	cap = lat_step(&d, &v, &n, 2);
	CHECK(n.ceil_bps == cap, "then pinned: ceil %llu of %llu", (unsigned long long)n.ceil_bps,
	      (unsigned long long)cap);
	/*
	 * a first miss from 64 MB/s: 62, no ceiling (the window's rate may
	 * be part of one); a miss at the cap it used, a thirty-second off,
	 * and not above that until a calm spell
	 */
	iob_lat_dom_init(&d);
	lat_pair(&v, &n, 0);
	n.cap_bps = 0;
	n.ceil_bps = 0;
	iob_lat_window(&d, &v, 100000000);
	lat_pair(&v, &n, 2);
	iob_lat_window(&d, &v, 100000000);
	CHECK(n.cap_bps == 62 * MBS && !n.ceil_bps, "cut: %llu ceil %llu",
	      (unsigned long long)n.cap_bps, (unsigned long long)n.ceil_bps);
	lat_pair(&v, &n, 0);
	n.bytes = n.cap_bps / 10;
	iob_lat_window(&d, &v, 100000000);
	CHECK(n.cap_bps > 62 * MBS, "grows: %llu", (unsigned long long)n.cap_bps);
	lat_pair(&v, &n, 2);
	n.bytes = n.cap_bps / 10;
	cap = n.cap_bps;
	iob_lat_window(&d, &v, 100000000);
	CHECK(n.ceil_bps == cap && n.cap_bps == cap - cap / 32, "cut at its cap: %llu ceil %llu",
	      (unsigned long long)n.cap_bps, (unsigned long long)n.ceil_bps);
	cap = n.cap_bps;
	for (i = 0; i < 20; i++) {
		lat_pair(&v, &n, 0);
		n.bytes = n.cap_bps / 10;
		iob_lat_window(&d, &v, 100000000);
	}
	CHECK(n.cap_bps == cap, "stays at the rate that missed less a thirty-second: %llu",
	      (unsigned long long)n.cap_bps);
	/*
	 * one late bio of a window at the cap it used: a cut, but no ceiling
	 * (a first cut from a window in which N was only starting, pinned by
	 * one late bio, held a buffered writer at half its rate for 10 s)
	 */
	{
		struct iob_lat_dom d2;
		struct iob_lat v2 = {}, n2 = {};

		/* V reads 5 a window: a span of ~160, where one late is a miss */
		lat_v_n = 5;
		iob_lat_dom_init(&d2);
		lat_step(&d2, &v2, &n2, 0);
		lat_pair(&v2, &n2, 2);
		n2.bytes = 3400000;	/* 34 MB/s: it was starting */
		iob_lat_window(&d2, &v2, 100000000);
		CHECK(n2.cap_bps && !n2.ceil_bps, "first cut: %llu ceil %llu",
		      (unsigned long long)n2.cap_bps, (unsigned long long)n2.ceil_bps);
		/* missed again at the first cut, a window old: not pinned */
		cap = lat_step(&d2, &v2, &n2, 2);
		CHECK(n2.cap_bps == cap - cap / 32 && !n2.ceil_bps,
		      "a first cut's cap is not a rate that missed: %llu ceil %llu",
		      (unsigned long long)n2.cap_bps, (unsigned long long)n2.ceil_bps);
		lat_step(&d2, &v2, &n2, 0);
		cap = lat_step(&d2, &v2, &n2, 1);
		CHECK(v2.missed && n2.cap_bps == cap - cap / 32 && !n2.ceil_bps,
		      "one late bio: %llu ceil %llu", (unsigned long long)n2.cap_bps,
		      (unsigned long long)n2.ceil_bps);
		for (i = 0; i < 20 && n2.cap_bps && n2.cap_bps <= cap; i++)
			lat_step(&d2, &v2, &n2, 0);
		CHECK(n2.cap_bps > cap, "grows past it: %llu after %d windows",
		      (unsigned long long)n2.cap_bps, i);
		/*
		 * a busy target within its 1% (5 late of 1000) does not make
		 * a light one's single late bio a pin
		 */
		w = v2;
		lat_pair(&v2, &n2, 1);
		w.n = 1000;
		w.over = 5;
		w.span_n = 1000 << 13;
		w.span_over = 5 << 13;
		w.next = &n2;
		v2.next = &w;
		n2.bytes = n2.cap_bps / 10;
		cap = n2.cap_bps;
		iob_lat_window(&d2, &v2, 100000000);
		CHECK(v2.missed && !w.missed && !n2.ceil_bps,
		      "another's late bios: missed %d %d ceil %llu", v2.missed, w.missed,
		      (unsigned long long)n2.ceil_bps);
		/* one late bio a window, two windows in a row: that pins */
		cap = lat_step(&d2, &v2, &n2, 1);
		CHECK(n2.ceil_bps == cap, "late again: ceil %llu of %llu",
		      (unsigned long long)n2.ceil_bps, (unsigned long long)cap);
		lat_v_n = 20;
	}
	/*
	 * a miss in a quiet window (the device did less than half of what
	 * it did of late: N's flusher waiting, say): a cap N does not use is
	 * cut from itself, not from what N did, and no cap is made
	 */
	{
		struct iob_lat_dom d3;
		struct iob_lat v3 = {}, n3 = {};

		iob_lat_dom_init(&d3);
		lat_step(&d3, &v3, &n3, 0);
		lat_step(&d3, &v3, &n3, 2);
		lat_step(&d3, &v3, &n3, 0);
		cap = n3.cap_bps;
		lat_pair(&v3, &n3, 2);
		n3.bytes = 3050000;	/* 31.3 MB/s of some 64.5 of late */
		iob_lat_window(&d3, &v3, 100000000);
		CHECK(v3.missed && n3.cap_bps == cap - cap / 32 && !n3.ceil_bps,
		      "quiet: %llu from %llu, ceil %llu", (unsigned long long)n3.cap_bps,
		      (unsigned long long)cap, (unsigned long long)n3.ceil_bps);
		/* not a cut from its rate: a miss at it, used, pins it */
		cap = lat_step(&d3, &v3, &n3, 2);
		CHECK(n3.ceil_bps == cap, "then pinned: ceil %llu of %llu",
		      (unsigned long long)n3.ceil_bps, (unsigned long long)cap);
		/* not quiet (N 20 MB/s and another 30 of 64): from what it did */
		lat_pair(&v3, &n3, 2);
		n3.bytes = 2000000;
		w = n3;
		w.cap_bps = 0;
		w.bytes = 3000000;
		w.next = NULL;
		n3.next = &w;
		iob_lat_window(&d3, &v3, 100000000);
		CHECK(n3.cap_bps == 20 * MBS - 20 * MBS / 32, "busy: %llu",
		      (unsigned long long)n3.cap_bps);
		n3.next = NULL;
		/*
		 * the device doing steadily less than half its rate is not
		 * quiet: N held at its floor, then another starts, with
		 * few bytes, and V misses: it gets a cap
		 */
		iob_lat_dom_init(&d3);
		n3.cap_bps = 0;
		n3.ceil_bps = 0;
		lat_step(&d3, &v3, &n3, 0);
		for (i = 0; i < 100; i++)
			lat_step(&d3, &v3, &n3, 20);
		floor = iob_lat_floor_bps(&d3, &n3);
		lat_pair(&v3, &n3, 2);
		n3.bytes = n3.cap_bps / 10;
		w = n3;
		w.cap_bps = 0;
		w.bytes = 200000;	/* 2 MB/s */
		w.next = NULL;
		n3.next = &w;
		iob_lat_window(&d3, &v3, 100000000);
		CHECK(n3.cap_bps == floor && w.cap_bps == iob_lat_floor_bps(&d3, &w),
		      "steadily under half: %llu %llu", (unsigned long long)n3.cap_bps,
		      (unsigned long long)w.cap_bps);
		n3.next = NULL;
		iob_lat_dom_init(&d3);
		n3.cap_bps = 0;
		lat_step(&d3, &v3, &n3, 0);
		lat_pair(&v3, &n3, 2);
		n3.bytes = 1000000;
		iob_lat_window(&d3, &v3, 100000000);
		CHECK(v3.missed && !n3.cap_bps, "quiet: no cap made: %llu",
		      (unsigned long long)n3.cap_bps);
	}
	/*
	 * misses from the first window on, none held yet (what N queued
	 * before it had a cap still drains): the caps are cut, none pinned;
	 * after a window that held, a miss at a cap N used pins it
	 */
	{
		struct iob_lat_dom d5;
		struct iob_lat v5 = {}, n5 = {};

		iob_lat_dom_init(&d5);
		for (i = 0; i < 8; i++)
			cap = lat_step(&d5, &v5, &n5, 5);
		CHECK(v5.missed_windows == 8 && n5.cap_bps == cap - cap / 32 &&
		      cap < 62 * MBS && !n5.ceil_bps, "a descent: cap %llu, ceil %llu",
		      (unsigned long long)n5.cap_bps, (unsigned long long)n5.ceil_bps);
		cap = lat_step(&d5, &v5, &n5, 0);
		CHECK(n5.cap_bps > cap && !n5.ceil_bps, "held: grows to %llu",
		      (unsigned long long)n5.cap_bps);
		cap = lat_step(&d5, &v5, &n5, 2);
		CHECK(n5.ceil_bps == cap && n5.cap_bps == cap - cap / 32,
		      "then a miss pins: ceil %llu of %llu", (unsigned long long)n5.ceil_bps,
		      (unsigned long long)cap);
		/*
		 * a window that decides nothing (nobody with a target) ends
		 * it: misses straight after are a descent again (the third
		 * would pin, its cap used and not a first cut, had a window
		 * held)
		 */
		lat_pair(&v5, &n5, 0);
		v5.n = 0;
		iob_lat_window(&d5, &v5, 100000000);
		for (i = 0; i < 3; i++)
			cap = lat_step(&d5, &v5, &n5, 3);
		CHECK(cap && n5.cap_bps < cap && !n5.ceil_bps,
		      "after idle, a descent again: cap %llu from %llu, ceil %llu",
		      (unsigned long long)n5.cap_bps, (unsigned long long)cap,
		      (unsigned long long)n5.ceil_bps);
	}
	/*
	 * 20 bios a window (a span of ~640): stray late bios after a calm
	 * spell, one a window, are not a miss until the span's share of
	 * them is over 1/200: not the first two, the third or the fourth
	 * (what earlier late bios left in the span decides); at 5 a window
	 * (a span of ~160) the first is
	 */
	for (i = 0; i < 100; i++) {
		lat_pair(&v, &n, 0);
		iob_lat_window(&d, &v, 100000000);
	}
	for (i = 1; i <= 2; i++) {
		lat_pair(&v, &n, 1);
		CHECK(iob_lat_window(&d, &v, 100000000) == IOB_LAT_MET && !n.cap_bps,
		      "stray bio %d in ~640: cap %llu, span %llu of %llu", i,
		      (unsigned long long)n.cap_bps, (unsigned long long)v.span_over,
		      (unsigned long long)v.span_n);
	}
	i = 2;
	do {
		lat_pair(&v, &n, 1);
		i++;
	} while (iob_lat_window(&d, &v, 100000000) == IOB_LAT_MET && i < 4);
	CHECK(v.missed && i >= 3, "missed at stray bio %d in ~640", i);
	CHECK(n.cap_bps, "held back");
	for (i = 0; i < 100; i++) {
		lat_pair(&v, &n, 0);
		v.n = 5;
		iob_lat_window(&d, &v, 100000000);
	}
	lat_pair(&v, &n, 1);
	v.n = 5;
	CHECK(iob_lat_window(&d, &v, 100000000) == IOB_LAT_MISSED, "one in ~160");
	/*
	 * a light group back from a pause (60 windows without a bio) has a
	 * span made as if its count had been steady, not the thin one the
	 * pause left: one stray late bio in its first window back is no miss
	 */
	{
		struct iob_lat_dom d6;
		struct iob_lat v6 = {}, n6 = {};

		iob_lat_dom_init(&d6);
		for (i = 0; i < 100; i++)
			lat_step(&d6, &v6, &n6, 0);
		for (i = 0; i < 60; i++) {
			lat_pair(&v6, &n6, 0);
			v6.n = 0;
			iob_lat_window(&d6, &v6, 100000000);
		}
		lat_pair(&v6, &n6, 1);
		CHECK(iob_lat_window(&d6, &v6, 100000000) == IOB_LAT_MET,
		      "back from a pause, one late of 20: span %llu of %llu",
		      (unsigned long long)v6.span_over, (unsigned long long)v6.span_n);
	}
	/*
	 * a miss answers for the late bios counted before it: after five
	 * windows with 5 late reads of 20 each, a late read in the window
	 * after the next is no miss (the span had 3.7% of them late)
	 */
	{
		struct iob_lat_dom d7;
		struct iob_lat v7 = {}, n7 = {};

		iob_lat_dom_init(&d7);
		for (i = 0; i < 100; i++)
			lat_step(&d7, &v7, &n7, 0);
		for (i = 0; i < 5; i++)
			lat_step(&d7, &v7, &n7, 5);
		lat_step(&d7, &v7, &n7, 0);
		cap = n7.cap_bps;
		lat_pair(&v7, &n7, 1);
		n7.bytes = cap / 10;
		CHECK(iob_lat_window(&d7, &v7, 100000000) == IOB_LAT_MET && n7.cap_bps == cap,
		      "after a descent, one late of 20: cap %llu from %llu, span %llu of %llu",
		      (unsigned long long)n7.cap_bps, (unsigned long long)cap,
		      (unsigned long long)v7.span_over, (unsigned long long)v7.span_n);
	}
	/*
	 * a late read in every window after a cut: no miss for the first
	 * three (the span's share is under 1/200 again), but no growth
	 * either, and a miss (a cut) at the fourth; over such cycles the
	 * growth is not halved (no window in them grew the caps)
	 */
	{
		struct iob_lat_dom d8;
		struct iob_lat v8 = {}, n8 = {};
		int misses = 0;
		u32 step;

		iob_lat_dom_init(&d8);
		for (i = 0; i < 100; i++)
			lat_step(&d8, &v8, &n8, 0);
		lat_step(&d8, &v8, &n8, 3);
		cap = n8.cap_bps;
		step = d8.step;
		for (i = 0; i < 4 && !misses; i++) {
			lat_pair(&v8, &n8, 1);
			n8.bytes = n8.cap_bps / 10;
			misses += iob_lat_window(&d8, &v8, 100000000) == IOB_LAT_MISSED;
			CHECK(n8.cap_bps <= cap, "late read %d after a cut: cap %llu of %llu", i + 1,
			      (unsigned long long)n8.cap_bps, (unsigned long long)cap);
		}
		CHECK(cap && misses && i == 4 && n8.cap_bps < cap,
		      "a late read a window: missed at %d, cap %llu of %llu", i,
		      (unsigned long long)n8.cap_bps, (unsigned long long)cap);
		for (i = 0; i < 40; i++)
			lat_step(&d8, &v8, &n8, 1);
		CHECK(d8.step == step && n8.cap_bps < cap - cap / 8,
		      "40 windows more: step %u (was %u), cap %llu", d8.step, step,
		      (unsigned long long)n8.cap_bps);
	}
	/*
	 * a busy target with one late bio of 1000 a window (0.1%, within
	 * its 1%) does not stop the caps growing
	 */
	{
		struct iob_lat_dom d9;
		struct iob_lat v9 = {}, n9 = {};

		iob_lat_dom_init(&d9);
		lat_step(&d9, &v9, &n9, 0);
		lat_step(&d9, &v9, &n9, 20);
		cap = n9.cap_bps;
		for (i = 0; i < 3; i++) {
			lat_pair(&v9, &n9, 1);
			v9.n = 1000;
			n9.bytes = n9.cap_bps / 10;
			iob_lat_window(&d9, &v9, 100000000);
		}
		CHECK(cap && n9.cap_bps > cap, "busy target, 1 late of 1000: cap %llu from %llu",
		      (unsigned long long)n9.cap_bps, (unsigned long long)cap);
	}
	/*
	 * the caps' own overshoot, over 1200 windows: V late once whenever
	 * N ran above 85% of the device and V was not late the window
	 * before.  Single late reads, never a pin: the halving of the
	 * growth after each miss settles the cap at that rate (82% to 85%
	 * of the device in the last 600 windows, 28 windows missed;
	 * without it 150, and N's cap ended above the device's rate)
	 */
	{
		struct iob_lat_dom d12;
		struct iob_lat v12 = {}, n12 = {};
		u64 ran, cap12, top = 0, low = ~0ULL;
		u32 late = 0, missed = 0, pinned = 0;

		iob_lat_dom_init(&d12);
		for (i = 0; i < 1200; i++) {
			ran = n12.cap_bps && n12.cap_bps < 64 * MBS ? n12.cap_bps : 64 * MBS;
			late = !late && ran > 64 * MBS * 85 / 100;
			lat_step(&d12, &v12, &n12, late);
			missed += v12.missed;
			pinned += n12.ceil_bps != 0;
			if (i < 600)
				continue;
			/* a cap released counts as none: above everything */
			cap12 = n12.cap_bps ? n12.cap_bps : ~0ULL;
			top = cap12 > top ? cap12 : top;
			low = cap12 < low ? cap12 : low;
		}
		CHECK(missed < 60 && top < 64 * MBS && low > 64 * MBS * 80 / 100 && !pinned,
		      "overshoot: %u of 1200 windows missed, cap %llu to %llu in the last 600, %u windows pinned",
		      missed, (unsigned long long)low, (unsigned long long)top, pinned);
	}
	/* no group with a target completed anything: every cap goes at once */
	lat_pair(&v, &n, 0);
	v.n = 0;
	CHECK(iob_lat_window(&d, &v, 100000000) == IOB_LAT_IDLE && !n.cap_bps, "idle: %llu",
	      (unsigned long long)n.cap_bps);
	/* two groups with targets: neither is held back for the other */
	iob_lat_dom_init(&d);
	lat_pair(&v, &n, 0);
	w = v;
	v.next = &w;
	w.next = &n;
	w.over = 20;
	CHECK(iob_lat_window(&d, &v, 100000000) == IOB_LAT_MISSED && !v.cap_bps &&
	      !w.cap_bps && n.cap_bps, "only N: %llu %llu %llu", (unsigned long long)v.cap_bps,
	      (unsigned long long)w.cap_bps, (unsigned long long)n.cap_bps);
	/* a capped group that gets a target is held back no more */
	iob_lat_dom_init(&d);
	lat_pair(&v, &n, 20);
	w = v;
	w.next = NULL;
	n.next = &w;
	w.over = 0;
	w.cap_bps = 60 * MBS;
	iob_lat_window(&d, &v, 100000000);
	CHECK(!w.cap_bps && n.cap_bps, "target: cap %llu", (unsigned long long)w.cap_bps);
	/* a fresh span forgives one late bio of 150, as a settled one does */
	iob_lat_dom_init(&d);
	lat_pair(&v, &n, 1);
	v.n = 150;
	v.span_n = 0;
	v.span_over = 0;
	CHECK(iob_lat_window(&d, &v, 100000000) == IOB_LAT_MET, "first window");
	/* a group whose part is its reservation keeps all of it */
	n.reserved = true;
	CHECK(iob_lat_floor_bps(&d, &n) == d.peak_bps / 2, "reserved floor %llu of %llu",
	      (unsigned long long)iob_lat_floor_bps(&d, &n), (unsigned long long)d.peak_bps);
	n.reserved = false;
	/* the device's rate falls with the windows' while nobody is held back */
	cap = d.peak_bps;
	lat_pair(&v, &n, 0);
	n.cap_bps = 0;
	n.bytes = 3200000;
	iob_lat_window(&d, &v, 100000000);
	CHECK(d.peak_bps < cap && d.peak_bps > cap - cap / 8, "moving average: %llu from %llu",
	      (unsigned long long)d.peak_bps, (unsigned long long)cap);
	/* 20 GiB in a window: a rate, not a count (no overflow) */
	iob_lat_dom_init(&d);
	lat_pair(&v, &n, 0);
	n.bytes = 20ULL << 30;
	iob_lat_window(&d, &v, 100000000);
	CHECK(d.peak_bps > (200ULL << 30) && d.peak_bps < (201ULL << 30), "big window: %llu",
	      (unsigned long long)d.peak_bps);
	/* an idle group without a cap is not made one */
	iob_lat_dom_init(&d);
	lat_pair(&v, &n, 20);
	n.bytes = 0;
	n.cap_bps = 0;
	iob_lat_window(&d, &v, 100000000);
	CHECK(!n.cap_bps, "idle N: %llu", (unsigned long long)n.cap_bps);
	/*
	 * a cap that grows past what the device does is kept until it is an
	 * eighth above it: released at the device's rate, a writer's whole
	 * queue goes into the device at once (the simulator's latency case:
	 * 35 late reads in a second)
	 */
	{
		struct iob_lat_dom d4;
		struct iob_lat v4 = {}, n4 = {};
		u64 peak;

		iob_lat_dom_init(&d4);
		lat_step(&d4, &v4, &n4, 0);
		lat_step(&d4, &v4, &n4, 2);
		peak = d4.peak_bps;
		for (i = 0; i < 100 && n4.cap_bps && n4.cap_bps < peak; i++)
			lat_step(&d4, &v4, &n4, 0);
		CHECK(n4.cap_bps >= peak && d4.peak_bps == peak,
		      "grows past the device's rate: %llu of %llu", (unsigned long long)n4.cap_bps,
		      (unsigned long long)peak);
		for (i = 0; i < 100 && n4.cap_bps; i++)
			cap = lat_step(&d4, &v4, &n4, 0);
		CHECK(!n4.cap_bps && cap < peak + peak / 8 && cap > peak + peak / 8 - peak / 16,
		      "released an eighth above it: the last cap %llu of %llu",
		      (unsigned long long)cap, (unsigned long long)peak);
		/*
		 * a miss on a full device at which N did a thirty-second or
		 * more less than its cap: its cap does not hold it (its bios
		 * queue in the device), so the cut is from what it did
		 */
		iob_lat_dom_init(&d4);
		lat_step(&d4, &v4, &n4, 0);
		lat_step(&d4, &v4, &n4, 2);
		for (i = 0; i < 100 && n4.cap_bps < 67 * MBS; i++)
			lat_step(&d4, &v4, &n4, 0);
		cap = lat_step(&d4, &v4, &n4, 2);
		CHECK(cap >= 67 * MBS && n4.cap_bps == 62 * MBS && n4.ceil_bps == 64 * MBS,
		      "cut from what it did on a full device: %llu from %llu, ceil %llu",
		      (unsigned long long)n4.cap_bps, (unsigned long long)cap,
		      (unsigned long long)n4.ceil_bps);
		/*
		 * but a writer that did less than its cap while the device
		 * had room (its own lull, not a full device) is cut from its
		 * cap
		 */
		for (i = 0; i < 200 && n4.cap_bps > 50 * MBS; i++)
			lat_step(&d4, &v4, &n4, 2);
		cap = n4.cap_bps;
		lat_pair(&v4, &n4, 2);
		n4.bytes = cap * 8 / 100;	/* 80% of its cap */
		iob_lat_window(&d4, &v4, 100000000);
		CHECK(n4.cap_bps == cap - cap / 32,
		      "a lull on a device with room: cut from its cap: %llu from %llu",
		      (unsigned long long)n4.cap_bps, (unsigned long long)cap);
		/*
		 * and so is one in a lull while another group fills the
		 * device: its shortfall is not its queue
		 */
		iob_lat_dom_init(&d4);
		lat_pair(&v4, &n4, 0);
		n4.next = &w;
		w = n4;
		w.next = NULL;
		n4.bytes = w.bytes = 3200000;
		iob_lat_window(&d4, &v4, 100000000);
		v4.over = 2;
		iob_lat_window(&d4, &v4, 100000000);
		cap = n4.cap_bps;
		v4.over = 2;
		n4.bytes = cap * 6 / 100;	/* 60% of its cap */
		w.bytes = 6400000 - n4.bytes;	/* the other fills the device */
		iob_lat_window(&d4, &v4, 100000000);
		CHECK(cap && n4.cap_bps == cap - cap / 32 && w.cap_bps,
		      "a lull beside a group that fills the device: cut from its cap: %llu from %llu",
		      (unsigned long long)n4.cap_bps, (unsigned long long)cap);
	}
}

/* A cap's clock: a bio moves it by its time at the rate, from at most a depth back. */
static void test_lat_charge(void)
{
	u64 vt = 0, now = 1000000000ULL;

	/* a held bio: from 8 ms back; one that found the queue empty: 2 */
	iob_lat_charge(&vt, 64 * MBS, 64000, now, true, false);
	CHECK(vt == now - IOB_LAT_DEPTH_NS + 1000000, "from a depth back: %llu",
	      (unsigned long long)vt);
	vt = 0;
	iob_lat_charge(&vt, 64 * MBS, 64000, now, false, false);
	CHECK(vt == now - IOB_LAT_BURST_NS + 1000000, "not held: %llu",
	      (unsigned long long)vt);
	iob_lat_charge(&vt, 64 * MBS, 64000 * 10, now, true, false);
	CHECK(vt == now - IOB_LAT_BURST_NS + 11000000, "ten more ms: %llu",
	      (unsigned long long)vt);
	iob_lat_charge(&vt, 0, 64000, now, true, false);
	CHECK(vt == now - IOB_LAT_BURST_NS + 11000000, "no cap: unchanged");
	/* bios that went whatever the cap: at most 2 ms ahead */
	iob_lat_charge(&vt, 1 * MBS, 64 << 20, now, false, true);
	CHECK(vt == now + IOB_LAT_BURST_NS, "urgent: %llu", (unsigned long long)vt);
	/*
	 * a group that paused comes back through map (its queue empty):
	 * what goes at once is 2 ms of its cap and one bio, not 8
	 */
	{
		u32 n = 0;

		vt = 0;
		now = 2000000000ULL;
		do {
			iob_lat_charge(&vt, 30 * MBS, 4096, now, false, false);
			n++;
		} while (vt <= now);
		/* 60000 bytes in 2 ms at 30 MB/s: 14 bios of 4 KiB, and one */
		CHECK(n == 15, "after a pause: %u bios at once", n);
	}
	/*
	 * a dispatcher that wakes 3 ms late each time (under emulation, on
	 * 6.1, often more than 2 ms): 64 KiB held bios at a cap of 30 MB/s
	 * still go at the cap, within 2%, not a third slower; and in each
	 * 20 ms from a bio, no more than 28 ms of the cap and a bio
	 */
	{
		u64 sent = 0, start, t20 = 0, in20 = 0, most20 = 0;

		vt = 0;
		now = start = 1000000000ULL;
		while (now < start + 1000000000ULL) {
			iob_lat_charge(&vt, 30 * MBS, 65536, now, true, false);
			sent += 65536;
			if (now >= t20 + 20000000) {
				t20 = now;
				in20 = 0;
			}
			in20 += 65536;
			most20 = in20 > most20 ? in20 : most20;
			if (vt > now)
				now = vt + 3000000;
		}
		CHECK(sent >= 30 * MBS * 98 / 100, "late wake-ups: %llu bytes in 1 s at 30 MB/s",
		      (unsigned long long)sent);
		CHECK(most20 <= 30 * MBS / 50 * 14 / 10 + 65536, "in 20 ms: %llu",
		      (unsigned long long)most20);
	}
}

/*
 * The per-CPU batch of completions: full after IOB_LAT_BATCH, taken out a
 * bucket and direction at a time with their counts, nothing lost.
 */
static void test_lat_batch(void)
{
	static const u32 idx[IOB_LAT_BATCH] = { 5, 199, 5, 0, 5, 199, 7, 0 };
	static const int dir[IOB_LAT_BATCH] = { 0, 1, 0, 0, 1, 1, 0, 0 };
	struct iob_lat_batch b = { 0 };
	u64 hist[2][IOB_LAT_BUCKETS] = { { 0 } }, want[2][IOB_LAT_BUCKETS] = { { 0 } };
	u32 i, n, got, takes = 0, total = 0;
	bool full = false;
	int d;

	for (i = 0; i < IOB_LAT_BATCH; i++) {
		CHECK(!full, "full only at the last: %u", i);
		full = iob_lat_batch_add(&b, dir[i], idx[i]);
		want[dir[i]][idx[i]]++;
	}
	CHECK(full && b.n == IOB_LAT_BATCH, "full after %d", IOB_LAT_BATCH);
	while ((n = iob_lat_batch_take(&b, &d, &got))) {
		CHECK(++takes <= IOB_LAT_BATCH, "a take empties a bucket: %u takes", takes);
		CHECK(got < IOB_LAT_BUCKETS && (d == 0 || d == 1), "bucket %u dir %d", got, d);
		if (takes > IOB_LAT_BATCH || got >= IOB_LAT_BUCKETS || (d != 0 && d != 1))
			break;
		CHECK(!hist[d][got], "bucket %u dir %d taken once", got, d);
		hist[d][got] += n;
		total += n;
	}
	CHECK(total == IOB_LAT_BATCH && b.n == 0, "all %u taken", total);
	/* 5r x2, 5w, 199w x2, 0r x2, 7r */
	CHECK(takes == 5, "five buckets: %u", takes);
	CHECK(!memcmp(hist, want, sizeof(hist)), "the counts are the completions'");
	CHECK(iob_lat_batch_take(&b, &d, &got) == 0, "empty: nothing");
	/*
	 * emptied as the module does (a copy taken out): nothing of the
	 * keys before is counted again, and a key's direction is its own
	 */
	for (i = 0; i < IOB_LAT_BATCH; i++)
		iob_lat_batch_add(&b, 1, 3);
	iob_lat_batch_clear(&b);
	iob_lat_batch_add(&b, 0, 199);
	iob_lat_batch_add(&b, 1, 199);
	CHECK(iob_lat_batch_take(&b, &d, &got) == 1 && got == 199 && d == 0, "reused: read 199");
	CHECK(iob_lat_batch_take(&b, &d, &got) == 1 && got == 199 && d == 1, "reused: write 199");
	CHECK(iob_lat_batch_take(&b, &d, &got) == 0 && b.n == 0, "reused: no more");
	/*
	 * an add between two takes: nothing counted twice or lost, the key
	 * taken out already comes again with the new completion only
	 */
	iob_lat_batch_add(&b, 0, 5);
	iob_lat_batch_add(&b, 0, 6);
	iob_lat_batch_add(&b, 0, 6);
	CHECK(iob_lat_batch_take(&b, &d, &got) == 1 && got == 5, "partly: 5 taken");
	iob_lat_batch_add(&b, 0, 5);
	iob_lat_batch_add(&b, 0, 6);
	memset(hist, 0, sizeof(hist));
	total = 0;
	while ((n = iob_lat_batch_take(&b, &d, &got)) && total < 2 * IOB_LAT_BATCH) {
		hist[d][got] += n;
		total += n;
	}
	CHECK(total == 4 && hist[0][5] == 1 && hist[0][6] == 3 && b.n == 0,
	      "partly: the rest %u, bucket 5 %llu (want 1), 6 %llu (want 3)", total,
	      (unsigned long long)hist[0][5], (unsigned long long)hist[0][6]);
	/* full: a further add changes nothing and says full */
	for (i = 0; i < IOB_LAT_BATCH; i++)
		iob_lat_batch_add(&b, 0, 1);
	CHECK(iob_lat_batch_add(&b, 0, 2) && b.n == IOB_LAT_BATCH, "over full: refused");
}

/* latency <id>:<usec> and latency= in the table line. */
static void test_latency_arg(void)
{
	char *argv[8], buf[256], err[160];
	struct iob_group_arg ga[8];
	struct iob_table t = { .groups = ga };
	const char *e = NULL;
	s64 id;
	u32 us;

	CHECK(iob_parse_latency_arg(IOB_TYPE_CGROUP, "140:500", &id, &us, err, sizeof(err)) == 0 &&
	      id == 140 && us == 500, "140:500");
	CHECK(iob_parse_latency_arg(IOB_TYPE_CGROUP, ":2000", &id, &us, err, sizeof(err)) == 0 &&
	      id == IOB_DEFAULT_GROUP_ID && us == 2000, "default");
	CHECK(iob_parse_latency_arg(IOB_TYPE_CGROUP, "140:0", &id, &us, err, sizeof(err)) == 0 &&
	      us == 0, "0 removes");
	CHECK(iob_parse_latency_arg(IOB_TYPE_CGROUP, "140", &id, &us, err, sizeof(err)) &&
	      strstr(err, "expected <id>:<usec>"), "no colon: %s", err);
	CHECK(iob_parse_latency_arg(IOB_TYPE_CGROUP, "140:60000001", &id, &us, err, sizeof(err)) &&
	      strstr(err, "expected 0 to 60000000"), "too long: %s", err);
	CHECK(iob_parse_latency_arg(IOB_TYPE_CGROUP, "x:5", &id, &us, err, sizeof(err)), "bad id");
	CHECK(iob_parse_latency_arg(IOB_TYPE_NONE, "5:5", &id, &us, err, sizeof(err)) &&
	      strstr(err, "type none"), "type none: %s", err);

	argv[0] = "d1"; argv[1] = "0"; argv[2] = "0"; argv[3] = "cgroup";
	argv[4] = "weight"; argv[5] = "0"; argv[6] = "140:100"; argv[7] = "latency=140:500";
	CHECK(iob_parse_table(8, argv, &t, &e) == 0 && ga[0].qos.latency_us == 500, "%s", e);
	CHECK(iob_format_table(&t, buf, sizeof(buf)) == 0 &&
	      !strcmp(buf, "d1 0 0 cgroup weight 0 :100 140:100 latency=140:500"), "%s", buf);
	argv[7] = "latency=:700";
	CHECK(iob_parse_table(8, argv, &t, &e) == 0 && t.def_qos.latency_us == 700, "%s", e);
	CHECK(iob_format_table(&t, buf, sizeof(buf)) == 0 &&
	      !strcmp(buf, "d1 0 0 cgroup weight 0 :100 140:100 latency=:700"), "%s", buf);
	argv[7] = "latency=140:0";
	CHECK(iob_parse_table(8, argv, &t, &e) && strstr(e, "latency="), "0 in a table: %s", e);
	argv[7] = "latency=141:5";
	CHECK(iob_parse_table(8, argv, &t, &e) && strstr(e, "does not attach"), "%s", e);
}

/* Slots in flight by the stocks' and the pool's count. */
static int slots_out(struct iob_slots *s, atomic_t *st, int n, int limit)
{
	int i, v = limit - atomic_read(&s->pool);

	for (i = 0; i < n; i++)
		v -= atomic_read(&st[i]);
	return v;
}

/* In-flight slots: stocks, the pool, the wait flag and the kick. */
static void test_slots(void)
{
	struct iob_slots s = { .pool = { 0 } };
	atomic_t st[2] = { { 0 }, { 0 } };
	int i, out = 0;

	CHECK(iob_slots_batch(8, 2) == 1 && iob_slots_batch(32, 2) == 4 &&
	      iob_slots_batch(1000, 1) == 16 && iob_slots_batch(4, 64) == 1,
	      "batch %d %d %d %d", iob_slots_batch(8, 2), iob_slots_batch(32, 2),
	      iob_slots_batch(1000, 1), iob_slots_batch(4, 64));
	iob_slots_resize(&s, 0, 32, 2);
	CHECK(atomic_read(&s.pool) == 32 && s.batch == 4, "pool %d batch %d",
	      atomic_read(&s.pool), s.batch);
	/* CPU 0 sends: a batch from the pool, then from its stock */
	CHECK(!iob_slot_take(&s, &st[0]), "no kick");
	out++;
	CHECK(atomic_read(&st[0]) == 3 && atomic_read(&s.pool) == 28,
	      "stock %d pool %d", atomic_read(&st[0]), atomic_read(&s.pool));
	for (i = 0; i < 3; i++, out++)
		iob_slot_take(&s, &st[0]);
	CHECK(atomic_read(&st[0]) == 0 && atomic_read(&s.pool) == 28,
	      "stock %d pool %d", atomic_read(&st[0]), atomic_read(&s.pool));
	/* completions on CPU 1 stay in its stock: no shared write */
	for (i = 0; i < 4; i++, out--)
		CHECK(!iob_slot_put(&s, &st[1]), "no kick without a wait");
	CHECK(atomic_read(&st[1]) == 4 && atomic_read(&s.pool) == 28,
	      "stock %d pool %d", atomic_read(&st[1]), atomic_read(&s.pool));
	/* CPU 0 empties the pool: it has no room, CPU 1 (a stock) has */
	while (atomic_read(&s.pool) > 0 || atomic_read(&st[0]) > 0) {
		iob_slot_take(&s, &st[0]);
		out++;
	}
	CHECK(out == 28 && slots_out(&s, st, 2, 32) == out,
	      "out %d counted %d", out, slots_out(&s, st, 2, 32));
	CHECK(!iob_slot_room(&s, &st[0]) && iob_slot_room(&s, &st[1]),
	      "room %d %d", iob_slot_room(&s, &st[0]), iob_slot_room(&s, &st[1]));
	/* the dispatcher finds no room: it waits, once, and collects */
	CHECK(iob_slots_wait(&s) && !iob_slots_wait(&s), "wait once");
	iob_slots_collect(&s, &st[0]);
	iob_slots_collect(&s, &st[1]);
	CHECK(atomic_read(&s.pool) == 4 && iob_slot_room(&s, &st[0]),
	      "pool %d", atomic_read(&s.pool));
	/* while it waits, a batch taken goes back at once, with a kick */
	CHECK(iob_slot_take(&s, &st[0]) && atomic_read(&st[0]) == 0 &&
	      atomic_read(&s.pool) == 3, "stock %d pool %d",
	      atomic_read(&st[0]), atomic_read(&s.pool));
	out++;
	while (atomic_read(&s.pool) > 0) {
		iob_slot_take(&s, &st[0]);
		out++;
	}
	/* a sender that found room just before: one over */
	CHECK(!iob_slot_take(&s, &st[0]), "one slot, no kick");
	out++;
	CHECK(out == 33 && atomic_read(&s.pool) == -1 &&
	      !iob_slot_room(&s, &st[0]) && !iob_slot_room(&s, &st[1]) &&
	      slots_out(&s, st, 2, 32) == out, "out %d pool %d", out,
	      atomic_read(&s.pool));
	/* completions go to the pool; those that refill it kick */
	CHECK(iob_slot_put(&s, &st[1]) && atomic_read(&st[1]) == 0,
	      "kick at pool -1, stock %d", atomic_read(&st[1]));
	CHECK(iob_slot_put(&s, &st[1]), "kick at pool 0");
	CHECK(!iob_slot_put(&s, &st[1]), "no kick at pool 1");
	out -= 3;
	CHECK(atomic_read(&s.pool) == 2 && slots_out(&s, st, 2, 32) == out,
	      "pool %d out %d", atomic_read(&s.pool), out);
	/* the next round: stocks are kept again */
	iob_slots_unwait(&s);
	CHECK(!iob_slot_put(&s, &st[1]) && atomic_read(&st[1]) == 1,
	      "stock %d", atomic_read(&st[1]));
	out--;
	/* io_limit down to 8: stocks back, the pool owes what is out */
	iob_slots_collect(&s, &st[0]);
	iob_slots_collect(&s, &st[1]);
	iob_slots_resize(&s, 32, 8, 2);
	CHECK(s.batch == 1 && atomic_read(&s.pool) == 8 - out &&
	      slots_out(&s, st, 2, 8) == out, "batch %d pool %d out %d",
	      s.batch, atomic_read(&s.pool), out);
	/* a stock is not spent while the pool is owed */
	iob_slot_put(&s, &st[0]);
	out--;
	CHECK(atomic_read(&st[0]) == 1 && !iob_slot_room(&s, &st[0]),
	      "stock %d pool %d", atomic_read(&st[0]), atomic_read(&s.pool));
	while (out > 0) {
		iob_slot_put(&s, &st[out & 1]);
		out--;
	}
	CHECK(atomic_read(&st[0]) <= 1 && atomic_read(&st[1]) <= 1,
	      "stocks %d %d (batch 1: given back at 2)", atomic_read(&st[0]),
	      atomic_read(&st[1]));
	iob_slots_collect(&s, &st[0]);
	iob_slots_collect(&s, &st[1]);
	CHECK(atomic_read(&s.pool) == 8, "pool %d after all completed",
	      atomic_read(&s.pool));
}

/*
 * Threads as CPUs, the kernel's protocol: a sender without room holds its
 * bio and kicks the dispatcher thread, which runs only when kicked (no
 * timer); completions kick it as iob_slot_put() says.  In flight never
 * beyond io_limit and one per sender; no held bio left once the senders
 * stop (a lost kick would strand it); every slot back at the end.
 */
#define SLOT_CPUS 3
#define SLOT_LIMIT 16
static struct iob_slots sl;
static atomic_t sl_stock[SLOT_CPUS + 1];	/* the last: the dispatcher's */
static atomic_t sl_out, sl_max, sl_held, sl_sent_d, sl_kick, sl_stop, sl_done;
static atomic_t sl_stopped;	/* senders that saw sl_stop: they hold no more */

static void sl_count_out(void)
{
	int v = atomic_inc_return(&sl_out), m = atomic_read(&sl_max);

	while (v > m && !atomic_try_cmpxchg(&sl_max, &m, v))
		;
}

static void sl_complete(atomic_t *stock)
{
	atomic_fetch_add(-1, &sl_out);
	if (iob_slot_put(&sl, stock))
		atomic_xchg(&sl_kick, 1);
}

static void *slot_cpu(void *arg)
{
	long me = (long)arg, sent = 0;
	atomic_t *mine = &sl_stock[me];
	unsigned int r = (unsigned int)me * 2654435761u + 1;
	int own = 0;	/* its own in flight: up to 8 */
	bool stopped = false;

	while (!atomic_read(&sl_done)) {
		bool stop = atomic_read(&sl_stop);

		if (stop && !stopped) {
			stopped = true;
			atomic_inc_return(&sl_stopped);
		}

		r = r * 1103515245u + 12345u;
		if (!stop && own < 8 && (r >> 16) % 3 &&
		    atomic_read(&sl_held) < 64) {
			if (iob_slot_room(&sl, mine)) {
				if (iob_slot_take(&sl, mine))
					atomic_xchg(&sl_kick, 1);
				sl_count_out();
				own++;
				sent++;
			} else {
				atomic_inc_return(&sl_held);
				atomic_xchg(&sl_kick, 1);
			}
		} else if (own) {
			own--;
			sl_complete(mine);
		} else if (atomic_dec_if_positive(&sl_sent_d) >= 0) {
			sl_complete(mine);	/* one the dispatcher sent */
		}
	}
	while (own--)
		sl_complete(mine);
	return (void *)sent;
}

/* The dispatcher's io_limit_reached(): collect once per round. */
static bool sl_no_room(void)
{
	atomic_t *mine = &sl_stock[SLOT_CPUS];
	int cpu;

	if (iob_slot_room(&sl, mine))
		return false;
	if (iob_slots_wait(&sl))
		for (cpu = 0; cpu <= SLOT_CPUS; cpu++)
			iob_slots_collect(&sl, &sl_stock[cpu]);
	return !iob_slot_room(&sl, mine);
}

static void *slot_dispatcher(void *arg)
{
	long rounds = 0;

	(void)arg;
	while (!atomic_read(&sl_done)) {
		if (!atomic_xchg(&sl_kick, 0))
			continue;
		rounds++;
		iob_slots_unwait(&sl);
		while (atomic_read(&sl_held) > 0 && !sl_no_room()) {
			if (iob_slot_take(&sl, &sl_stock[SLOT_CPUS]))
				atomic_xchg(&sl_kick, 1);
			sl_count_out();
			atomic_fetch_add(-1, &sl_held);
			atomic_inc_return(&sl_sent_d);
		}
	}
	return (void *)rounds;
}

static void test_slots_threads(void)
{
	pthread_t t[SLOT_CPUS + 1];
	long sent = 0, rounds, held;
	void *r;
	int i;

	/* sized as for one CPU: a batch of 4, so takes give back in transit */
	iob_slots_resize(&sl, 0, SLOT_LIMIT, 1);
	for (i = 0; i < SLOT_CPUS; i++)
		pthread_create(&t[i], NULL, slot_cpu, (void *)(long)i);
	pthread_create(&t[SLOT_CPUS], NULL, slot_dispatcher, NULL);
	nanosleep(&(struct timespec){ .tv_nsec = 300000000 }, NULL);
	atomic_xchg(&sl_stop, 1);
	while (atomic_read(&sl_stopped) < SLOT_CPUS)
		;
	/* what is held drains, on kicks alone, within half a second */
	for (i = 0; i < 50 && (atomic_read(&sl_held) || atomic_read(&sl_sent_d)); i++)
		nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
	held = atomic_read(&sl_held) + atomic_read(&sl_sent_d);
	atomic_xchg(&sl_done, 1);
	for (i = 0; i < SLOT_CPUS; i++) {
		pthread_join(t[i], &r);
		sent += (long)r;
	}
	pthread_join(t[SLOT_CPUS], &r);
	rounds = (long)r;
	for (i = 0; i <= SLOT_CPUS; i++)
		iob_slots_collect(&sl, &sl_stock[i]);
	CHECK(sent > 1000 && rounds > 100 && !held &&
	      atomic_read(&sl_max) >= SLOT_LIMIT - 2 &&
	      atomic_read(&sl_max) <= SLOT_LIMIT + SLOT_CPUS + 1 &&
	      atomic_read(&sl.pool) == SLOT_LIMIT,
	      "%ld sent by senders, %ld dispatcher rounds, %ld left held; at most %d out (limit %d + %d senders); pool %d of %d",
	      sent, rounds, held, atomic_read(&sl_max), SLOT_LIMIT, SLOT_CPUS + 1,
	      atomic_read(&sl.pool), SLOT_LIMIT);
}

/*
 * A group's bios in flight counted per CPU (ioband-inflight.h), one
 * thread: the first bio and the last completion are edges whatever CPU
 * they run on, a detach frees the group with its last completion, and a
 * group being freed is not taken back.
 */
static void test_inflight(void)
{
	atomic_t c0 = { 0 }, c1 = { 0 }, users = { 1 };
	int a, b, c, d;

	a = iob_inflight_get(&c0, &users);
	b = iob_inflight_get(&c0, &users);
	c = iob_inflight_get(&c1, &users);
	CHECK(a == IOB_INFLIGHT_EDGE && b == IOB_INFLIGHT_MORE && c == IOB_INFLIGHT_MORE &&
	      atomic_read(&users) == 3 && atomic_read(&c0) == 2,
	      "gets %d %d %d, users %d, cpu0 %d", a, b, c, atomic_read(&users),
	      atomic_read(&c0));
	/* completions elsewhere: a CPU leaves users when its count is 0 */
	a = iob_inflight_put(&c0, &users);
	b = iob_inflight_put(&c1, &users);
	c = iob_inflight_put(&c0, &users);
	CHECK(a == IOB_INFLIGHT_MORE && b == IOB_INFLIGHT_MORE && c == IOB_INFLIGHT_EDGE &&
	      atomic_read(&users) == 1 && !atomic_read(&c0) && !atomic_read(&c1),
	      "puts %d %d %d, users %d", a, b, c, atomic_read(&users));
	/* a detach with bios in flight on two CPUs */
	iob_inflight_get(&c0, &users);
	iob_inflight_get(&c1, &users);
	a = iob_inflight_unref(&users);
	b = iob_inflight_put(&c1, &users);
	c = iob_inflight_put(&c0, &users);
	d = iob_inflight_get(&c1, &users);
	CHECK(!a && b == IOB_INFLIGHT_EDGE && c == IOB_INFLIGHT_FREE &&
	      d == IOB_INFLIGHT_GONE && !atomic_read(&users) && !atomic_read(&c1),
	      "unref %d, puts %d %d, get after %d, users %d, cpu1 %d", a, b, c, d,
	      atomic_read(&users), atomic_read(&c1));
	/* a detach with nothing in flight frees at once */
	atomic_set(&users, 1);
	CHECK(iob_inflight_unref(&users), "users %d", atomic_read(&users));
}

/*
 * Threads as CPUs: each counts the bios it sends on its own count, and
 * the other threads complete them (a completion on another CPU), in
 * rounds that end with everything completed.  Run 1: at the end nothing
 * is in flight, the group's count is its own reference, no completion
 * freed it, and first bios and last completions came in pairs, at least
 * one a round.  Run 2: a detach halfway, while bios are in flight
 * (senders then back out, as map() does when it sees dead): exactly one
 * completion frees the group, and no bio is counted in it after that.
 */
#define IF_CPUS 4
#define IF_ROUNDS 400
static atomic_t if_cpu[IF_CPUS], if_out[IF_CPUS], if_users;
static atomic_t if_dead, if_freed, if_frees, if_firsts, if_lasts, if_late;
static pthread_barrier_t if_round;
static bool if_detach;

static void if_done(int r)
{
	if (r == IOB_INFLIGHT_FREE) {
		atomic_inc_return(&if_frees);
		atomic_set(&if_freed, 1);
	} else if (r == IOB_INFLIGHT_EDGE) {
		atomic_inc_return(&if_lasts);
	}
}

static void if_send(int me)
{
	bool freed = atomic_read(&if_freed);
	int r = iob_inflight_get(&if_cpu[me], &if_users);

	if (freed && r != IOB_INFLIGHT_GONE)
		atomic_inc_return(&if_late);
	if (r == IOB_INFLIGHT_GONE)
		return;
	if (atomic_read(&if_dead)) {
		if_done(iob_inflight_put(&if_cpu[me], &if_users));
		return;
	}
	if (r == IOB_INFLIGHT_EDGE)
		atomic_inc_return(&if_firsts);
	atomic_inc_return(&if_out[me]);
}

/* Up to @n bios sent from CPU @c complete here; -1 for all of them. */
static void if_complete(int c, int n)
{
	for (; n; n--) {
		if (atomic_dec_if_positive(&if_out[c]) < 0)
			return;
		if_done(iob_inflight_put(&if_cpu[c], &if_users));
	}
}

static void *if_thread(void *arg)
{
	int me = (int)(long)arg, round, i, k;
	unsigned int rnd = (unsigned int)me * 2654435761u + 1;

	for (round = 0; round < IF_ROUNDS; round++) {
		for (i = 0; i < 64; i++) {
			rnd = rnd * 1103515245u + 12345u;
			for (k = (rnd >> 28) % 4; k > 0; k--)
				if_send(me);
			if_complete((me + 1 + (rnd >> 24) % (IF_CPUS - 1)) % IF_CPUS,
				    1 + (rnd >> 20) % 4);
			if (if_detach && !me && round == IF_ROUNDS / 2 && i == 32) {
				atomic_set(&if_dead, 1);
				if (iob_inflight_unref(&if_users))
					if_done(IOB_INFLIGHT_FREE);
			}
		}
		pthread_barrier_wait(&if_round);
		if_complete((me + 1) % IF_CPUS, -1);
		pthread_barrier_wait(&if_round);
	}
	return NULL;
}

static void if_run(bool detach)
{
	pthread_t t[IF_CPUS];
	int i;

	atomic_set(&if_users, 1);
	for (i = 0; i < IF_CPUS; i++) {
		atomic_set(&if_cpu[i], 0);
		atomic_set(&if_out[i], 0);
	}
	atomic_set(&if_dead, 0);
	atomic_set(&if_freed, 0);
	atomic_set(&if_frees, 0);
	atomic_set(&if_firsts, 0);
	atomic_set(&if_lasts, 0);
	atomic_set(&if_late, 0);
	if_detach = detach;
	pthread_barrier_init(&if_round, NULL, IF_CPUS);
	for (i = 0; i < IF_CPUS; i++)
		pthread_create(&t[i], NULL, if_thread, (void *)(long)i);
	for (i = 0; i < IF_CPUS; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&if_round);
}

static void test_inflight_threads(void)
{
	int i, left = 0;

	if_run(false);
	for (i = 0; i < IF_CPUS; i++)
		left += atomic_read(&if_cpu[i]);
	CHECK(atomic_read(&if_users) == 1 && !left && !atomic_read(&if_frees) &&
	      atomic_read(&if_firsts) >= IF_ROUNDS &&
	      atomic_read(&if_firsts) == atomic_read(&if_lasts),
	      "users %d, %d left on the CPUs, %d frees, %d first bios, %d last completions",
	      atomic_read(&if_users), left, atomic_read(&if_frees),
	      atomic_read(&if_firsts), atomic_read(&if_lasts));
	if_run(true);
	left = 0;
	for (i = 0; i < IF_CPUS; i++)
		left += atomic_read(&if_cpu[i]);
	CHECK(!atomic_read(&if_users) && !left && atomic_read(&if_frees) == 1 &&
	      !atomic_read(&if_late),
	      "after a detach: users %d, %d left on the CPUs, %d frees, %d bios counted after the free",
	      atomic_read(&if_users), left, atomic_read(&if_frees), atomic_read(&if_late));
}

int main(void)
{
	RUN(test_parse_u32);
	RUN(test_names);
	RUN(test_group_args);
	RUN(test_tokens);
	RUN(test_rounds);
	RUN(test_rate);
	RUN(test_table);
	RUN(test_param);
	RUN(test_bucket_edges);
	RUN(test_qos_args);
	RUN(test_qos_buckets);
	RUN(test_floors);
	RUN(test_tree);
	RUN(test_children_arg);
	RUN(test_lat_buckets);
	RUN(test_lat_control);
	RUN(test_lat_charge);
	RUN(test_lat_batch);
	RUN(test_latency_arg);
	RUN(test_slots);
	RUN(test_slots_threads);
	RUN(test_inflight);
	RUN(test_inflight_threads);
	return check_summary("test-policy");
}
