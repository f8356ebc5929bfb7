// SPDX-License-Identifier: GPL-2.0
/*
 * iobandctl: groups as a person names them (a cgroup path, user:alice,
 * group:kvm, pid:123, pgrp:456), resolved to the ids ioband's table uses,
 * and ids named back for display.
 */
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "iobandctl.h"

#define CGROUP2_MAGIC 0x63677270

const char *cgroup_root = "/sys/fs/cgroup";

static const struct {
	const char *prefix;
	enum spec_kind kind;
} prefixes[] = {
	{ "cgroup:", SPEC_CGROUP }, { "user:", SPEC_UID }, { "uid:", SPEC_UID },
	{ "group:", SPEC_GID }, { "gid:", SPEC_GID }, { "pid:", SPEC_PID },
	{ "pgrp:", SPEC_PGRP },
};

static const char *const kind_type[] = {
	[SPEC_CGROUP] = "cgroup", [SPEC_UID] = "uid", [SPEC_GID] = "gid",
	[SPEC_PID] = "pid", [SPEC_PGRP] = "pgrp",
};

static const char *const kind_name[] = {
	[SPEC_CGROUP] = "a cgroup", [SPEC_UID] = "a user", [SPEC_GID] = "a group",
	[SPEC_PID] = "a process", [SPEC_PGRP] = "a process group",
};

const char *spec_kind_name(enum spec_kind k)
{
	return kind_name[k];
}

int spec_parse(const char *s, struct group_spec *g, char *err, size_t len)
{
	size_t i;

	memset(g, 0, sizeof(*g));
	if (!*s)
		return errorf(err, len, "empty group");
	if (strlen(s) >= sizeof(g->text))
		return errorf(err, len, "%.40s...: too long", s);
	strcpy(g->text, s);
	g->kind = SPEC_CGROUP;
	for (i = 0; i < ARRAY_SIZE(prefixes); i++) {
		size_t n = strlen(prefixes[i].prefix);

		if (!strncmp(s, prefixes[i].prefix, n)) {
			g->kind = prefixes[i].kind;
			if (!s[n])
				return errorf(err, len, "%s: nothing after '%s'", s, prefixes[i].prefix);
			return 0;
		}
	}
	return 0;
}

/* The part after the prefix, if any. */
static const char *spec_value(const struct group_spec *g)
{
	const char *colon = strchr(g->text, ':');

	if (g->kind == SPEC_CGROUP && strncmp(g->text, "cgroup:", 7))
		return g->text;
	return colon + 1;
}

static int number(const char *s, long long max, long long *out)
{
	char *end;
	long long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

int spec_resolve(struct group_spec *g, char *err, size_t len)
{
	const char *v = spec_value(g);
	char path[PATH_LEN + 64];
	struct stat st;
	struct statfs sf;

	switch (g->kind) {
	case SPEC_CGROUP:
		if (v[0] == '/')
			snprintf(path, sizeof(path), "%s", v);
		else
			snprintf(path, sizeof(path), "%s/%s", cgroup_root, v);
		if (stat(path, &st) || !S_ISDIR(st.st_mode))
			return errorf(err, len, "%s: no such cgroup", path);
		if (!statfs(path, &sf) && sf.f_type != CGROUP2_MAGIC &&
		    !getenv("IOBANDCTL_ANY_FS"))
			return errorf(err, len, "%s: not in a cgroup v2 hierarchy", path);
		g->id = (long long)st.st_ino;
		return 0;
	case SPEC_UID: {
		struct passwd *pw;

		if (!number(v, 0xfffffffeLL, &g->id))
			return 0;
		pw = getpwnam(v);
		if (!pw)
			return errorf(err, len, "%s: no such user", g->text);
		g->id = pw->pw_uid;
		return 0;
	}
	case SPEC_GID: {
		struct group *gr;

		if (!number(v, 0xfffffffeLL, &g->id))
			return 0;
		gr = getgrnam(v);
		if (!gr)
			return errorf(err, len, "%s: no such group", g->text);
		g->id = gr->gr_gid;
		return 0;
	}
	case SPEC_PID:
	case SPEC_PGRP:
		if (number(v, 0x7fffffffLL, &g->id) || !g->id)
			return errorf(err, len, "%s: expected a positive number", g->text);
		if (g->kind == SPEC_PID) {
			snprintf(path, sizeof(path), "/proc/%lld", g->id);
			if (access(path, F_OK))
				return errorf(err, len, "%s: no such process", g->text);
		}
		return 0;
	}
	return errorf(err, len, "%s: unknown kind", g->text);
}

int spec_check_type(const struct group_spec *g, const char *type,
		    char *err, size_t len)
{
	if (!strcmp(type, kind_type[g->kind]))
		return 0;
	if (!strcmp(type, "none"))
		return errorf(err, len, "%s: the device has group type none (no groups); set a type first",
		     g->text);
	return errorf(err, len, "%s is %s, but the device's groups are of type %s", g->text,
	     kind_name[g->kind], type);
}

/*
 * cgroup id -> path: one walk of the hierarchy's directories makes an
 * index sorted by inode (a cgroup's id), looked up by binary search.  An
 * id not in it makes a new walk, at most once a second (a cgroup made
 * since, or one gone).
 */
struct cg_entry {
	unsigned long long ino;
	char *path;
};
static struct cg_entry *cg_index;
static size_t cg_n, cg_cap;
static double cg_built = -1;
static const char *cg_root;		/* the cgroup_root it was built from */

static void cg_add(const char *path, unsigned long long ino)
{
	struct cg_entry *e;

	if (cg_n == cg_cap) {
		size_t cap = cg_cap ? 2 * cg_cap : 256;

		e = realloc(cg_index, cap * sizeof(*e));
		if (!e)
			return;
		cg_index = e;
		cg_cap = cap;
	}
	e = &cg_index[cg_n];
	e->path = strdup(path);
	if (!e->path)
		return;
	e->ino = ino;
	cg_n++;
}

/* Directories only: a cgroup's files are many and name no cgroup. */
static void cg_walk(const char *path, int depth)
{
	struct dirent *d;
	struct stat st;
	DIR *dir;

	if (stat(path, &st) || !S_ISDIR(st.st_mode))
		return;
	cg_add(path, (unsigned long long)st.st_ino);
	if (depth > 64 || !(dir = opendir(path)))
		return;
	while ((d = readdir(dir))) {
		char sub[PATH_LEN];

		if (d->d_type != DT_DIR || !strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", path, d->d_name) < (int)sizeof(sub))
			cg_walk(sub, depth + 1);
	}
	closedir(dir);
}

static int cg_cmp(const void *a, const void *b)
{
	const struct cg_entry *x = a, *y = b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void cg_build(void)
{
	size_t i;

	for (i = 0; i < cg_n; i++)
		free(cg_index[i].path);
	cg_n = 0;
	cg_walk(cgroup_root, 0);
	qsort(cg_index, cg_n, sizeof(*cg_index), cg_cmp);
	cg_built = mono_s();
	cg_root = cgroup_root;
}

static const char *cg_path(unsigned long long ino)
{
	struct cg_entry key = { .ino = ino }, *e;

	if (cg_built < 0 || cg_root != cgroup_root)
		cg_build();
	e = bsearch(&key, cg_index, cg_n, sizeof(*cg_index), cg_cmp);
	if (!e && mono_s() - cg_built >= 1) {
		cg_build();
		e = bsearch(&key, cg_index, cg_n, sizeof(*cg_index), cg_cmp);
	}
	return e ? e->path : NULL;
}

void group_label(const char *type, long long id, char *buf, size_t len)
{
	if (id == -1) {
		snprintf(buf, len, "default");
	} else if (!strcmp(type, "cgroup")) {
		const char *path = cg_path((unsigned long long)id);

		if (path)
			snprintf(buf, len, "%s", path);
		else
			snprintf(buf, len, "cgroup:%lld (gone)", id);
	} else if (!strcmp(type, "uid")) {
		struct passwd *pw = getpwuid((uid_t)id);

		if (pw)
			snprintf(buf, len, "user:%s", pw->pw_name);
		else
			snprintf(buf, len, "user:%lld", id);
	} else if (!strcmp(type, "gid")) {
		struct group *gr = getgrgid((gid_t)id);

		if (gr)
			snprintf(buf, len, "group:%s", gr->gr_name);
		else
			snprintf(buf, len, "group:%lld", id);
	} else {
		snprintf(buf, len, "%s:%lld", type, id);
	}
}
