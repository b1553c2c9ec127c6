/*
 * test_auth: WWW-Authenticate challenges as RFC 7235 writes them, token
 * answers, and credentials from auth files and a credential helper.
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

#include "auth.h"
#include "authfile.h"

struct parsed {
	struct auth_challenge *c;
	size_t n;
};

static struct parsed parse_ok(const char *h)
{
	struct parsed p = { 0 };
	struct hpc_err err = { { 0 } };

	if (auth_challenges_parse(h, &p.c, &p.n, &err) != 0)
		fail_msg("'%s': %s", h, err.msg);
	return p;
}

static void parse_fails(const char *h, const char *text)
{
	struct auth_challenge *c = NULL;
	struct hpc_err err = { { 0 } };
	size_t n = 0;

	if (auth_challenges_parse(h, &c, &n, &err) != -EINVAL)
		fail_msg("'%s' parsed", h);
	if (!strstr(err.msg, text))
		fail_msg("'%s': '%s' has no '%s'", h, err.msg, text);
	assert_null(c);
}

static void test_bearer(void **state)
{
	struct parsed p = parse_ok(
		"Bearer realm=\"https://auth.example.com/token\","
		"service=\"registry.example.com\","
		"scope=\"repository:a/b:pull\"");

	assert_int_equal(p.n, 1);
	assert_string_equal(p.c[0].scheme, "bearer");
	assert_int_equal(p.c[0].n_params, 3);
	assert_string_equal(auth_challenge_param(&p.c[0], "REALM"),
			    "https://auth.example.com/token");
	assert_string_equal(auth_challenge_param(&p.c[0], "service"),
			    "registry.example.com");
	assert_string_equal(auth_challenge_param(&p.c[0], "scope"),
			    "repository:a/b:pull");
	assert_null(auth_challenge_param(&p.c[0], "error"));
	auth_challenges_free(p.c, p.n);
}

static void test_quoted_commas_escapes(void **state)
{
	struct parsed p = parse_ok(
		"Bearer realm=\"http://h/t\" , scope=\"repository:x/y:pull,push\","
		"error =  \"a \\\"quoted\\\" \\\\ word, too\", service=svc");

	assert_int_equal(p.n, 1);
	assert_int_equal(p.c[0].n_params, 4);
	assert_string_equal(auth_challenge_param(&p.c[0], "scope"),
			    "repository:x/y:pull,push");
	assert_string_equal(auth_challenge_param(&p.c[0], "error"),
			    "a \"quoted\" \\ word, too");
	assert_string_equal(auth_challenge_param(&p.c[0], "service"), "svc");
	auth_challenges_free(p.c, p.n);
}

static void test_several(void **state)
{
	/* RFC 7235's own example, with an empty list element and a token68. */
	struct parsed p = parse_ok(
		"Newauth realm=\"apps\", type=1, , "
		"title=\"Login to \\\"apps\\\"\", Basic realm=\"simple\", "
		"Negotiate abc+/de==, Bearer");
	const struct auth_challenge *b;

	assert_int_equal(p.n, 4);
	assert_string_equal(p.c[0].scheme, "newauth");
	assert_int_equal(p.c[0].n_params, 3);
	assert_string_equal(auth_challenge_param(&p.c[0], "type"), "1");
	assert_string_equal(auth_challenge_param(&p.c[0], "title"),
			    "Login to \"apps\"");
	b = auth_challenge_find(p.c, p.n, "BASIC");
	assert_ptr_equal(b, &p.c[1]);
	assert_string_equal(auth_challenge_param(b, "realm"), "simple");
	assert_string_equal(p.c[2].scheme, "negotiate");
	assert_string_equal(p.c[2].token68, "abc+/de==");
	assert_int_equal(p.c[2].n_params, 0);
	assert_string_equal(p.c[3].scheme, "bearer");
	assert_int_equal(p.c[3].n_params, 0);
	assert_null(auth_challenge_find(p.c, p.n, "digest"));
	auth_challenges_free(p.c, p.n);
}

static void test_malformed(void **state)
{
	parse_fails("", "no challenge");
	parse_fails(" , ,", "no challenge");
	parse_fails("Bearer realm=\"unterminated", "unterminated");
	parse_fails("Bearer realm=\"a\" service=\"b\"", "expected ','");
	parse_fails("Bearer realm=\"x\", service=", "after the scheme");
	parse_fails("Bearer ==", "expected parameters or a token68");
	parse_fails("Bearer abc/= def", "after token68");
	parse_fails("=x", "expected an auth scheme");
	parse_fails("\"Bearer\"", "expected an auth scheme");
	parse_fails("Bea{rer realm=x", "after the scheme");
	parse_fails("Bearer realm=\"a\x01\"", "unterminated");
}

static void token_ok(const char *json, const char *want, long expires)
{
	struct hpc_err err = { { 0 } };
	char *tok = NULL;
	long exp = 0;

	assert_int_equal(auth_token_parse(json, strlen(json), &tok, &exp, &err),
			 0);
	assert_string_equal(tok, want);
	assert_int_equal(exp, expires);
	free(tok);
}

static void test_token(void **state)
{
	struct hpc_err err = { { 0 } };
	char *tok = NULL;
	long exp = 0;

	token_ok("{\"token\":\"t1\",\"expires_in\":300}", "t1", 300);
	token_ok("{\"access_token\":\"t2\"}", "t2", 60);
	token_ok("{\"token\":\"\",\"access_token\":\"t3\",\"expires_in\":5}",
		 "t3", 60);
	token_ok("{\"token\":\"t4\",\"access_token\":\"t5\"}", "t4", 60);
	assert_int_equal(auth_token_parse("{}", 2, &tok, &exp, &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "no 'token'"));
	assert_int_equal(auth_token_parse("[1]", 3, &tok, &exp, &err),
			 -EINVAL);
	assert_null(tok);
}

/* base64 of "alice:pa:ss" (a colon inside the password is kept). */
#define ALICE "YWxpY2U6cGE6c3M="

static int file_lookup(const char *json, const char *registry,
		       struct authfile_cred *c, char **helper)
{
	struct hpc_err err = { { 0 } };

	memset(c, 0, sizeof(*c));
	*helper = NULL;
	return authfile_parse(json, strlen(json), registry, c, helper, &err);
}

static void test_authfile_auths(void **state)
{
	const char *json =
		"{\"auths\": {"
		"\"https://index.docker.io/v1/\": {\"auth\": \"" ALICE "\"},"
		"\"127.0.0.1:5000\": {\"username\": \"bob\", \"password\": \"pw\"},"
		"\"http://reg.example:8443/path\": {\"identitytoken\": \"rt\"},"
		"\"empty.example\": {}}}";
	struct authfile_cred c;
	char *helper;

	assert_int_equal(file_lookup(json, "docker.io", &c, &helper), 0);
	assert_string_equal(c.username, "alice");
	assert_string_equal(c.password, "pa:ss");
	authfile_cred_release(&c);
	assert_null(c.username);
	assert_int_equal(file_lookup(json, "127.0.0.1:5000", &c, &helper), 0);
	assert_string_equal(c.username, "bob");
	assert_string_equal(c.password, "pw");
	authfile_cred_release(&c);
	assert_int_equal(file_lookup(json, "reg.example:8443", &c, &helper),
			 0);
	assert_null(c.username);
	assert_string_equal(c.identity_token, "rt");
	authfile_cred_release(&c);
	assert_int_equal(file_lookup(json, "127.0.0.1:5001", &c, &helper),
			 -ENOENT);
	assert_int_equal(file_lookup(json, "reg.example", &c, &helper),
			 -ENOENT);
	assert_int_equal(file_lookup(json, "empty.example", &c, &helper),
			 -ENOENT);
}

static void test_authfile_helpers(void **state)
{
	const char *json =
		"{\"auths\": {\"a.example\": {\"auth\": \"" ALICE "\"},"
		"\"b.example\": {}},"
		"\"credHelpers\": {\"a.example\": \"pass\"},"
		"\"credsStore\": \"desktop\"}";
	struct authfile_cred c;
	char *helper;

	/* credHelpers wins over auths; credsStore covers the rest. */
	assert_int_equal(file_lookup(json, "a.example", &c, &helper), 1);
	assert_string_equal(helper, "pass");
	free(helper);
	assert_int_equal(file_lookup(json, "b.example", &c, &helper), 1);
	assert_string_equal(helper, "desktop");
	free(helper);
	assert_string_equal(authfile_helper_server("docker.io"),
			    "https://index.docker.io/v1/");
	assert_string_equal(authfile_helper_server("h:1"), "h:1");
}

static void test_authfile_malformed(void **state)
{
	struct hpc_err err = { { 0 } };
	struct authfile_cred c;
	char *helper;
	const char *json = "{\"auths\":{\"x\":{\"auth\":\"c2VjcmV0\"}}}";

	assert_int_equal(file_lookup("nope", "x", &c, &helper), -EINVAL);
	assert_int_equal(file_lookup("{\"auths\":{\"x\":{\"auth\":\"!!\"}}}",
				     "x", &c, &helper), -EINVAL);
	/* "user" with no colon: a message, and no secret in it. */
	assert_int_equal(authfile_parse(json, strlen(json), "x", &c, &helper,
					&err), -EINVAL);
	assert_null(strstr(err.msg, "secret"));
	assert_non_null(strstr(err.msg, "user:password"));
}

static void write_text(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

/* authfile_find through real files and a real helper program. */
static void test_find(void **state)
{
	char dir[] = "/tmp/hpc-test-auth.XXXXXX", *p, *path;
	struct hpc_err err = { { 0 } };
	struct authfile_cred c = { 0 };
	const char *old_path = getenv("PATH");

	assert_non_null(mkdtemp(dir));
	p = xasprintf("%s/auth.json", dir);
	write_text(p, "{\"auths\":{\"r.example\":{\"auth\":\"" ALICE "\"}},"
		   "\"credHelpers\":{\"h.example\":\"t\"}}", 0600);
	setenv("REGISTRY_AUTH_FILE", p, 1);
	setenv("DOCKER_CONFIG", dir, 1);
	free(p);
	p = xasprintf("%s/config.json", dir);
	write_text(p, "{\"auths\":{\"d.example\":{\"username\":\"u\","
		   "\"password\":\"v\"}}}", 0600);
	free(p);
	/* The helper checks what it is asked and answers for it. */
	p = xasprintf("%s/docker-credential-t", dir);
	write_text(p, "#!/bin/sh\n[ \"$1\" = get ] || exit 3\n"
		   "read -r s\n[ \"$s\" = h.example ] || "
		   "{ echo credentials not found; exit 1; }\n"
		   "echo '{\"ServerURL\":\"h.example\",\"Username\":\"hu\","
		   "\"Secret\":\"hs\"}'\n", 0755);
	free(p);
	path = xasprintf("%s:%s", dir, old_path ? old_path : "/usr/bin:/bin");
	setenv("PATH", path, 1);

	assert_int_equal(authfile_find("r.example", &c, &err), 0);
	assert_string_equal(c.username, "alice");
	authfile_cred_release(&c);
	assert_int_equal(authfile_find("d.example", &c, &err), 0);
	assert_string_equal(c.password, "v");
	authfile_cred_release(&c);
	assert_int_equal(authfile_find("h.example", &c, &err), 0);
	assert_string_equal(c.username, "hu");
	assert_string_equal(c.password, "hs");
	authfile_cred_release(&c);
	assert_int_equal(authfile_find("none.example", &c, &err), -ENOENT);

	/* A helper that is not installed means no credentials. */
	p = xasprintf("%s/auth.json", dir);
	write_text(p, "{\"credsStore\":\"missing-helper\"}", 0600);
	assert_int_equal(authfile_find("zz.example", &c, &err), -ENOENT);
	write_text(p, "{", 0600);
	assert_int_equal(authfile_find("zz.example", &c, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "auth file"));
	free(p);

	setenv("PATH", old_path ? old_path : "/usr/bin:/bin", 1);
	free(path);
	unsetenv("REGISTRY_AUTH_FILE");
	unsetenv("DOCKER_CONFIG");
	p = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(p), 0);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bearer),
		cmocka_unit_test(test_quoted_commas_escapes),
		cmocka_unit_test(test_several),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_token),
		cmocka_unit_test(test_authfile_auths),
		cmocka_unit_test(test_authfile_helpers),
		cmocka_unit_test(test_authfile_malformed),
		cmocka_unit_test(test_find),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
