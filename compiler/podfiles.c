/*
 * podfiles: fetch the pod's files into the build's private directory.
 * See podfiles.h.
 *
 * Every source goes through one sink that writes the bytes and hashes
 * them as they pass, so the sha256 check is the same for a file:, an
 * http: or an inline file, and a source is read once. The sink also
 * counts them against --max-layer-size: the pod's files become one more
 * layer of the root filesystems that bake them, which that limit bounds,
 * so a source that never ends (a server that keeps sending, a file
 * that keeps growing) stops there instead of filling TMPDIR.
 */
#include "podfiles.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "http.h"
#include "limit.h"

struct sink {
	int fd;
	const char *dest;
	struct digest_ctx *digest;
	uint64_t bytes;		/* written so far */
	bool over;		/* stopped at the limit */
};

static int sink_write(void *arg, const void *buf, size_t len,
		      struct hpc_err *err)
{
	struct sink *s = arg;
	const char *p = buf;
	ssize_t n;

	if (len > limits.layer_bytes - s->bytes) {
		s->over = true;
		return limit_exceeded(err, -EFBIG, &limits.layer_bytes, 0,
				      "bytes");
	}
	s->bytes += len;
	digest_update(s->digest, buf, len);
	while (len) {
		n = write(s->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_set(err, -errno, "cannot write '%s': %s",
				       s->dest, strerror(errno));
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int hex_digit(char c)
{
	static const char digits[] = "0123456789abcdef";
	const char *d = c ? strchr(digits, tolower((unsigned char)c)) : NULL;

	return d ? (int)(d - digits) : -1;
}

/* A URI's path with %XX escapes decoded; NULL when one is malformed. */
static char *uri_decode(const char *s)
{
	char *out = xmalloc(strlen(s) + 1), *o = out;
	int hi, lo;

	for (; *s; s++) {
		if (*s != '%') {
			*o++ = *s;
			continue;
		}
		hi = hex_digit(s[1]);
		lo = hi >= 0 ? hex_digit(s[2]) : -1;
		if (lo < 0 || (hi == 0 && lo == 0)) {
			free(out);
			return NULL;
		}
		*o++ = (char)(hi << 4 | lo);
		s += 2;
	}
	*o = '\0';
	return out;
}

char *podfiles_file_path(const char *uri, const char *pod_dir)
{
	char *path, *joined;
	const char *p;

	if (strncasecmp(uri, "file:", 5))
		return NULL;
	p = uri + 5;
	if (!strncmp(p, "//", 2)) {
		p += 2;
		if (!strncasecmp(p, "localhost/", 10))
			p += 9;
		else if (*p != '/')
			return NULL;	/* another host, or file://relative */
	}
	path = *p ? uri_decode(p) : NULL;
	if (!path || *path == '/' || !strcmp(pod_dir, "."))
		return path;
	joined = xasprintf("%s/%s", pod_dir, path);
	free(path);
	return joined;
}

/*
 * A file: source must be a regular file: a device could send bytes for
 * ever (/dev/zero) and a FIFO could keep the build waiting for a writer.
 */
static int from_path(const char *path, const char *what, struct sink *s,
		     struct hpc_err *err)
{
	char buf[65536];
	struct stat st;
	ssize_t n;
	int fd, r = 0;

	fd = open_regular(path, &st, err);
	if (fd < 0) {
		err_prefix(err, "%s.uri", what);
		return fd;
	}
	if ((uint64_t)st.st_size > limits.layer_bytes)
		r = limit_exceeded(err, -EFBIG, &limits.layer_bytes,
				   (uint64_t)st.st_size, "%s.uri: '%s': bytes",
				   what, path);
	while (r == 0 && (n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = err_set(err, -errno, "%s.uri: cannot read '%s': %s",
				    what, path, strerror(errno));
		else
			r = sink_write(s, buf, (size_t)n, err);
	}
	if (r < 0 && s->over)
		err_prefix(err, "%s.uri: '%s'", what, path);
	close(fd);
	return r;
}

static int from_http(const char *url, const char *what, struct sink *s,
		     struct hpc_err *err)
{
	struct http_request req = { .url = url, .write = sink_write,
				    .write_arg = s };
	struct http_response resp = { 0 };
	CURL *h;
	int r;

	http_global_init();
	h = curl_easy_init();
	if (!h)
		return err_set(err, -ENOMEM, "%s.uri: cannot start libcurl",
			       what);
	req.origin = http_origin(url);
	r = http_request_run(h, &req, &resp, err);
	if (r < 0)
		err_prefix(err, "%s.uri: cannot fetch '%s'", what, url);
	else if (resp.status < 200 || resp.status > 299)
		r = err_set(err, -EIO, "%s.uri: cannot fetch '%s': HTTP "
			    "status %ld", what, url, resp.status);
	free((char *)req.origin);
	http_response_release(&resp);
	curl_easy_cleanup(h);
	return r;
}

static bool is_http(const char *uri)
{
	return !strncasecmp(uri, "http://", 7) ||
	       !strncasecmp(uri, "https://", 8);
}

static int from_source(const struct spec_file *f, const char *what,
		       const char *pod_dir, struct sink *s,
		       struct hpc_err *err)
{
	char *path;
	int r;

	if (!f->uri) {
		r = sink_write(s, f->content, f->content_len, err);
		if (r < 0 && s->over)
			err_prefix(err, "%s.content", what);
		return r;
	}
	if (is_http(f->uri))
		return from_http(f->uri, what, s, err);
	path = podfiles_file_path(f->uri, pod_dir);
	if (!path)
		return err_set(err, -EINVAL, "%s.uri: '%s' is not a URI hpc "
			       "can fetch (expected http://, https:// or "
			       "file:)", what, f->uri);
	r = from_path(path, what, s, err);
	free(path);
	return r;
}

static int check_sha256(const struct spec_file *f, const char *what,
			struct digest_ctx *ctx, struct hpc_err *err)
{
	uint8_t d[DIGEST_LEN];
	char hex[65];

	if (!f->sha256)
		return 0;
	digest_final(ctx, d);
	digest_hex(d, hex);
	if (!strcmp(hex, f->sha256))
		return 0;
	return err_set(err, -EINVAL, "%s.sha256: the %s has SHA-256 %s, "
		       "not %s", what, f->uri ? "fetched file" : "content",
		       hex, f->sha256);
}

int podfiles_fetch(const struct spec_file *f, const char *what,
		   const char *pod_dir, const char *dest, struct hpc_err *err)
{
	struct sink s = { .dest = dest, .digest = digest_new() };
	int r;

	s.fd = open(dest, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (s.fd < 0) {
		r = err_set(err, -errno, "cannot create '%s': %s", dest,
			    strerror(errno));
		goto out;
	}
	r = from_source(f, what, pod_dir, &s, err);
	if (r == 0)
		r = check_sha256(f, what, s.digest, err);
	if (close(s.fd) < 0 && r == 0)
		r = err_set(err, -errno, "cannot write '%s': %s", dest,
			    strerror(errno));
out:
	digest_free(s.digest);
	return r;
}
