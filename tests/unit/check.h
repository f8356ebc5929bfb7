/* SPDX-License-Identifier: GPL-2.0 */
/* Minimal test reporting for the userspace unit tests. */
#ifndef IOBAND_CHECK_H
#define IOBAND_CHECK_H
#include <stdio.h>

static int check_passed __attribute__((unused)), check_failed __attribute__((unused));
static int tests_passed, tests_failed;

#define CHECK(cond, ...)						\
	do {								\
		if (cond) {						\
			check_passed++;					\
		} else {						\
			check_failed++;					\
			printf("not ok - %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			printf(__VA_ARGS__);				\
			printf("\n");					\
		}							\
	} while (0)

/* A named result line for a test that measures something. */
#define RESULT(ok, name, ...)						\
	do {								\
		if (ok)							\
			tests_passed++;					\
		else							\
			tests_failed++;					\
		printf("%s - %s: ", (ok) ? "ok" : "not ok", name);	\
		printf(__VA_ARGS__);					\
		printf("\n");						\
	} while (0)

/* Run a test function of CHECKs; one result line for it. */
#define RUN(fn)								\
	do {								\
		int before_ok = check_passed, before_bad = check_failed; \
		fn();							\
		if (check_failed == before_bad)				\
			tests_passed++;					\
		else							\
			tests_failed++;					\
		printf("%s - %s: %d checks, %d failed\n",		\
		       check_failed == before_bad ? "ok" : "not ok", #fn, \
		       check_passed - before_ok + check_failed - before_bad, \
		       check_failed - before_bad);			\
	} while (0)

static inline int check_summary(const char *what)
{
	printf("%s: %d passed, %d failed\n", what, tests_passed, tests_failed);
	return tests_failed ? 1 : 0;
}
#endif
