/*
 * digest: SHA-256 through OpenSSL's libcrypto. See digest.h.
 */
#include "digest.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

struct digest_ctx {
	EVP_MD_CTX *md;
};

struct digest_ctx *digest_new(void)
{
	struct digest_ctx *ctx = xmalloc(sizeof(*ctx));

	ctx->md = EVP_MD_CTX_new();
	if (!ctx->md || EVP_DigestInit_ex(ctx->md, EVP_sha256(), NULL) != 1) {
		fputs("hpc: cannot start SHA-256\n", stderr);
		abort();
	}
	return ctx;
}

void digest_update(struct digest_ctx *ctx, const void *data, size_t len)
{
	EVP_DigestUpdate(ctx->md, data, len);
}

void digest_final(struct digest_ctx *ctx, uint8_t out[DIGEST_LEN])
{
	unsigned int n = DIGEST_LEN;

	EVP_DigestFinal_ex(ctx->md, out, &n);
}

void digest_free(struct digest_ctx *ctx)
{
	if (!ctx)
		return;
	EVP_MD_CTX_free(ctx->md);
	free(ctx);
}

void digest_buf(const void *data, size_t len, uint8_t out[DIGEST_LEN])
{
	struct digest_ctx *ctx = digest_new();

	digest_update(ctx, data, len);
	digest_final(ctx, out);
	digest_free(ctx);
}

/* Read size: several threads digest files at once, each with its own. */
#define READ_CHUNK (1 << 16)

int digest_file(const char *path, uint8_t out[DIGEST_LEN], struct hpc_err *err)
{
	char *buf;
	struct digest_ctx *ctx;
	int fd, rc = 0;
	ssize_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(err, -errno, "cannot open '%s': %s", path,
			       strerror(errno));
	ctx = digest_new();
	buf = xmalloc(READ_CHUNK);
	while ((n = read(fd, buf, READ_CHUNK)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = err_set(err, -errno, "cannot read '%s': %s", path,
				     strerror(errno));
			goto out;
		}
		digest_update(ctx, buf, (size_t)n);
	}
	digest_final(ctx, out);
out:
	free(buf);
	digest_free(ctx);
	close(fd);
	return rc;
}

void digest_hex(const uint8_t d[DIGEST_LEN], char str[65])
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = 0; i < DIGEST_LEN; i++) {
		str[2 * i] = hex[d[i] >> 4];
		str[2 * i + 1] = hex[d[i] & 15];
	}
	str[64] = '\0';
}

void digest_format(const uint8_t d[DIGEST_LEN], char str[DIGEST_STR_LEN])
{
	memcpy(str, "sha256:", 7);
	digest_hex(d, str + 7);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int digest_parse(const char *s, uint8_t out[DIGEST_LEN])
{
	uint8_t d[DIGEST_LEN];
	int i, hi, lo;

	if (strncmp(s, "sha256:", 7) != 0 || strlen(s) != 7 + 64)
		return -EINVAL;
	s += 7;
	for (i = 0; i < DIGEST_LEN; i++) {
		hi = hexval(s[2 * i]);
		lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		d[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(out, d, sizeof(d));
	return 0;
}

void digest_derive(const uint8_t seed[DIGEST_LEN], const char *label,
		   uint8_t out[DIGEST_LEN])
{
	struct digest_ctx *ctx = digest_new();

	digest_update(ctx, label, strlen(label) + 1);
	digest_update(ctx, seed, DIGEST_LEN);
	digest_final(ctx, out);
	digest_free(ctx);
}

static uint8_t self_sum[DIGEST_LEN];
static int self_state;		/* 1 done, -EIO failed */
static pthread_once_t self_once = PTHREAD_ONCE_INIT;

static void digest_self_once(void)
{
	self_state = digest_file("/proc/self/exe", self_sum, NULL) < 0 ?
		      -EIO : 1;
}

int digest_self(uint8_t out[DIGEST_LEN])
{
	pthread_once(&self_once, digest_self_once);
	if (self_state < 0)
		return self_state;
	memcpy(out, self_sum, DIGEST_LEN);
	return 0;
}
