/*
 * digest: SHA-256 of buffers, files and streams, for verifying blobs
 * against their OCI digests and for deriving reproducible identifiers
 * (filesystem UUIDs, GPT GUIDs) from the build's inputs.
 */
#ifndef HPC_DIGEST_H
#define HPC_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define DIGEST_LEN 32
/* "sha256:" and 64 hex digits and the NUL. */
#define DIGEST_STR_LEN (7 + 64 + 1)

struct digest_ctx;

/* digest_new - a running SHA-256; free it with digest_free. */
struct digest_ctx *digest_new(void);
void digest_update(struct digest_ctx *ctx, const void *data, size_t len);
/* digest_final - write the 32-byte result to out; ctx stays allocated. */
void digest_final(struct digest_ctx *ctx, uint8_t out[DIGEST_LEN]);
void digest_free(struct digest_ctx *ctx);

void digest_buf(const void *data, size_t len, uint8_t out[DIGEST_LEN]);
/* digest_file - SHA-256 of a file's bytes; -errno with a message. */
int digest_file(const char *path, uint8_t out[DIGEST_LEN],
		struct hpc_err *err);

/* digest_format - "sha256:<hex>" into str (DIGEST_STR_LEN bytes). */
void digest_format(const uint8_t d[DIGEST_LEN], char str[DIGEST_STR_LEN]);
/* digest_hex - 64 lowercase hex digits into str (65 bytes). */
void digest_hex(const uint8_t d[DIGEST_LEN], char str[65]);
/*
 * digest_parse - accept "sha256:<64 lowercase hex>" only; returns 0 and
 * fills out, or -EINVAL.
 */
int digest_parse(const char *s, uint8_t out[DIGEST_LEN]);

/*
 * digest_self - the digest of the running hpc binary, read once: what a
 * cached result made by this program is keyed on. Returns 0, or -EIO
 * when the binary cannot be read.
 */
int digest_self(uint8_t out[DIGEST_LEN]);

/*
 * digest_derive - a reproducible identifier: SHA-256 of the label and the
 * seed, so that each use of one seed (a UUID, a hash seed, a GUID) differs.
 */
void digest_derive(const uint8_t seed[DIGEST_LEN], const char *label,
		   uint8_t out[DIGEST_LEN]);

#endif
