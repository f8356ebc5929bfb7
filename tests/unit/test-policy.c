// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the ioband policy core: parsing and token arithmetic. */
#include <string.h>

#include "ioband-policy.h"
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
	/* An epoch of 100 ms that completed 1000 tokens sets the rate. */
	iob_clock_advance(&c, &P, now, 1000);
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

int main(void)
{
	RUN(test_parse_u32);
	RUN(test_names);
	RUN(test_group_args);
	RUN(test_tokens);
	RUN(test_rounds);
	RUN(test_rate);
	return check_summary("test-policy");
}
