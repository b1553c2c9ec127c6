/*
 * diffid: uncompressed layer digests, checked once per cache, for stage
 * "fetch". See diffid.h.
 */
#include "diffid.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "cache.h"
#include "inflate.h"

#define BUF_SIZE (256u << 10)

int diffid_compute(const char *path, char ret[DIGEST_STR_LEN],
		   struct hpc_err *err)
{
	struct archive *a = archive_read_new();
	struct digest_ctx *ctx = digest_new();
	struct archive_entry *e;
	uint8_t sum[DIGEST_LEN];
	char *buf = xmalloc(BUF_SIZE);
	la_ssize_t n;
	int rc = 0, r;

	archive_read_support_filter_all(a);
	archive_read_support_format_raw(a);
	r = inflate_open(a, path, NULL);
	if (r == ARCHIVE_OK)
		r = archive_read_next_header(a, &e);
	while (r == ARCHIVE_OK && (n = archive_read_data(a, buf, BUF_SIZE)))
		if (n < 0)
			r = ARCHIVE_FATAL;
		else
			digest_update(ctx, buf, (size_t)n);
	/* An empty blob has no entry: its content is nothing at all. */
	if (r != ARCHIVE_OK && r != ARCHIVE_EOF)
		rc = err_set(err, -EIO, "cannot uncompress '%s': %s", path,
			     archive_error_string(a) ? archive_error_string(a) :
			     "unknown error");
	if (rc == 0) {
		digest_final(ctx, sum);
		digest_format(sum, ret);
	}
	archive_read_free(a);
	digest_free(ctx);
	free(buf);
	return rc;
}

static char *mark_path(const char *cache, const char *digest)
{
	return xasprintf("%s/diffids/sha256/%s", cache, digest + 7);
}

/* What a previous check found, or "" when there was none. */
static void read_mark(const char *path, char ret[DIGEST_STR_LEN])
{
	FILE *f = fopen(path, "re");

	ret[0] = '\0';
	if (!f)
		return;
	if (!fgets(ret, DIGEST_STR_LEN, f))
		ret[0] = '\0';
	fclose(f);
}

/* Best effort: a mark that cannot be written only costs time later. */
static void write_mark(const char *cache, const char *path,
		       const char *diff_id)
{
	char *top = xasprintf("%s/diffids", cache);
	char *dir = xasprintf("%s/sha256", top);
	char *tmp = xasprintf("%s.%ld.%ld.tmp", path, (long)getpid(),
			      (long)gettid());
	FILE *f;
	bool ok;

	(void)mkdir(top, 0755);
	(void)mkdir(dir, 0755);
	f = fopen(tmp, "we");
	if (f) {
		ok = fputs(diff_id, f) >= 0;
		ok = fclose(f) == 0 && ok;
		if (ok)
			(void)rename(tmp, path);
	}
	unlink(tmp);
	free(tmp);
	free(dir);
	free(top);
}

int diffid_verify(const char *cache, const char *digest, const char *want,
		  struct hpc_err *err)
{
	char *mark = mark_path(cache, digest), *blob = NULL;
	char got[DIGEST_STR_LEN];
	int rc = 0;

	if (!strcmp(digest, want))
		goto out;
	read_mark(mark, got);
	if (!*got) {
		blob = cache_blob_path(cache, digest);
		rc = diffid_compute(blob, got, err);
		if (rc < 0)
			goto out;
		write_mark(cache, mark, got);
	}
	if (strcmp(got, want) != 0)
		rc = err_set(err, -EBADMSG,
			     "uncompressed digest mismatch (got %s, the config's diff_id is %s)",
			     got, want);
out:
	free(blob);
	free(mark);
	return rc;
}
