/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ioband reservations and limits: per-group rate buckets on a nanosecond
 * clock (ioband-qos.c).  Plain C, shared by dm-ioband.ko and the unit
 * tests, like the token arithmetic of ioband-policy.h.
 */
#ifndef IOBAND_QOS_H
#define IOBAND_QOS_H

#include "ioband-policy.h"

/* The keys of io.max: bytes or I/Os per second, both directions or one. */
enum iob_key {
	IOB_BPS,
	IOB_RBPS,
	IOB_WBPS,
	IOB_IOPS,
	IOB_RIOPS,
	IOB_WIOPS,
	IOB_NR_KEYS,
};

#define IOB_RATE_MAX		(1ULL << 40)	/* per second: 1 TiB/s */
#define IOB_DEFAULT_BURST_MS	100
#define IOB_BURST_MS_MAX	60000
/* The largest bio ioband lets through (ioband_max_io_len), in bytes. */
#define IOB_MAX_BIO_BYTES	(2048U * 512)
/* A bio without data (discard, write-zeroes) counts as this many bytes. */
#define IOB_NODATA_BYTES	4096U
/* A reservation scale of this much is 100%. */
#define IOB_SCALE_ONE		1024U
/* Reservations are scaled to leave the device this much (of 1024) free. */
#define IOB_RESERVE_HEADROOM	(IOB_SCALE_ONE / 10)
/* Reservations as a part of the device, in millionths. */
#define IOB_PPM			1000000ULL
/* One group's reservation counts as at most a hundred devices. */
#define IOB_RESERVE_PPM_MAX	(100 * IOB_PPM)

/* A group's reservation, limit and latency target, as configured (0: none). */
struct iob_qos {
	u64 limit[IOB_NR_KEYS];
	u64 reserve[IOB_NR_KEYS];
	u32 burst_ms;		/* 0: IOB_DEFAULT_BURST_MS */
	u32 latency_us;		/* ioband-latency.h */
};

/*
 * A group's limit buckets.  Each is a virtual clock (the generic cell
 * rate algorithm): a bio moves it on by the time the rate takes to pass
 * the bio; the bucket is empty when the clock reaches now, full when it is
 * a depth behind.  A limit admits while its clock is not ahead of now.
 */
struct iob_qos_state {
	struct iob_qos conf;
	u64 depth_ns[IOB_NR_KEYS];	/* limit bucket depth */
	u64 limit_vt[IOB_NR_KEYS];
	bool has_limit;
	bool has_reserve;
};

static inline bool iob_key_is_bytes(enum iob_key k)
{
	return k == IOB_BPS || k == IOB_RBPS || k == IOB_WBPS;
}

/* What a bio of @bytes counts for key @k (every completion asks). */
static inline u64 iob_qos_units(enum iob_key k, u32 bytes)
{
	if (!iob_key_is_bytes(k))
		return 1;
	return bytes ? bytes : IOB_NODATA_BYTES;
}

bool iob_key_applies(enum iob_key k, int dir);
const char *iob_key_name(enum iob_key k);
u32 iob_burst_ms(const struct iob_qos *q);
bool iob_qos_empty(const struct iob_qos *q);
void iob_qos_set(struct iob_qos_state *s, const struct iob_qos *q, u64 now_ns);
u64 iob_qos_limit_at(const struct iob_qos_state *s, int dir);
bool iob_qos_limit_bound(const struct iob_qos_state *s, u64 now_ns);
void iob_qos_charge(struct iob_qos_state *s, int dir, u32 bytes, u64 now_ns,
		    bool urgent);
u64 iob_qos_burst_left(const struct iob_qos_state *s, enum iob_key k,
		       u64 now_ns);
u64 iob_reserve_ppm(const struct iob_qos *q, enum iob_policy policy,
		    u64 tokens_per_s, u64 avg_bytes);
u64 iob_limit_ppm(const struct iob_qos *q, enum iob_policy policy,
		  u64 tokens_per_s, u64 avg_bytes);
u32 iob_reserve_scale(u64 demand_ppm);

/*
 * One group as iob_floors() sees it, on a list: in, its weight, its reservation
 * (millionths of the device, scaled) and whether it counts (used the
 * device lately); out, whether its reservation is its floor and its part
 * of the device, in millionths.
 */
struct iob_floor {
	struct iob_floor *next;
	u32 weight;
	u32 reserve_ppm;
	bool counts;
	bool floored;
	u32 part_ppm;
};

void iob_floors(struct iob_floor *head);

#endif /* IOBAND_QOS_H */
