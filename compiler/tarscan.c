/*
 * tarscan: one pass over an image archive's entries. See tarscan.h.
 */
#include "tarscan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define READ_BUF (1u << 16)

int tarscan_err(struct archive *a, const char *file, struct hpc_err *err)
{
	int e = archive_errno(a);
	const char *s = archive_error_string(a);

	/* libarchive says EILSEQ for "not a tar", which is bad input */
	if (e == EILSEQ)
		e = EINVAL;
	return err_set(err, e > 0 ? -e : -EIO, "cannot read '%s': %s", file,
		       s ? s : "unknown error");
}

const char *tarscan_name(const char *name)
{
	while (name && (name[0] == '/' || (name[0] == '.' && name[1] == '/')))
		name += name[0] == '/' ? 1 : 2;
	return name ? name : "";
}

int tarscan_each(const char *file, tarscan_fn fn, void *arg,
		 struct hpc_err *err)
{
	struct archive *a = NULL;
	struct archive_entry *e;
	struct stat st;
	int rc = 0, r;

	/* libarchive's own words for a missing file leave out why */
	if (stat(file, &st) < 0)
		return err_set(err, -errno, "cannot open '%s': %s", file,
			       strerror(errno));
	if (S_ISDIR(st.st_mode))
		return err_set(err, -EISDIR, "'%s' is a directory, not an archive",
			       file);
	a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, file, READ_BUF) != ARCHIVE_OK) {
		rc = tarscan_err(a, file, err);
		goto out;
	}
	while (rc == 0) {
		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			rc = tarscan_err(a, file, err);
			break;
		}
		rc = fn(a, e, tarscan_name(archive_entry_pathname(e)), arg,
			err);
	}
out:
	archive_read_free(a);
	return rc < 0 ? rc : 0;
}

int tarscan_read_all(struct archive *a, const char *file, const char *name,
		     size_t max, char **ret, size_t *ret_len,
		     struct hpc_err *err)
{
	size_t len = 0, cap = 4096;
	char *buf = xmalloc(cap);
	la_ssize_t n;

	for (;;) {
		if (len + 1 >= cap)
			buf = xrealloc(buf, cap *= 2);
		n = archive_read_data(a, buf + len, cap - len - 1);
		if (n == 0)
			break;
		if (n < 0 || len + (size_t)n > max) {
			free(buf);
			if (n > 0)
				return err_set(err, -EFBIG,
					       "'%s' in '%s' is too large",
					       name, file);
			return tarscan_err(a, file, err);
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
}
