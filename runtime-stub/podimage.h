/*
 * podimage: the runtime stub's view of a pod image: the manifest that
 * "hpc build" wrote into the hpc-manifest partition, and the kernel and
 * initrd it points to (docs/image-format.md).
 *
 * Boot side of the chain: the manifest is read and checked first, so a
 * broken image fails with one message before QEMU is ever started; the
 * kernel and initrd are copied out and verified against their SHA-256.
 */
#ifndef HPC_PODIMAGE_H
#define HPC_PODIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "diskfmt.h"
#include "util.h"

#define PODIMAGE_FORMAT 1
#define PODIMAGE_MANIFEST_PART "hpc-manifest"
/*
 * The manifest partition holds the JSON, a NUL, then the seal: the JSON's
 * SHA-256 as "sha256:HEX\n" (PODIMAGE_SEAL_LEN bytes), then NULs.
 */
#define PODIMAGE_SEAL_LEN (DIGEST_STR_LEN - 1 + 1)

/* A byte range of the disk with the SHA-256 its bytes must have. */
struct podimage_blob {
	uint64_t offset;
	uint64_t size;
	uint8_t sha256[DIGEST_LEN];
};

/*
 * The most ports a pod may publish, every port of every range counted.
 * Each is one forward of QEMU's user network: one listening socket in
 * QEMU (a few more than 1000 reach the usual limit of 1024 open files,
 * which hpc run raises), and up to 35 bytes of the one -netdev argument
 * (the kernel takes at most 128 KiB an argument, about 3700 forwards).
 */
#define PODIMAGE_MAX_PORTS 1024

/* A published port: host_port 0 means "pick a free one". */
struct podimage_port {
	unsigned host_port;
	unsigned container_port;
	bool udp;
};

struct podimage_manifest {
	char *name;
	char *hostname;
	char *cmdline;
	unsigned memory;		/* MiB */
	unsigned vcpu;
	bool tty;
	struct podimage_blob kernel;
	struct podimage_blob initrd;
	struct podimage_port *ports;
	size_t n_ports;
	char **containers;		/* names in plan order, or NULL */
	enum diskfmt format;		/* of the image file read */
};

/*
 * podimage_parse - parse and check a manifest held in json[0..len). Fills
 * *ret (release it with podimage_release) and returns 0, or returns
 * -EINVAL with a message naming the field or the place of a JSON error.
 */
int podimage_parse(const char *json, size_t len,
		   struct podimage_manifest *ret, struct hpc_err *err);

/*
 * podimage_seal - the seal of json[0..len) into ret (PODIMAGE_SEAL_LEN
 * bytes and a NUL), as the build writes it after the JSON's NUL.
 */
void podimage_seal(const char *json, size_t len,
		   char ret[PODIMAGE_SEAL_LEN + 1]);

/*
 * podimage_read - open the disk image at path (raw or qcow2, told by its
 * magic; m.format says which), find its hpc-manifest
 * partition, parse the JSON (up to the first NUL) and check that the
 * kernel and initrd ranges lie within the image. Fills *ret (release it
 * with podimage_release) and returns 0, or -errno with a message that
 * names path and the problem.
 */
int podimage_read(const char *path, struct podimage_manifest *ret,
		  struct hpc_err *err);

void podimage_release(struct podimage_manifest *m);

/*
 * podimage_read_json - the manifest's text as the image holds it, newly
 * allocated in *ret_json (NUL-terminated, *ret_len bytes), once it has
 * passed every check podimage_read makes, with the same messages.
 */
int podimage_read_json(const char *path, char **ret_json, size_t *ret_len,
		       struct hpc_err *err);

/*
 * podimage_extract - copy blob's bytes out of the image at path into a
 * new file dest (mode 0600, which must not exist), checking its SHA-256;
 * what ("kernel", "initrd") names it in messages. Returns 0, or -errno
 * with a message; on failure dest is removed.
 */
int podimage_extract(const char *path, const struct podimage_blob *blob,
		     const char *what, const char *dest, struct hpc_err *err);

#endif
