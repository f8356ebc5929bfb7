/* SPDX-License-Identifier: GPL-2.0 */
/* iobandctl: device-mapper calls (dm.c), the only part using libdevmapper. */
#ifndef IOBANDCTL_DM_H
#define IOBANDCTL_DM_H

#include "iobandctl.h"

void dmx_init(int verbosity);
const char *dmx_error(void);
int dmx_table(const char *name, char *params, size_t len);
int dmx_status(const char *name, char *params, size_t len);
int dmx_list(char names[][NAME_LEN], int max);
int dmx_create(const char *name, unsigned long long sectors, const char *params);
int dmx_remove(const char *name);
int dmx_message(const char *name, const char *msg);
int dmx_message_out(const char *name, const char *msg, char *out, size_t len);
int dmx_blockdev(const char *dev, char *majmin, size_t len,
		 unsigned long long *sectors);

#endif /* IOBANDCTL_DM_H */
