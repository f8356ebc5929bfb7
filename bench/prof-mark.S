/* SPDX-License-Identifier: GPL-2.0 */
/*
 * make profile: the guest runs this to set a mark.  It is linked at the
 * address tb-profile.so watches (mark= in bench/run-profile.sh) and
 * only exits: its first block is the mark.
 */
	.text
	.globl	_start
_start:
	mov	$60, %eax	/* exit(0) */
	xor	%edi, %edi
	syscall
