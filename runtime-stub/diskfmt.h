/*
 * diskfmt: the container format of a pod image file, raw or qcow2, and
 * reading byte ranges of its disk whatever the format.
 *
 * Boot side of the chain: "hpc run" and "hpc inspect" read the GPT, the
 * manifest, the kernel and the initrd of an image that "hpc build -f
 * qcow2" wrote. The format is told by the file's magic, never by its
 * name. A qcow2's ranges are read by qemu-img, QEMU's own reader (every
 * qcow2 feature, zstd and zlib clusters included), into files of the
 * caller's choosing; the stub never parses qcow2 clusters itself.
 */
#ifndef HPC_DISKFMT_H
#define HPC_DISKFMT_H

#include <stdint.h>

#include "util.h"

enum diskfmt { DISKFMT_RAW, DISKFMT_QCOW2 };

/* diskfmt_name - "raw" or "qcow2", as QEMU's format= names them. */
const char *diskfmt_name(enum diskfmt f);

/* diskfmt_parse - "raw" or "qcow2" into *ret; -EINVAL for any other. */
int diskfmt_parse(const char *s, enum diskfmt *ret);

/*
 * diskfmt_probe - the format of the image file at path and the size of
 * the disk it holds (the file's size for raw, the virtual size for
 * qcow2). A qcow2 must hold its whole disk (diskfmt_qcow2_whole) and is
 * checked with "qemu-img check" first, so a truncated or damaged one is
 * refused here rather than read as zeros later.
 * Returns 0, or -errno with a message naming path.
 */
int diskfmt_probe(const char *path, enum diskfmt *ret_fmt,
		  uint64_t *ret_size, struct hpc_err *err);

/*
 * diskfmt_qcow2_whole - 0 when path is a qcow2 image that holds its
 * whole disk: no backing file and no external data file, either of which
 * would make QEMU read another host file that the image, not the user,
 * names. -EINVAL with a message naming path otherwise, or when path is
 * no qcow2 image at all; -errno when it cannot be read.
 */
int diskfmt_qcow2_whole(const char *path, struct hpc_err *err);

/*
 * diskfmt_read_qcow2 - the disk bytes [offset, offset + size) of the
 * qcow2 image at path, widened to whole 512-byte sectors, into the new
 * file dest (written by qemu-img; the caller removes it). *ret_skip is
 * where offset's byte lies in dest. Returns 0, or -errno with a message.
 */
int diskfmt_read_qcow2(const char *path, uint64_t offset, uint64_t size,
		       const char *dest, uint64_t *ret_skip,
		       struct hpc_err *err);

#endif
