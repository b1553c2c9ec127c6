/*
 * partitions: find the disk's partitions by their GPT names (hpc-root-N,
 * docs/image-format.md), never by guessing device names. The kernel
 * publishes each partition's name as PARTNAME= in its sysfs uevent.
 */
#ifndef HPC_INIT_PARTITIONS_H
#define HPC_INIT_PARTITIONS_H

#include <stddef.h>
#include <sys/types.h>

#include "errmsg.h"

/*
 * partitions_find - wait up to timeout_ms for a partition named name and
 * put the path of its block device in ret_path (made with mknod when
 * devtmpfs has no node). Returns 0, or -ENOENT or -errno with a message.
 */
int partitions_find(const char *name, unsigned timeout_ms, char *ret_path,
		    size_t size, struct errmsg *e);

/*
 * partitions_uevent_match - 1 when the uevent text (KEY=VALUE lines) is a
 * partition named name, with its DEVNAME in ret_devname and its device
 * number in *ret_dev; else 0.
 */
int partitions_uevent_match(const char *text, const char *name,
			    char *ret_devname, size_t size, dev_t *ret_dev);

#endif
