/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-ioband tracepoints (events/ioband/ in tracefs; ioband:* in perf and
 * bpftrace).  A bio is admitted at once or held, a held bio is dispatched
 * later, and every bio completes; the dispatcher ends epochs, and the
 * latency controller decides once a window for each group with a target
 * or a cap.  Defined in ioband-domain.c.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM ioband

#if !defined(IOBAND_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define IOBAND_TRACE_H

#include <linux/tracepoint.h>

DECLARE_EVENT_CLASS(ioband_bio,
	TP_PROTO(dev_t dev, s64 id, sector_t sector, u32 sectors, int dir,
		 u32 held),
	TP_ARGS(dev, id, sector, sectors, dir, held),
	TP_STRUCT__entry(
		__field(dev_t, dev)
		__field(s64, id)
		__field(sector_t, sector)
		__field(u32, sectors)
		__field(int, dir)
		__field(u32, held)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->id = id;
		__entry->sector = sector;
		__entry->sectors = sectors;
		__entry->dir = dir;
		__entry->held = held;
	),
	TP_printk("%d,%d group=%lld %c %llu + %u held=%u",
		  MAJOR(__entry->dev), MINOR(__entry->dev), __entry->id,
		  __entry->dir ? 'W' : 'R',
		  (unsigned long long)__entry->sector, __entry->sectors,
		  __entry->held)
);

/* A bio goes down at map time. */
DEFINE_EVENT(ioband_bio, ioband_admit,
	TP_PROTO(dev_t dev, s64 id, sector_t sector, u32 sectors, int dir,
		 u32 held),
	TP_ARGS(dev, id, sector, sectors, dir, held));

/* A bio is held on its group's queue (held: the queue's length now). */
DEFINE_EVENT(ioband_bio, ioband_hold,
	TP_PROTO(dev_t dev, s64 id, sector_t sector, u32 sectors, int dir,
		 u32 held),
	TP_ARGS(dev, id, sector, sectors, dir, held));

/* A held bio leaves its queue after @wait_ns. */
TRACE_EVENT(ioband_dispatch,
	TP_PROTO(dev_t dev, s64 id, sector_t sector, u32 sectors, int dir,
		 u64 wait_ns),
	TP_ARGS(dev, id, sector, sectors, dir, wait_ns),
	TP_STRUCT__entry(
		__field(dev_t, dev)
		__field(s64, id)
		__field(sector_t, sector)
		__field(u32, sectors)
		__field(int, dir)
		__field(u64, wait_ns)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->id = id;
		__entry->sector = sector;
		__entry->sectors = sectors;
		__entry->dir = dir;
		__entry->wait_ns = wait_ns;
	),
	TP_printk("%d,%d group=%lld %c %llu + %u wait=%lluns",
		  MAJOR(__entry->dev), MINOR(__entry->dev), __entry->id,
		  __entry->dir ? 'W' : 'R',
		  (unsigned long long)__entry->sector, __entry->sectors,
		  __entry->wait_ns)
);

/* A bio completes: @wait_ns in ioband, @lat_ns from arrival in all. */
TRACE_EVENT(ioband_complete,
	TP_PROTO(dev_t dev, s64 id, u32 sectors, int dir, u64 wait_ns,
		 u64 lat_ns, int error),
	TP_ARGS(dev, id, sectors, dir, wait_ns, lat_ns, error),
	TP_STRUCT__entry(
		__field(dev_t, dev)
		__field(s64, id)
		__field(u32, sectors)
		__field(int, dir)
		__field(u64, wait_ns)
		__field(u64, lat_ns)
		__field(int, error)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->id = id;
		__entry->sectors = sectors;
		__entry->dir = dir;
		__entry->wait_ns = wait_ns;
		__entry->lat_ns = lat_ns;
		__entry->error = error;
	),
	TP_printk("%d,%d group=%lld %c %u wait=%lluns lat=%lluns error=%d",
		  MAJOR(__entry->dev), MINOR(__entry->dev), __entry->id,
		  __entry->dir ? 'W' : 'R', __entry->sectors,
		  __entry->wait_ns, __entry->lat_ns, __entry->error)
);

/* The dispatcher ends epoch @epoch after @len_ns, @done tokens in it. */
TRACE_EVENT(ioband_epoch,
	TP_PROTO(const char *domain, u64 epoch, u64 len_ns, u64 done,
		 u32 res_scale),
	TP_ARGS(domain, epoch, len_ns, done, res_scale),
	TP_STRUCT__entry(
		__array(char, domain, 32)
		__field(u64, epoch)
		__field(u64, len_ns)
		__field(u64, done)
		__field(u32, res_scale)
	),
	TP_fast_assign(
		strscpy_pad(__entry->domain, domain, sizeof(__entry->domain));
		__entry->epoch = epoch;
		__entry->len_ns = len_ns;
		__entry->done = done;
		__entry->res_scale = res_scale;
	),
	TP_printk("%s epoch=%llu len=%lluns done=%llu res_scale=%u",
		  __entry->domain, __entry->epoch, __entry->len_ns,
		  __entry->done, __entry->res_scale)
);

/*
 * The latency controller's decision for one group in one window
 * (0 idle, 1 met, 2 missed: enum iob_lat_decision): its completions,
 * how many were over its target, the bytes it completed, and its cap and
 * the ceiling of that cap after (0: none).
 */
TRACE_EVENT(ioband_latency,
	TP_PROTO(const char *domain, s64 id, int decision, u32 target_us,
		 u32 n, u32 over, u64 bytes, u64 cap_bps, u64 ceil_bps,
		 u64 peak_bps),
	TP_ARGS(domain, id, decision, target_us, n, over, bytes, cap_bps,
		ceil_bps, peak_bps),
	TP_STRUCT__entry(
		__array(char, domain, 32)
		__field(s64, id)
		__field(int, decision)
		__field(u32, target_us)
		__field(u32, n)
		__field(u32, over)
		__field(u64, bytes)
		__field(u64, cap_bps)
		__field(u64, ceil_bps)
		__field(u64, peak_bps)
	),
	TP_fast_assign(
		strscpy_pad(__entry->domain, domain, sizeof(__entry->domain));
		__entry->id = id;
		__entry->decision = decision;
		__entry->target_us = target_us;
		__entry->n = n;
		__entry->over = over;
		__entry->bytes = bytes;
		__entry->cap_bps = cap_bps;
		__entry->ceil_bps = ceil_bps;
		__entry->peak_bps = peak_bps;
	),
	TP_printk("%s group=%lld %s target=%uus n=%u over=%u bytes=%llu cap=%llu ceil=%llu peak=%llu",
		  __entry->domain, __entry->id,
		  __print_symbolic(__entry->decision, { 0, "idle" },
				   { 1, "met" }, { 2, "missed" }),
		  __entry->target_us, __entry->n, __entry->over,
		  __entry->bytes, __entry->cap_bps, __entry->ceil_bps,
		  __entry->peak_bps)
);

#endif /* IOBAND_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE ioband-trace
#include <trace/define_trace.h>
