// SPDX-License-Identifier: GPL-2.0
/*
 * make profile: a QEMU TCG plugin that counts the guest kernel's
 * instructions per function, exactly, between marks the guest sets.
 *
 *   qemu-system-x86_64 ... -plugin tb-profile.so,mark=0x..,syms=F,out=O
 *
 * Every translation block of kernel code counts its executions.  Each
 * time the guest runs user code at the address @mark (a tiny program,
 * prof-mark.S, linked there), the counts are copied: a window is the
 * difference between two copies.  At exit the kernel's text symbols are
 * read from @syms (/proc/kallsyms as the guest wrote it; a module's
 * function is named "name[module]"), and each window's instructions are
 * summed per function to @out, a line "window symbol instructions" each.
 *
 * A block that an exception (a page fault) leaves early counts in full,
 * so the figures can be above the truth by a few instructions per
 * exception.  One vCPU: the counts are plain adds, not atomic.
 *
 * With blocks=STRING, the blocks of each function whose name contains
 * STRING are written too, a line "window symbol+offset instructions runs"
 * each: where within a function its instructions go (objdump -d of the
 * module gives the offsets).
 *
 * The plugin API is declared in qemu-plugin-api.h, as QEMU 7.2 (Debian
 * 12) defines it (plugin API version 1): Debian ships no header for it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu-plugin-api.h"

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

#define KERNEL_START	0xffff800000000000ULL
#define HASH_BITS	18
#define MAX_WINDOWS	64

/* A block of code, by address and length (a block is retranslated). */
struct block {
	uint64_t va;
	uint64_t insns;
	uint64_t runs;
	struct block *next;	/* in its hash chain */
};

struct sym {
	uint64_t va;
	char *name;
};

static struct block *hash[1 << HASH_BITS];
static struct block **blocks;
static size_t nblocks, cap;
static uint64_t *copies[MAX_WINDOWS + 1];	/* runs of each block at a mark */
static size_t ncopied[MAX_WINDOWS + 1];
static int marks;
static uint64_t mark;
static const char *syms_path, *out_path, *blocks_of;

static struct block *block_of(uint64_t va, uint64_t insns)
{
	size_t h = ((va >> 2) ^ (va >> 20) ^ insns) & ((1 << HASH_BITS) - 1);
	struct block *b;

	for (b = hash[h]; b; b = b->next)
		if (b->va == va && b->insns == insns)
			return b;
	if (nblocks == cap) {
		cap = cap ? 2 * cap : 65536;
		blocks = realloc(blocks, cap * sizeof(*blocks));
		if (!blocks)
			abort();
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		abort();
	b->va = va;
	b->insns = insns;
	b->next = hash[h];
	hash[h] = b;
	blocks[nblocks++] = b;
	return b;
}

static void on_mark(unsigned int vcpu, void *udata)
{
	size_t i;

	(void)vcpu;
	(void)udata;
	if (marks > MAX_WINDOWS)
		return;
	copies[marks] = malloc(nblocks * sizeof(uint64_t));
	if (!copies[marks])
		abort();
	for (i = 0; i < nblocks; i++)
		copies[marks][i] = blocks[i]->runs;
	ncopied[marks++] = nblocks;
}

static void on_translate(uint64_t id, struct qemu_plugin_tb *tb)
{
	uint64_t va = qemu_plugin_tb_vaddr(tb);
	struct block *b;

	(void)id;
	if (va == mark) {
		qemu_plugin_register_vcpu_tb_exec_cb(tb, on_mark,
						     QEMU_PLUGIN_CB_NO_REGS, NULL);
		return;
	}
	if (va < KERNEL_START)
		return;
	b = block_of(va, qemu_plugin_tb_n_insns(tb));
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
						 &b->runs, 1);
}

static int by_va(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	return x->va < y->va ? -1 : x->va > y->va;
}

/* The text symbols of @path, sorted; their number in *@n. */
static struct sym *read_syms(const char *path, size_t *n)
{
	char line[512], type, name[256], mod[256];
	struct sym *s = NULL;
	size_t len = 0, room = 0;
	unsigned long long va;
	FILE *f = fopen(path, "r");
	int k;

	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		mod[0] = 0;
		k = sscanf(line, "%llx %c %255s %255s", &va, &type, name, mod);
		if (k < 3 || (type != 't' && type != 'T'))
			continue;
		if (len == room) {
			room = room ? 2 * room : 65536;
			s = realloc(s, room * sizeof(*s));
			if (!s)
				abort();
		}
		s[len].va = va;
		s[len].name = malloc(strlen(name) + strlen(mod) + 1);
		if (!s[len].name)
			abort();
		strcpy(s[len].name, name);
		strcat(s[len].name, mod);
		len++;
	}
	fclose(f);
	qsort(s, len, sizeof(*s), by_va);
	*n = len;
	return s;
}

/* The symbol @va is in, or -1. */
static long sym_of(const struct sym *s, size_t n, uint64_t va)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (s[mid].va <= va)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (long)lo - 1;
}

static void write_windows(uint64_t id, void *udata)
{
	struct sym *s;
	size_t n = 0, i;
	uint64_t *sum;
	FILE *out;
	int w;

	(void)id;
	(void)udata;
	s = read_syms(syms_path, &n);
	out = fopen(out_path, "w");
	if (!s || !out) {
		fprintf(stderr, "tb-profile: cannot read %s or write %s\n",
			syms_path, out_path);
		return;
	}
	sum = calloc(n + 1, sizeof(*sum));	/* [n]: no symbol */
	if (!sum)
		abort();
	for (w = 1; w < marks; w++) {
		memset(sum, 0, (n + 1) * sizeof(*sum));
		for (i = 0; i < ncopied[w]; i++) {
			uint64_t before = i < ncopied[w - 1] ? copies[w - 1][i] : 0;
			uint64_t runs = copies[w][i] - before;
			long k;

			if (!runs)
				continue;
			k = sym_of(s, n, blocks[i]->va);
			sum[k < 0 ? n : (size_t)k] += runs * blocks[i]->insns;
			if (blocks_of && k >= 0 && strstr(s[k].name, blocks_of))
				fprintf(out, "%d %s+0x%llx %llu %llu\n", w,
					s[k].name,
					(unsigned long long)(blocks[i]->va - s[k].va),
					(unsigned long long)blocks[i]->insns,
					(unsigned long long)runs);
		}
		for (i = 0; i <= n; i++)
			if (sum[i])
				fprintf(out, "%d %s %llu\n", w,
					i < n ? s[i].name : "?",
					(unsigned long long)sum[i]);
	}
	fclose(out);
}

__attribute__((visibility("default")))
int qemu_plugin_install(uint64_t id, const struct qemu_info_t *info,
			int argc, char **argv)
{
	int i;

	(void)info;
	for (i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "mark=", 5))
			mark = strtoull(argv[i] + 5, NULL, 16);
		else if (!strncmp(argv[i], "syms=", 5))
			syms_path = argv[i] + 5;
		else if (!strncmp(argv[i], "out=", 4))
			out_path = argv[i] + 4;
		else if (!strncmp(argv[i], "blocks=", 7))
			blocks_of = argv[i] + 7;
	}
	if (!mark || !syms_path || !out_path) {
		fprintf(stderr, "tb-profile: needs mark=, syms= and out=\n");
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
	qemu_plugin_register_atexit_cb(id, write_windows, NULL);
	return 0;
}
