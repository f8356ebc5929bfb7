// SPDX-License-Identifier: GPL-2.0
/*
 * iobandctl: the device-mapper calls, through libdevmapper.  Errors the
 * library logs are kept (not printed) so that the caller can name the
 * object and the reason in one line.
 */
#include <errno.h>
#include <libdevmapper.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "dm.h"

static char last_error[ERR_LEN];
static int verbose;

static __printf(5, 6)
void dm_log(int level, const char *file, int line, int dm_errno,
	    const char *f, ...)
{
	va_list ap;

	(void)file;
	(void)line;
	(void)dm_errno;
	if (level > 3 && !verbose)	/* 3 is libdevmapper's error level */
		return;
	va_start(ap, f);
	if (level <= 3)
		vsnprintf(last_error, sizeof(last_error), f, ap);
	else {
		vfprintf(stderr, f, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}

void dmx_init(int verbosity)
{
	verbose = verbosity;
	dm_log_with_errno_init(dm_log);
	/* Without a running udev nobody would answer the cookie: make the nodes ourselves. */
	if (access("/run/udev/control", F_OK))
		dm_udev_set_sync_support(0);
}

const char *dmx_error(void)
{
	return last_error[0] ? last_error : strerror(errno ? errno : EIO);
}

static struct dm_task *task(int type, const char *name)
{
	struct dm_task *dmt = dm_task_create(type);

	last_error[0] = '\0';
	if (!dmt)
		return NULL;
	if (name && !dm_task_set_name(dmt, name)) {
		dm_task_destroy(dmt);
		return NULL;
	}
	return dmt;
}

/* The first target of @name: its type and parameters (table or status). */
static int first_target(int type, const char *name, char *ttype, size_t tlen,
			char *params, size_t plen, unsigned long long *sectors)
{
	struct dm_task *dmt = task(type, name);
	struct dm_info info;
	uint64_t start, length;
	char *tt = NULL, *pp = NULL;
	int r = -1;

	if (!dmt)
		return -1;
	if (!dm_task_run(dmt)) {
		if (dm_task_get_errno(dmt) == ENXIO) {
			snprintf(last_error, sizeof(last_error), "no such device");
			r = -ENXIO;
		}
		goto out;
	}
	if (!dm_task_get_info(dmt, &info))
		goto out;
	if (!info.exists) {
		snprintf(last_error, sizeof(last_error), "no such device");
		r = -ENXIO;
		goto out;
	}
	dm_get_next_target(dmt, NULL, &start, &length, &tt, &pp);
	if (!tt) {
		snprintf(last_error, sizeof(last_error), "device has no table");
		goto out;
	}
	snprintf(ttype, tlen, "%s", tt);
	snprintf(params, plen, "%s", pp ? pp : "");
	if (sectors)
		*sectors = length;
	r = 0;
out:
	dm_task_destroy(dmt);
	return r;
}

/* The parameters of @name's first target, which must be ioband's. */
static int ioband_target(int type, const char *name, char *params, size_t len)
{
	char tt[64];
	int r = first_target(type, name, tt, sizeof(tt), params, len, NULL);

	if (!r && strcmp(tt, "ioband")) {
		snprintf(last_error, sizeof(last_error), "not an ioband device (%s)", tt);
		return -EINVAL;
	}
	/* cut short: a status of hundreds of groups must not be misread */
	if (!r && strlen(params) + 1 >= len) {
		snprintf(last_error, sizeof(last_error), "table or status longer than %zu bytes", len - 1);
		return -E2BIG;
	}
	return r;
}

int dmx_table(const char *name, char *params, size_t len)
{
	return ioband_target(DM_DEVICE_TABLE, name, params, len);
}

int dmx_status(const char *name, char *params, size_t len)
{
	return ioband_target(DM_DEVICE_STATUS, name, params, len);
}

int dmx_list(char names[][NAME_LEN], int max)
{
	struct dm_task *dmt = task(DM_DEVICE_LIST, NULL);
	struct dm_names *nm;
	unsigned int next = 0;
	int n = 0;

	if (!dmt)
		return -1;
	nm = dm_task_run(dmt) ? dm_task_get_names(dmt) : NULL;
	if (!nm) {
		dm_task_destroy(dmt);
		return -1;
	}
	if (nm->dev) {
		do {
			char params[64], tt[64];

			nm = (struct dm_names *)((char *)nm + next);
			if (!first_target(DM_DEVICE_TABLE, nm->name, tt, sizeof(tt),
					  params, sizeof(params), NULL) &&
			    !strcmp(tt, "ioband") && n < max)
				snprintf(names[n++], NAME_LEN, "%s", nm->name);
			next = nm->next;
		} while (next);
	}
	dm_task_destroy(dmt);
	return n;
}

static int run_with_cookie(struct dm_task *dmt)
{
	uint32_t cookie = 0;
	int ok;

	if (!dm_task_set_cookie(dmt, &cookie, 0))
		return 0;
	ok = dm_task_run(dmt);
	/* Waits for udev when it runs; else does the node work itself. */
	dm_udev_wait(cookie);
	return ok;
}

/*
 * Create without a table, load it (the target's constructor runs here, and
 * its errno survives, which it does not in a one-step create with this
 * libdevmapper), then resume; a failure removes the half-made device.
 */
int dmx_create(const char *name, unsigned long long sectors, const char *params)
{
	struct dm_task *dmt = task(DM_DEVICE_CREATE, name);
	char node[NAME_LEN + 16], err[ERR_LEN];
	int ok;

	if (!dmt)
		return -1;
	ok = run_with_cookie(dmt);
	dm_task_destroy(dmt);
	if (!ok)
		return -1;
	dmt = task(DM_DEVICE_RELOAD, name);
	ok = dmt && dm_task_add_target(dmt, 0, sectors, "ioband", params) &&
	     dm_task_run(dmt);
	if (ok) {
		dm_task_destroy(dmt);
		dmt = task(DM_DEVICE_RESUME, name);
		ok = dmt && run_with_cookie(dmt);
	}
	if (dmt)
		dm_task_destroy(dmt);
	if (!ok) {
		snprintf(err, sizeof(err), "%s (the kernel log says why: dmesg | grep ioband)",
			 dmx_error());
		dmx_remove(name);
		snprintf(last_error, sizeof(last_error), "%s", err);
		return -1;
	}
	snprintf(node, sizeof(node), "/dev/mapper/%s", name);
	if (access(node, F_OK))
		dm_mknodes(name);
	return 0;
}

int dmx_remove(const char *name)
{
	struct dm_task *dmt = task(DM_DEVICE_REMOVE, name);
	int ok;

	if (!dmt)
		return -1;
	dm_task_retry_remove(dmt);
	ok = run_with_cookie(dmt);
	dm_task_destroy(dmt);
	return ok ? 0 : -1;
}

int dmx_message(const char *name, const char *msg)
{
	return dmx_message_out(name, msg, NULL, 0);
}

/* A message whose answer (if @out) is copied into @out. */
int dmx_message_out(const char *name, const char *msg, char *out, size_t len)
{
	struct dm_task *dmt = task(DM_DEVICE_TARGET_MSG, name);
	const char *resp;
	int ok;

	if (!dmt)
		return -1;
	ok = dm_task_set_sector(dmt, 0) && dm_task_set_message(dmt, msg) &&
	     dm_task_run(dmt);
	if (ok && out) {
		resp = dm_task_get_message_response(dmt);
		if (!resp || strlen(resp) >= len) {
			snprintf(last_error, sizeof(last_error), "%s: no answer, or a longer one than expected", msg);
			ok = 0;
		} else {
			strcpy(out, resp);
		}
	}
	if (!ok && !last_error[0])
		snprintf(last_error, sizeof(last_error), "refused");
	if (!ok)
		snprintf(last_error + strlen(last_error),
			 sizeof(last_error) - strlen(last_error),
			 " (the kernel log says why: dmesg | grep ioband)");
	dm_task_destroy(dmt);
	return ok ? 0 : -1;
}

/* A block device path or major:minor -> "major:minor" and its size. */
int dmx_blockdev(const char *dev, char *majmin, size_t len,
		 unsigned long long *sectors)
{
	unsigned int ma, mi;
	char path[128], extra;
	struct stat st;
	FILE *f;
	int ok;

	if (sscanf(dev, "%u:%u%c", &ma, &mi, &extra) != 2) {
		if (stat(dev, &st)) {
			snprintf(last_error, sizeof(last_error), "%s: %s", dev, strerror(errno));
			return -1;
		}
		if (!S_ISBLK(st.st_mode)) {
			snprintf(last_error, sizeof(last_error), "%s: not a block device", dev);
			return -1;
		}
		ma = major(st.st_rdev);
		mi = minor(st.st_rdev);
	}
	snprintf(majmin, len, "%u:%u", ma, mi);
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/size", ma, mi);
	f = fopen(path, "r");
	ok = f && fscanf(f, "%llu", sectors) == 1;
	if (f)
		fclose(f);
	if (!ok || !*sectors) {
		snprintf(last_error, sizeof(last_error), "%s: no such block device or size 0", dev);
		return -1;
	}
	return 0;
}
