/*
 * test_registry: the pieces of the registry transport that need no
 * registry: --platform parsing, URL origins (which decide where
 * credentials may go), per-host TLS settings from a certs.d tree and
 * --insecure-registry, the cache's reference index, and uncompressed
 * layer digests.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cache.h"
#include "certsd.h"
#include "diffid.h"
#include "http.h"
#include "platform.h"
#include "refindex.h"

static char *tmpdir(void)
{
	char *d = xstrdup("/tmp/hpc-test-registry.XXXXXX");

	assert_non_null(mkdtemp(d));
	return d;
}

static void rmtree(char *d)
{
	char *cmd = xasprintf("rm -rf '%s'", d);

	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(d);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void platform_ok(const char *s, const char *os, const char *arch,
			const char *variant)
{
	struct hpc_err err = { { 0 } };
	struct platform p = { 0 };

	assert_int_equal(platform_parse(s, &p, &err), 0);
	assert_string_equal(p.os, os);
	assert_string_equal(p.arch, arch);
	if (variant)
		assert_string_equal(p.variant, variant);
	else
		assert_null(p.variant);
	platform_release(&p);
}

static void test_platform(void **state)
{
	const char *bad[] = { "linux", "linux/", "/amd64", "linux//v7",
			      "linux/arm/", "linux/arm/v7/x", "" };
	struct hpc_err err = { { 0 } };
	struct platform p = { 0 };
	size_t i;

	platform_ok("linux/amd64", "linux", "amd64", NULL);
	platform_ok("linux/arm/v7", "linux", "arm", "v7");
	platform_ok("windows/arm64/v8", "windows", "arm64", "v8");
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(platform_parse(bad[i], &p, &err), -EINVAL);
		assert_non_null(strstr(err.msg, "is not OS/ARCH"));
		assert_null(p.os);
	}
}

static void origin_is(const char *url, const char *origin, const char *host)
{
	char *o = http_origin(url), *h = http_host(url);

	assert_string_equal(o, origin);
	assert_string_equal(h, host);
	free(o);
	free(h);
}

/* Credentials follow a redirect only when these strings are equal. */
static void test_origin(void **state)
{
	origin_is("https://r.example/v2/", "https://r.example:443",
		  "r.example:443");
	origin_is("https://r.example:443/x", "https://r.example:443",
		  "r.example:443");
	origin_is("http://127.0.0.1:5000/v2/a/blobs/x?sig=1",
		  "http://127.0.0.1:5000", "127.0.0.1:5000");
	origin_is("HTTPS://R.Example/x", "https://R.Example:443",
		  "R.Example:443");
	origin_is("http://s3.example/b", "http://s3.example:80",
		  "s3.example:80");
	assert_null(http_origin("not a url"));
}

static void test_insecure(void **state)
{
	const char *list[] = { "127.0.0.1:5000", "plain.example", NULL };
	struct certsd *c = certsd_new("/nonexistent", list);

	assert_true(certsd_insecure(c, "127.0.0.1:5000"));
	assert_false(certsd_insecure(c, "127.0.0.1:5001"));
	assert_false(certsd_insecure(c, "127.0.0.1"));
	assert_true(certsd_insecure(c, "plain.example"));
	assert_true(certsd_insecure(c, "plain.example:8443"));
	assert_false(certsd_insecure(c, "plain.example.org:443"));
	assert_true(certsd_tls(c, "127.0.0.1:5000")->insecure);
	assert_false(certsd_tls(c, "other:443")->insecure);
	assert_null(certsd_tls(c, "other:443")->ca_pem);
	certsd_free(c);
	c = certsd_new("/nonexistent", NULL);
	assert_false(certsd_insecure(c, "127.0.0.1:5000"));
	certsd_free(c);
}

static void test_certs_d(void **state)
{
	char *root = tmpdir(), *p;
	const struct http_tls *t;
	struct certsd *c;

	p = xasprintf("%s/reg.example:5000", root);
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
	p = xasprintf("%s/reg.example:5000/ca.crt", root);
	write_text(p, "-----BEGIN CERTIFICATE-----\nOURCA\n"
		   "-----END CERTIFICATE-----\n");
	free(p);
	p = xasprintf("%s/reg.example:5000/client.cert", root);
	write_text(p, "cert");
	free(p);
	p = xasprintf("%s/reg.example:5000/client.key", root);
	write_text(p, "key");
	free(p);
	/* A directory named without a port serves the default port. */
	p = xasprintf("%s/plain.example", root);
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
	p = xasprintf("%s/plain.example/x.crt", root);
	write_text(p, "PLAINCA\n");
	free(p);

	setenv("HPC_CERTS_D", root, 1);
	c = certsd_new(NULL, NULL);
	t = certsd_tls(c, "reg.example:5000");
	assert_non_null(t->ca_pem);
	assert_int_equal(strlen(t->ca_pem), t->ca_len);
	assert_non_null(strstr(t->ca_pem, "OURCA"));
	assert_non_null(strstr(t->cert, "/client.cert"));
	assert_non_null(strstr(t->key, "/client.key"));
	assert_false(t->insecure);
	assert_ptr_equal(certsd_tls(c, "reg.example:5000"), t);
	t = certsd_tls(c, "plain.example:443");
	assert_non_null(strstr(t->ca_pem, "PLAINCA"));
	assert_null(t->cert);
	assert_null(certsd_tls(c, "reg.example:443")->ca_pem);
	certsd_free(c);
	unsetenv("HPC_CERTS_D");
	rmtree(root);
}

#define DA "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DB "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static void test_refindex(void **state)
{
	struct hpc_err err = { { 0 } };
	char *cache = tmpdir(), *type = NULL, d[DIGEST_STR_LEN];

	assert_int_equal(refindex_get(cache, "r/a:1", d, &type, &err),
			 -ENOENT);
	assert_int_equal(refindex_put(cache, "r/a:1", DA, "t/a", &err), 0);
	assert_int_equal(refindex_put(cache, "r/a:10", DB, NULL, &err), 0);
	assert_int_equal(refindex_put(cache, "r/a:1", DB, "t/b", &err), 0);
	assert_int_equal(refindex_get(cache, "r/a:1", d, &type, &err), 0);
	assert_string_equal(d, DB);
	assert_string_equal(type, "t/b");
	free(type);
	/* "r/a:1" is not a prefix match for "r/a:10". */
	assert_int_equal(refindex_get(cache, "r/a:10", d, &type, &err), 0);
	assert_string_equal(d, DB);
	assert_string_equal(type, "");
	free(type);
	assert_int_equal(refindex_get(cache, "r/a", d, &type, &err), -ENOENT);
	rmtree(cache);
}

/* Put a file's bytes into the cache; its digest in ret. */
static void cache_file(const char *cache, const char *path,
		       char ret[DIGEST_STR_LEN])
{
	struct hpc_err err = { { 0 } };
	struct cache_writer *w = NULL;
	char *buf = NULL;
	size_t len = 0;

	assert_int_equal(read_file(path, 1 << 20, &buf, &len, &err), 0);
	assert_int_equal(cache_writer_new(cache, &w, &err), 0);
	assert_int_equal(cache_writer_write(w, buf, len, &err), 0);
	cache_writer_digest(w, ret);
	assert_int_equal(cache_writer_commit(w, NULL, &err), 0);
	cache_writer_free(w);
	free(buf);
}

/* sha256 of "hello\n", the diff_id of any compression of it. */
#define HELLO "sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"

static void test_diffid(void **state)
{
	struct hpc_err err = { { 0 } };
	char *cache = tmpdir(), *plain, *cmd, *mark;
	char got[DIGEST_STR_LEN], blob[DIGEST_STR_LEN];

	assert_int_equal(cache_init(cache, &err), 0);
	plain = xasprintf("%s/plain", cache);
	write_text(plain, "hello\n");
	assert_int_equal(diffid_compute(plain, got, &err), 0);
	assert_string_equal(got, HELLO);
	cmd = xasprintf("gzip -n -k '%s' && zstd -q '%s' -o '%s.zst'", plain,
			plain, plain);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(plain);

	plain = xasprintf("%s/plain.zst", cache);
	assert_int_equal(diffid_compute(plain, got, &err), 0);
	assert_string_equal(got, HELLO);
	free(plain);
	plain = xasprintf("%s/plain.gz", cache);
	assert_int_equal(diffid_compute(plain, got, &err), 0);
	assert_string_equal(got, HELLO);

	/* diffid_verify uncompresses the cached blob once, then marks it. */
	cache_file(cache, plain, blob);
	assert_int_equal(diffid_verify(cache, blob, HELLO, &err), 0);
	assert_int_equal(diffid_verify(cache, blob, DA, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "uncompressed digest mismatch (got "
				HELLO));
	mark = xasprintf("%s/diffids/sha256/%s", cache, blob + 7);
	assert_int_equal(access(mark, F_OK), 0);
	write_text(mark, DA);
	assert_int_equal(diffid_verify(cache, blob, DA, &err), 0);
	/* An uncompressed layer is its own diff_id. */
	assert_int_equal(diffid_verify(cache, DB, DB, &err), 0);
	free(mark);
	free(plain);
	rmtree(cache);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_platform),
		cmocka_unit_test(test_origin),
		cmocka_unit_test(test_insecure),
		cmocka_unit_test(test_certs_d),
		cmocka_unit_test(test_refindex),
		cmocka_unit_test(test_diffid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
