/*
 * spec: pod.json -> struct spec_pod, the first stage of the pipeline.
 *
 * Each object of the pod file is read through a table of its fields; a
 * field's handler checks the JSON type and stores the value. Problems are
 * collected, not returned at the first, so one run names them all, each
 * with the JSON path of the field. See spec.h.
 */
#include "spec.h"

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "shellsplit.h"

#define SPEC_MAX_BYTES (4u << 20)
#define PATH_LEN 256

struct ctx {
	const char *file;
	bool strict;
	struct hpc_err *err;
	size_t err_len;
	unsigned int n_errors;
};

typedef void (*field_fn)(struct ctx *c, const char *path, const cJSON *v,
			 void *obj);

struct field {
	const char *key;	/* matched case-insensitively */
	field_fn parse;
};

static void vreport(struct ctx *c, const char *kind, const char *path,
		    const char *fmt, va_list ap)
{
	char msg[512];
	int n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (!kind) {
		fprintf(stderr, "hpc: warning: '%s': %s: %s\n", c->file, path,
			msg);
		return;
	}
	c->n_errors++;
	if (!c->err || c->err_len >= sizeof(c->err->msg) - 1)
		return;
	n = snprintf(c->err->msg + c->err_len, sizeof(c->err->msg) - c->err_len,
		     "%s'%s': %s: %s", c->err_len ? "\n" : "", c->file, path,
		     msg);
	if (n > 0)
		c->err_len += (size_t)n;
	if (c->err_len >= sizeof(c->err->msg))
		c->err_len = sizeof(c->err->msg) - 1;
}

static void __attribute__((format(printf, 3, 4)))
bad(struct ctx *c, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(c, "error", path, fmt, ap);
	va_end(ap);
}

/* A warning, or an error under --strict. */
static void __attribute__((format(printf, 3, 4)))
warn(struct ctx *c, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(c, c->strict ? "error" : NULL, path, fmt, ap);
	va_end(ap);
}

static const char *json_type(const cJSON *v)
{
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsBool(v))
		return "a boolean";
	if (cJSON_IsArray(v))
		return "an array";
	if (cJSON_IsObject(v))
		return "an object";
	return "null";
}

static size_t min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;

	return m < c ? m : c;
}

/* Edit distance, ignoring case, for "did you mean" on unknown keys. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, diag, up;
	size_t row[64];

	if (lb >= ARRAY_SIZE(row))
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			up = row[j];
			if (tolower((unsigned char)a[i - 1]) ==
			    tolower((unsigned char)b[j - 1]))
				row[j] = diag;
			else
				row[j] = 1 + min3(diag, up, row[j - 1]);
			diag = up;
		}
	}
	return row[lb];
}

static void unknown_key(struct ctx *c, const char *path, const char *key,
			const struct field *fields, size_t n)
{
	size_t i, d, best = SIZE_MAX, at = 0;

	for (i = 0; i < n; i++) {
		d = distance(key, fields[i].key);
		if (d < best) {
			best = d;
			at = i;
		}
	}
	if (best <= 2 || best * 3 <= strlen(key))
		warn(c, path, "unknown key '%s' (did you mean '%s'?)", key,
		     fields[at].key);
	else
		warn(c, path, "unknown key '%s'", key);
}

static void parse_object(struct ctx *c, const char *path, const cJSON *v,
			 const struct field *fields, size_t n, void *obj)
{
	char sub[PATH_LEN];
	const cJSON *item;
	size_t i;

	if (!cJSON_IsObject(v)) {
		bad(c, path, "expected an object, found %s", json_type(v));
		return;
	}
	cJSON_ArrayForEach(item, v) {
		for (i = 0; i < n; i++)
			if (!strcasecmp(item->string, fields[i].key))
				break;
		/* paths name the field as the reference spells it */
		snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "",
			 i < n ? fields[i].key : item->string);
		if (i == n)
			unknown_key(c, sub, item->string, fields, n);
		else if (fields[i].parse)
			fields[i].parse(c, sub, item, obj);
	}
}

static char *get_string(struct ctx *c, const char *path, const cJSON *v)
{
	if (!cJSON_IsString(v)) {
		bad(c, path, "expected a string, found %s", json_type(v));
		return NULL;
	}
	return xstrdup(v->valuestring);
}

static void set_string(struct ctx *c, const char *path, const cJSON *v,
		       char **dst)
{
	char *s = get_string(c, path, v);

	if (!s)
		return;
	free(*dst);
	*dst = s;
}

/* A number, or a number written as a decimal string, in [min, max]. */
static void set_uint(struct ctx *c, const char *path, const cJSON *v,
		     unsigned int *dst, unsigned int min, unsigned int max)
{
	unsigned long long n;
	char *end;

	if (cJSON_IsNumber(v) && v->valuedouble >= 0 &&
	    v->valuedouble == (double)(unsigned long long)v->valuedouble) {
		n = (unsigned long long)v->valuedouble;
	} else if (cJSON_IsString(v) && isdigit((unsigned char)*v->valuestring)) {
		errno = 0;
		n = strtoull(v->valuestring, &end, 10);
		if (*end || errno) {
			bad(c, path, "expected a whole number, found '%s'",
			    v->valuestring);
			return;
		}
	} else {
		bad(c, path, "expected a whole number, found %s", json_type(v));
		return;
	}
	if (n < min || n > max) {
		bad(c, path, "%llu is out of range (%u to %u)", n, min, max);
		return;
	}
	*dst = (unsigned int)n;
}

static void set_bool(struct ctx *c, const char *path, const cJSON *v,
		     bool *dst)
{
	if (!cJSON_IsBool(v)) {
		bad(c, path, "expected true or false, found %s", json_type(v));
		return;
	}
	*dst = cJSON_IsTrue(v);
}

/* An array of strings; one string is split as a shell would, with a warning. */
static void set_strv(struct ctx *c, const char *path, const cJSON *v,
		     char ***dst)
{
	const cJSON *item;
	char **words = NULL;

	if (cJSON_IsString(v)) {
		words = shell_split(v->valuestring);
		if (!words) {
			bad(c, path, "unterminated quote in '%s'", v->valuestring);
			return;
		}
		warn(c, path, "a string, split into %zu words as a shell would; "
		     "write an array to be exact", strv_len(words));
	} else if (cJSON_IsArray(v)) {
		words = xcalloc(1, sizeof(*words));
		cJSON_ArrayForEach(item, v) {
			if (!cJSON_IsString(item)) {
				bad(c, path, "expected an array of strings, "
				    "found %s in it", json_type(item));
				strv_free(words);
				return;
			}
			strv_push(&words, item->valuestring);
		}
	} else {
		bad(c, path, "expected an array of strings, found %s",
		    json_type(v));
		return;
	}
	strv_free(*dst);
	*dst = words;
}

static void set_restart(struct ctx *c, const char *path, const cJSON *v,
			enum spec_restart *dst)
{
	static const enum spec_restart all[] = {
		SPEC_RESTART_NEVER, SPEC_RESTART_ON_FAILURE, SPEC_RESTART_ALWAYS,
	};
	size_t i;

	if (!cJSON_IsString(v)) {
		bad(c, path, "expected a string, found %s", json_type(v));
		return;
	}
	for (i = 0; i < ARRAY_SIZE(all); i++) {
		if (!strcasecmp(v->valuestring, spec_restart_name(all[i]))) {
			*dst = all[i];
			return;
		}
	}
	bad(c, path, "'%s' is not a restart policy "
	    "(expected never, onFailure or always)", v->valuestring);
}

const char *spec_restart_name(enum spec_restart r)
{
	switch (r) {
	case SPEC_RESTART_ON_FAILURE:
		return "onFailure";
	case SPEC_RESTART_ALWAYS:
		return "always";
	case SPEC_RESTART_NEVER:
	case SPEC_RESTART_UNSET:
		break;
	}
	return "never";
}

/* One env entry: "NAME=VALUE", or {"env"|"name": NAME, "value": VALUE}. */
static void env_entry(struct ctx *c, const char *path, const cJSON *v,
		      char ***env)
{
	const cJSON *name, *value;

	if (cJSON_IsString(v)) {
		if (!strchr(v->valuestring, '=') || *v->valuestring == '=')
			bad(c, path, "expected NAME=VALUE, found '%s'",
			    v->valuestring);
		else
			strv_push(env, v->valuestring);
		return;
	}
	if (!cJSON_IsObject(v)) {
		bad(c, path, "expected an object {env, value}, found %s",
		    json_type(v));
		return;
	}
	name = cJSON_GetObjectItem(v, "env");
	if (!name)
		name = cJSON_GetObjectItem(v, "name");
	value = cJSON_GetObjectItem(v, "value");
	if (!cJSON_IsString(name) || !*name->valuestring ||
	    strchr(name->valuestring, '=')) {
		bad(c, path, "expected a variable name in 'env'");
		return;
	}
	if (value && !cJSON_IsString(value)) {
		bad(c, path, "'value' must be a string, found %s",
		    json_type(value));
		return;
	}
	strv_take(env, xasprintf("%s=%s", name->valuestring,
				 value ? value->valuestring : ""));
}

static void parse_env(struct ctx *c, const char *path, const cJSON *v,
		      void *obj)
{
	struct spec_container *ct = obj;
	char sub[PATH_LEN];
	const cJSON *item;
	size_t i = 0;

	if (cJSON_IsObject(v)) {
		/* {"NAME": "VALUE", ...}, as compose files write it */
		cJSON_ArrayForEach(item, v) {
			snprintf(sub, sizeof(sub), "%s.%s", path, item->string);
			if (!cJSON_IsString(item))
				bad(c, sub, "expected a string, found %s",
				    json_type(item));
			else
				strv_take(&ct->env, xasprintf("%s=%s",
					  item->string, item->valuestring));
		}
		return;
	}
	if (!cJSON_IsArray(v)) {
		bad(c, path, "expected an array, found %s", json_type(v));
		return;
	}
	cJSON_ArrayForEach(item, v) {
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i++);
		env_entry(c, sub, item, &ct->env);
	}
}

/* "user": "name[:group]", or {"name": ..., "group": ...}. */
static void parse_user(struct ctx *c, const char *path, const cJSON *v,
		       void *obj)
{
	struct spec_container *ct = obj;
	const cJSON *name, *group;

	if (cJSON_IsString(v)) {
		set_string(c, path, v, &ct->user);
		return;
	}
	if (!cJSON_IsObject(v)) {
		bad(c, path, "expected a string or an object, found %s",
		    json_type(v));
		return;
	}
	name = cJSON_GetObjectItem(v, "name");
	group = cJSON_GetObjectItem(v, "group");
	if (!cJSON_IsString(name) || (group && !cJSON_IsString(group))) {
		bad(c, path, "expected {\"name\": string, \"group\": string}");
		return;
	}
	free(ct->user);
	if (group && *group->valuestring)
		ct->user = xasprintf("%s:%s", name->valuestring,
				     group->valuestring);
	else
		ct->user = xstrdup(name->valuestring);
}

#define CT(field) (&((struct spec_container *)obj)->field)
#define POD(field) (&((struct spec_pod *)obj)->field)

static void ct_name(struct ctx *c, const char *p, const cJSON *v, void *obj)
{
	set_string(c, p, v, CT(name));
}

static void ct_image(struct ctx *c, const char *p, const cJSON *v, void *obj)
{
	set_string(c, p, v, CT(image));
}

static void ct_command(struct ctx *c, const char *p, const cJSON *v, void *obj)
{
	set_strv(c, p, v, CT(command));
}

static void ct_entrypoint(struct ctx *c, const char *p, const cJSON *v,
			  void *obj)
{
	set_strv(c, p, v, CT(entrypoint));
}

static void ct_workdir(struct ctx *c, const char *p, const cJSON *v, void *obj)
{
	set_string(c, p, v, CT(workdir));
}

static void ct_restart(struct ctx *c, const char *p, const cJSON *v, void *obj)
{
	set_restart(c, p, v, CT(restart));
}

static void ct_sidecar(struct ctx *c, const char *p, const cJSON *v, void *obj)
{
	set_bool(c, p, v, CT(sidecar));
}

static void ct_tty(struct ctx *c, const char *p, const cJSON *v, void *obj)
{
	set_bool(c, p, v, CT(tty));
}

/* Keys of the original daemon that hpc does not carry out yet. */
static void not_yet(struct ctx *c, const char *p, const cJSON *v, void *obj)
{
	if ((cJSON_IsArray(v) || cJSON_IsObject(v)) && !cJSON_GetArraySize(v))
		return;
	if (cJSON_IsNull(v) || cJSON_IsFalse(v))
		return;
	warn(c, p, "not supported yet, ignoring");
}

static const struct field container_fields[] = {
	{ .key = "name", .parse = ct_name },
	{ .key = "image", .parse = ct_image },
	{ .key = "command", .parse = ct_command },
	{ .key = "args", .parse = ct_command },
	{ .key = "entrypoint", .parse = ct_entrypoint },
	{ .key = "env", .parse = parse_env },
	{ .key = "envs", .parse = parse_env },
	{ .key = "workdir", .parse = ct_workdir },
	{ .key = "workingDir", .parse = ct_workdir },
	{ .key = "user", .parse = parse_user },
	{ .key = "restartPolicy", .parse = ct_restart },
	{ .key = "sidecar", .parse = ct_sidecar },
	{ .key = "tty", .parse = ct_tty },
	{ .key = "files", .parse = not_yet },
	{ .key = "volumes", .parse = not_yet },
	{ .key = "ports", .parse = not_yet },
	{ .key = "sysctl", .parse = not_yet },
	{ .key = "readOnly", .parse = not_yet },
	{ .key = "labels", .parse = NULL },
};

static void parse_containers(struct ctx *c, const char *path, const cJSON *v,
			     void *obj)
{
	struct spec_pod *pod = obj;
	struct spec_container *ct;
	char sub[PATH_LEN];
	const cJSON *item;

	if (!cJSON_IsArray(v)) {
		bad(c, path, "expected an array, found %s", json_type(v));
		return;
	}
	cJSON_ArrayForEach(item, v) {
		pod->containers = xreallocarray(pod->containers,
						pod->n_containers + 1,
						sizeof(*pod->containers));
		ct = &pod->containers[pod->n_containers];
		*ct = (struct spec_container){ 0 };
		snprintf(sub, sizeof(sub), "%s[%zu]", path, pod->n_containers++);
		parse_object(c, sub, item, container_fields,
			     ARRAY_SIZE(container_fields), ct);
	}
}

static void res_memory(struct ctx *c, const char *p, const cJSON *v, void *obj)
{
	set_uint(c, p, v, POD(memory), 32, 1024 * 1024);
}

static void res_vcpu(struct ctx *c, const char *p, const cJSON *v, void *obj)
{
	set_uint(c, p, v, POD(vcpu), 1, 255);
}

static const struct field resource_fields[] = {
	{ .key = "memory", .parse = res_memory },
	{ .key = "vcpu", .parse = res_vcpu },
};

static void pod_resource(struct ctx *c, const char *p, const cJSON *v,
			 void *obj)
{
	parse_object(c, p, v, resource_fields, ARRAY_SIZE(resource_fields), obj);
}

static void pod_name(struct ctx *c, const char *p, const cJSON *v, void *obj)
{
	set_string(c, p, v, POD(name));
}

static void pod_hostname(struct ctx *c, const char *p, const cJSON *v,
			 void *obj)
{
	set_string(c, p, v, POD(hostname));
}

static void pod_tty(struct ctx *c, const char *p, const cJSON *v, void *obj)
{
	set_bool(c, p, v, POD(tty));
}

static void pod_restart(struct ctx *c, const char *p, const cJSON *v, void *obj)
{
	set_restart(c, p, v, POD(restart));
}

static const struct field pod_fields[] = {
	{ .key = "name", .parse = pod_name },
	{ .key = "id", .parse = pod_name },
	{ .key = "hostname", .parse = pod_hostname },
	{ .key = "containers", .parse = parse_containers },
	{ .key = "resource", .parse = pod_resource },
	{ .key = "tty", .parse = pod_tty },
	{ .key = "restartPolicy", .parse = pod_restart },
	{ .key = "files", .parse = not_yet },
	{ .key = "volumes", .parse = not_yet },
	{ .key = "ports", .parse = not_yet },
	{ .key = "portmappings", .parse = not_yet },
	{ .key = "dns", .parse = not_yet },
	{ .key = "services", .parse = not_yet },
	{ .key = "log", .parse = not_yet },
	{ .key = "labels", .parse = NULL },
	{ .key = "type", .parse = NULL },
};

/* The last path component of an image reference, without tag or digest. */
static char *name_from_image(const char *image)
{
	const char *p = strrchr(image, '/'), *colon;
	char *name;
	size_t n;

	p = p ? p + 1 : image;
	colon = strchr(p, ':');
	if (colon && p == image)
		p = colon + 1;	/* "oci:busybox" */
	n = strcspn(p, ":@");
	name = xstrndup(p, n);
	return *name ? name : (free(name), xstrdup("container"));
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > 63 || !isalnum((unsigned char)s[0]))
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			return false;
	return true;
}

/* At most 63 characters of DNS labels: letters, digits, inner '-'. */
static bool valid_hostname(const char *s)
{
	size_t n = strlen(s), i, label = 0;

	if (n == 0 || n > 63)
		return false;
	for (i = 0; i <= n; i++) {
		if (s[i] == '.' || s[i] == '\0') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
		} else if (isalnum((unsigned char)s[i]) ||
			   (s[i] == '-' && label > 0)) {
			label++;
		} else {
			return false;
		}
	}
	return true;
}

/* A hostname made from the pod's name: lowercase, odd characters to '-'. */
static char *hostname_from(const char *name)
{
	char *h = xstrndup(name, 63);
	size_t i, n;

	for (i = 0; h[i]; i++)
		h[i] = isalnum((unsigned char)h[i])
			       ? (char)tolower((unsigned char)h[i]) : '-';
	while ((n = strlen(h)) > 0 && h[n - 1] == '-')
		h[n - 1] = '\0';
	while (h[0] == '-')
		memmove(h, h + 1, strlen(h));
	if (!*h) {
		free(h);
		h = xstrdup("pod");
	}
	return h;
}

static void check_container(struct ctx *c, struct spec_pod *pod, size_t i)
{
	struct spec_container *ct = &pod->containers[i];
	char path[PATH_LEN];
	size_t j;

	snprintf(path, sizeof(path), "containers[%zu]", i);
	if (!ct->image || !*ct->image) {
		bad(c, path, "'image' is missing");
		return;
	}
	if (!ct->name)
		ct->name = name_from_image(ct->image);
	else if (!valid_name(ct->name))
		bad(c, path, "name '%s' is not valid (expected 1 to 63 "
		    "letters, digits, '_', '.' or '-')", ct->name);
	for (j = 0; j < i; j++)
		if (pod->containers[j].name &&
		    !strcmp(pod->containers[j].name, ct->name))
			bad(c, path, "name '%s' is already used by "
			    "containers[%zu]", ct->name, j);
	if (ct->restart == SPEC_RESTART_UNSET)
		ct->restart = pod->restart;
	if (ct->workdir && ct->workdir[0] != '/')
		bad(c, path, "workdir '%s' is not an absolute path",
		    ct->workdir);
}

/*
 * One console, so at most one container has it as its terminal. A pod's
 * "tty" names the container when there is only one; the pod's flag then
 * says that one container has it.
 */
static void check_tty(struct ctx *c, struct spec_pod *pod)
{
	char path[PATH_LEN];
	size_t i, first = SIZE_MAX;

	for (i = 0; i < pod->n_containers; i++) {
		if (!pod->containers[i].tty)
			continue;
		snprintf(path, sizeof(path), "containers[%zu].tty", i);
		if (first != SIZE_MAX)
			bad(c, path, "only one container can have the "
			    "terminal, and containers[%zu] has it", first);
		else
			first = i;
	}
	if (first == SIZE_MAX && pod->tty && pod->n_containers == 1)
		pod->containers[0].tty = true;
	else if (first == SIZE_MAX && pod->tty && pod->n_containers > 1)
		bad(c, "tty", "a pod of %zu containers must say which one has "
		    "the terminal (expected 'tty' on that container)",
		    pod->n_containers);
	else if (first != SIZE_MAX)
		pod->tty = true;
}

static void check_pod(struct ctx *c, struct spec_pod *pod)
{
	size_t i;

	if (!pod->name)
		bad(c, "name", "the pod has no 'name' (or 'id')");
	if (pod->hostname && !valid_hostname(pod->hostname))
		bad(c, "hostname", "'%s' is not a hostname (expected at most "
		    "63 characters of letters, digits and '-' in "
		    "dot-separated labels)", pod->hostname);
	if (!pod->hostname && pod->name)
		pod->hostname = hostname_from(pod->name);
	if (pod->restart == SPEC_RESTART_UNSET)
		pod->restart = SPEC_RESTART_NEVER;
	if (pod->n_containers == 0)
		bad(c, "containers", "the pod has no containers");
	for (i = 0; i < pod->n_containers; i++)
		check_container(c, pod, i);
	check_tty(c, pod);
}

/* Line and column (from 1) of the byte at offset in text. */
static void position(const char *text, size_t offset, unsigned int *line,
		     unsigned int *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < offset; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static int syntax_error(const char *text, size_t len, const char *path,
			const char *at, struct hpc_err *err)
{
	unsigned int line, col;
	size_t off = at && at >= text && at <= text + len ? (size_t)(at - text)
							   : len;

	while (off < len && strchr(" \t\r\n", text[off]))
		off++;
	position(text, off, &line, &col);
	if (off >= len)
		return err_set(err, -EINVAL, "'%s':%u:%u: invalid JSON: "
			       "unexpected end of file", path, line, col);
	return err_set(err, -EINVAL, "'%s':%u:%u: invalid JSON near '%.12s' "
		       "(a trailing comma, a missing quote or brace?)",
		       path, line, col, text + off);
}

static char *dir_of(const char *path)
{
	char *copy = xstrdup(path), *dir = xstrdup(dirname(copy));

	free(copy);
	return dir;
}

int spec_parse(const char *text, size_t len, const char *path, bool strict,
	       struct spec_pod **ret, struct hpc_err *err)
{
	struct ctx c = { .file = path, .strict = strict, .err = err };
	const char *end = NULL;
	struct spec_pod *pod;
	cJSON *root;

	if (err)
		err->msg[0] = '\0';
	root = cJSON_ParseWithLengthOpts(text, len, &end, false);
	if (!root)
		return syntax_error(text, len, path, cJSON_GetErrorPtr(), err);
	pod = xcalloc(1, sizeof(*pod));
	pod->memory = 128;
	pod->vcpu = 1;
	pod->dir = dir_of(path);
	parse_object(&c, "", root, pod_fields, ARRAY_SIZE(pod_fields), pod);
	if (!c.n_errors)
		check_pod(&c, pod);
	cJSON_Delete(root);
	if (c.n_errors) {
		spec_free(pod);
		return -EINVAL;
	}
	*ret = pod;
	return 0;
}

int spec_load(const char *path, bool strict, struct spec_pod **ret,
	      struct hpc_err *err)
{
	size_t len;
	char *text;
	int rc;

	rc = read_file(path, SPEC_MAX_BYTES, &text, &len, err);
	if (rc < 0)
		return rc;
	rc = spec_parse(text, len, path, strict, ret, err);
	free(text);
	return rc;
}

void spec_free(struct spec_pod *pod)
{
	size_t i;

	if (!pod)
		return;
	for (i = 0; i < pod->n_containers; i++) {
		struct spec_container *ct = &pod->containers[i];

		free(ct->name);
		free(ct->image);
		strv_free(ct->command);
		strv_free(ct->entrypoint);
		strv_free(ct->env);
		free(ct->workdir);
		free(ct->user);
	}
	free(pod->containers);
	free(pod->name);
	free(pod->hostname);
	free(pod->dir);
	free(pod);
}
