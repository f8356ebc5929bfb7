// SPDX-License-Identifier: GPL-2.0
/*
 * runas: run a command as a given uid/gid, in a given cgroup and/or a new
 * process group, for the ioband VM tests.  Built static, runs in the guest.
 *
 *   runas [--cgroup DIR] [--uid N] [--gid N] [--newpgrp] [--delay S] -- CMD...
 *
 * --delay sleeps before the exec, so that the caller can attach this
 * process's pid or pgrp to an ioband device before it does any I/O.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void die(const char *what, const char *arg)
{
	fprintf(stderr, "runas: %s %s: %s\n", what, arg ? arg : "",
		strerror(errno));
	exit(1);
}

static void join_cgroup(const char *dir)
{
	char path[4096], pid[32];
	int fd, n;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		die("open", path);
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (write(fd, pid, (size_t)n) != n)
		die("write", path);
	close(fd);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cgroup", required_argument, NULL, 'c' },
		{ "uid", required_argument, NULL, 'u' },
		{ "gid", required_argument, NULL, 'g' },
		{ "newpgrp", no_argument, NULL, 'p' },
		{ "delay", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long uid = -1, gid = -1;
	int c, newpgrp = 0;
	unsigned int delay = 0;

	while ((c = getopt_long(argc, argv, "+c:u:g:pd:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			join_cgroup(optarg);
			break;
		case 'u':
			uid = strtol(optarg, NULL, 10);
			break;
		case 'g':
			gid = strtol(optarg, NULL, 10);
			break;
		case 'p':
			newpgrp = 1;
			break;
		case 'd':
			delay = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'h':
			printf("usage: runas [--cgroup DIR] [--uid N] [--gid N] [--newpgrp] [--delay S] -- CMD [ARG...]\n");
			return 0;
		default:
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "runas: no command\n");
		return 2;
	}
	if (newpgrp && setpgid(0, 0))
		die("setpgid", NULL);
	if (gid >= 0 && (setgroups(0, NULL) || setgid((gid_t)gid)))
		die("setgid", NULL);
	if (uid >= 0 && setuid((uid_t)uid))
		die("setuid", NULL);
	if (delay)
		sleep(delay);
	execvp(argv[optind], &argv[optind]);
	die("exec", argv[optind]);
	return 1;
}
