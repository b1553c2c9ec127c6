/*
 * authfile: credentials for a registry from auth files and credential
 * helpers, for the registry client of stage "fetch". See authfile.h.
 *
 * Docker and podman write the same JSON: "auths" maps a registry to a
 * base64 "user:password" (or "username"/"password", or an
 * "identitytoken"), "credHelpers" maps a registry to a helper name, and
 * "credsStore" names the helper for every other registry. A helper is
 * the program docker-credential-NAME: it reads the server on stdin and
 * answers {"Username": ..., "Secret": ...} on stdout.
 */
#include "authfile.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cJSON.h>
#include <openssl/evp.h>

#define FILE_MAX (1u << 20)
#define HELPER_OUT_MAX (64u << 10)

extern char **environ;

/* Names of Docker Hub that auth files use for it. */
static const char *const hub_names[] = {
	"docker.io", "index.docker.io", "registry-1.docker.io",
	"registry.hub.docker.com",
};

static bool is_hub(const char *host, size_t n)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(hub_names); i++)
		if (strlen(hub_names[i]) == n && !memcmp(hub_names[i], host, n))
			return true;
	return false;
}

/* Whether a key ("https://host:port/v1/", "host") names registry. */
static bool key_matches(const char *key, const char *registry)
{
	const char *slash;
	size_t n;

	if (!strncmp(key, "https://", 8))
		key += 8;
	else if (!strncmp(key, "http://", 7))
		key += 7;
	slash = strchr(key, '/');
	n = slash ? (size_t)(slash - key) : strlen(key);
	if (is_hub(key, n) && is_hub(registry, strlen(registry)))
		return true;
	return strlen(registry) == n && !strncmp(key, registry, n);
}

const char *authfile_helper_server(const char *registry)
{
	/* Docker Hub's credentials are stored under its old v1 address. */
	if (is_hub(registry, strlen(registry)))
		return "https://index.docker.io/v1/";
	return registry;
}

/* Wipe every string of a parsed document before it is freed. */
static void wipe_json(cJSON *j)
{
	for (; j; j = j->next) {
		if (j->valuestring)
			explicit_bzero(j->valuestring, strlen(j->valuestring));
		wipe_json(j->child);
	}
}

static void free_secret(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
	free(s);
}

void authfile_cred_release(struct authfile_cred *c)
{
	if (!c)
		return;
	free_secret(c->username);
	free_secret(c->password);
	free_secret(c->identity_token);
	memset(c, 0, sizeof(*c));
}

static const char *str_member(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) && *v->valuestring ? v->valuestring : NULL;
}

/* "auth": base64 of "user:password". */
static int decode_auth(const char *b64, struct authfile_cred *c,
		       struct hpc_err *err)
{
	size_t n = strlen(b64), pad = 0;
	unsigned char *buf = xmalloc(n / 4 * 3 + 4);
	char *colon;
	int len, rc = 0;

	while (pad < n && pad < 2 && b64[n - 1 - pad] == '=')
		pad++;
	len = n % 4 ? -1 : EVP_DecodeBlock(buf, (const unsigned char *)b64,
					    (int)n);
	if (len < 0) {
		rc = err_set(err, -EINVAL, "an 'auth' value is not base64");
		goto out;
	}
	buf[len - (int)pad] = '\0';
	colon = strchr((char *)buf, ':');
	if (!colon) {
		rc = err_set(err, -EINVAL,
			     "an 'auth' value is not base64 of 'user:password'");
		goto out;
	}
	c->username = xstrndup((char *)buf, (size_t)(colon - (char *)buf));
	c->password = xstrdup(colon + 1);
out:
	explicit_bzero(buf, n / 4 * 3 + 4);
	free(buf);
	return rc;
}

/* One "auths" entry; -ENOENT when it holds nothing usable. */
static int parse_entry(const cJSON *e, struct authfile_cred *c,
		       struct hpc_err *err)
{
	const char *auth = str_member(e, "auth");
	const char *user = str_member(e, "username");
	const char *pass = str_member(e, "password");
	const char *idt = str_member(e, "identitytoken");
	int rc = -ENOENT;

	if (auth)
		rc = decode_auth(auth, c, err);
	else if (user && pass) {
		c->username = xstrdup(user);
		c->password = xstrdup(pass);
		rc = 0;
	}
	if (rc != -ENOENT && rc < 0)
		return rc;
	if (idt) {
		c->identity_token = xstrdup(idt);
		rc = 0;
	}
	return rc;
}

/* The first member of obj whose key names registry, or NULL. */
static const cJSON *find_key(const cJSON *obj, const char *registry)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, obj)
		if (it->string && key_matches(it->string, registry))
			return it;
	return NULL;
}

static int lookup(const cJSON *root, const char *registry,
		  struct authfile_cred *ret, char **ret_helper,
		  struct hpc_err *err)
{
	const cJSON *helpers, *auths, *h, *e;
	const char *store = str_member(root, "credsStore");
	int rc;

	helpers = cJSON_GetObjectItemCaseSensitive(root, "credHelpers");
	h = cJSON_IsObject(helpers) ? find_key(helpers, registry) : NULL;
	if (cJSON_IsString(h) && *h->valuestring) {
		*ret_helper = xstrdup(h->valuestring);
		return 1;
	}
	auths = cJSON_GetObjectItemCaseSensitive(root, "auths");
	e = cJSON_IsObject(auths) ? find_key(auths, registry) : NULL;
	if (e) {
		rc = parse_entry(e, ret, err);
		if (rc != -ENOENT)
			return rc;
	}
	if (store) {
		*ret_helper = xstrdup(store);
		return 1;
	}
	return -ENOENT;
}

int authfile_parse(const char *json, size_t len, const char *registry,
		   struct authfile_cred *ret, char **ret_helper,
		   struct hpc_err *err)
{
	cJSON *root = cJSON_ParseWithLength(json, len);
	struct authfile_cred c = { 0 };
	int rc;

	if (!cJSON_IsObject(root)) {
		rc = err_set(err, -EINVAL, "not a JSON object");
		goto out;
	}
	rc = lookup(root, registry, &c, ret_helper, err);
	if (rc == 0) {
		*ret = c;
		memset(&c, 0, sizeof(c));
	}
out:
	authfile_cred_release(&c);
	wipe_json(root);
	cJSON_Delete(root);
	return rc;
}

/* The server name as the helper's stdin, in a file nothing else sees. */
static int helper_stdin(const char *server, struct hpc_err *err)
{
	int fd = memfd_create("hpc-helper-in", MFD_CLOEXEC);
	size_t n = strlen(server);

	if (fd < 0)
		return err_set(err, -errno, "memfd_create: %s",
			       strerror(errno));
	if (write(fd, server, n) != (ssize_t)n ||
	    lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return err_set(err, -EIO, "cannot write a helper's input");
	}
	return fd;
}

static void read_all(int fd, char *buf, size_t max, size_t *ret_len)
{
	size_t len = 0;
	ssize_t n;

	while (len < max) {
		n = read(fd, buf + len, max - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	*ret_len = len;
}

/*
 * Run "docker-credential-NAME get". Returns 0 with its stdout, -ENOENT
 * when it is not installed or knows nothing of server.
 */
static int run_helper(const char *prog, const char *server, char **ret_out,
		      size_t *ret_len, struct hpc_err *err)
{
	char *argv[] = { (char *)prog, (char *)"get", NULL };
	char *out = xmalloc(HELPER_OUT_MAX + 1);
	posix_spawn_file_actions_t fa;
	int in, pipefd[2] = { -1, -1 }, status, rc;
	pid_t pid;
	size_t len;

	in = helper_stdin(server, err);
	if (in < 0 || pipe2(pipefd, O_CLOEXEC) < 0) {
		rc = in < 0 ? in : err_set(err, -errno, "pipe: %s",
					   strerror(errno));
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	rc = -posix_spawnp(&pid, prog, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	pipefd[1] = -1;
	if (rc < 0)
		goto out;
	read_all(pipefd[0], out, HELPER_OUT_MAX, &len);
	out[len] = '\0';
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		/* "credentials not found" is how helpers say no entry. */
		rc = strstr(out, "not found") ? -ENOENT :
		     err_set(err, -EIO, "'%s get' failed", prog);
		goto out;
	}
	*ret_out = out;
	*ret_len = len;
	out = NULL;
out:
	if (out)
		explicit_bzero(out, HELPER_OUT_MAX + 1);
	free(out);
	if (in >= 0)
		close(in);
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	return rc;
}

static int parse_helper_out(const char *out, size_t len, const char *prog,
			    struct authfile_cred *c, struct hpc_err *err)
{
	cJSON *root = cJSON_ParseWithLength(out, len);
	const char *user = str_member(root, "Username");
	const char *secret = str_member(root, "Secret");
	int rc = 0;

	if (!secret) {
		rc = err_set(err, -EINVAL, "'%s get' answered no 'Secret'",
			     prog);
	} else if (!user || !strcmp(user, "<token>")) {
		/* A helper keeps an OAuth2 refresh token under this name. */
		c->identity_token = xstrdup(secret);
	} else {
		c->username = xstrdup(user);
		c->password = xstrdup(secret);
	}
	wipe_json(root);
	cJSON_Delete(root);
	return rc;
}

static int ask_helper(const char *name, const char *registry,
		      struct authfile_cred *c, struct hpc_err *err)
{
	char *prog = xasprintf("docker-credential-%s", name), *out = NULL;
	size_t len = 0;
	int rc;

	rc = run_helper(prog, authfile_helper_server(registry), &out, &len,
			err);
	if (rc == -ENOENT)
		log_debug("'%s' has no credentials for '%s' or is not installed",
			  prog, registry);
	if (rc == 0)
		rc = parse_helper_out(out, len, prog, c, err);
	if (out)
		explicit_bzero(out, len);
	free(out);
	free(prog);
	return rc;
}

/* One file: 0 found, -ENOENT nothing for registry (or no such file). */
static int try_file(const char *path, const char *registry,
		    struct authfile_cred *ret, struct hpc_err *err)
{
	char *buf = NULL, *helper = NULL;
	size_t len = 0;
	int rc;

	rc = read_file(path, FILE_MAX, &buf, &len, err);
	if (rc == -ENOENT)
		return rc;
	if (rc == 0)
		rc = authfile_parse(buf, len, registry, ret, &helper, err);
	if (rc == -EINVAL)
		err_prefix(err, "auth file '%s'", path);
	if (rc == 1)
		rc = ask_helper(helper, registry, ret, err);
	if (buf)
		explicit_bzero(buf, len);
	free(buf);
	free(helper);
	return rc;
}

int authfile_find(const char *registry, struct authfile_cred *ret,
		  struct hpc_err *err)
{
	const char *raf = getenv("REGISTRY_AUTH_FILE");
	const char *dc = getenv("DOCKER_CONFIG"), *home = getenv("HOME");
	char *paths[2] = { NULL, NULL };
	size_t i;
	int rc = -ENOENT;

	if (raf && *raf)
		paths[0] = xstrdup(raf);
	if (dc && *dc)
		paths[1] = xasprintf("%s/config.json", dc);
	else if (home && *home)
		paths[1] = xasprintf("%s/.docker/config.json", home);
	for (i = 0; i < ARRAY_SIZE(paths) && rc == -ENOENT; i++)
		if (paths[i])
			rc = try_file(paths[i], registry, ret, err);
	free(paths[0]);
	free(paths[1]);
	return rc;
}
