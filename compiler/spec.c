/*
 * spec: pod.json -> struct spec_pod, the first stage of the pipeline.
 *
 * Each object of the pod file is read through a table of its fields; a
 * field's handler checks the JSON type and stores the value. Problems are
 * collected, not returned at the first, so one run names them all, each
 * with the JSON path of the field. See spec.h.
 */
#include "spec.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cJSON.h>

#include "jsonpos.h"
#include "limit.h"
#include "podimage.h"
#include "ref.h"
#include "shellsplit.h"

#define PATH_LEN 256

struct ctx {
	const char *file;
	const cJSON *root;
	struct jsonpos pos;
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

/*
 * Format a message into msg. A value quoted from the pod may be far
 * longer than the buffer; the end of the message says what is wrong
 * with it, so a long message keeps its head and its tail.
 */
static void format_message(char *msg, size_t size, const char *fmt,
			   va_list ap)
{
	size_t room = size - sizeof("...");
	char *full = xvasprintf(fmt, ap);
	char *shown = xshorten(full, room / 2, room - room / 2);

	snprintf(msg, size, "%s", shown);
	free(shown);
	free(full);
}

static void vreport(struct ctx *c, const char *kind, const char *path,
		    const char *fmt, va_list ap)
{
	char msg[512];
	unsigned int line, col;
	int n;

	format_message(msg, sizeof(msg), fmt, ap);
	jsonpos_where(&c->pos, jsonpos_find(c->root, path, NULL), &line, &col);
	if (!*path)
		path = "the pod";
	if (!kind) {
		log_warn("'%s':%u:%u: %s: %s", c->file, line, col, path, msg);
		return;
	}
	c->n_errors++;
	if (!c->err || c->err_len >= sizeof(c->err->msg) - 1)
		return;
	n = snprintf(c->err->msg + c->err_len, sizeof(c->err->msg) - c->err_len,
		     "%s'%s':%u:%u: %s: %s", c->err_len ? "\n" : "", c->file,
		     line, col, path, msg);
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
	/* close enough to be a typo, not another word ("kind", "id") */
	if ((best <= 2 && best * 2 < strlen(key)) || best * 3 <= strlen(key))
		warn(c, path, "unknown key '%s' (did you mean '%s'?)", key,
		     fields[at].key);
	else
		warn(c, path, "unknown key '%s'", key);
}

/* Whether a key before item in object o has item's key (any case). */
static bool given_before(const cJSON *o, const cJSON *item)
{
	const cJSON *p;

	for (p = o->child; p && p != item; p = p->next)
		if (!strcasecmp(p->string, item->string))
			return true;
	return false;
}

static void parse_object(struct ctx *c, const char *path, const cJSON *v,
			 const struct field *fields, size_t n, void *obj)
{
	char sub[PATH_LEN];
	const cJSON *item;
	size_t i;

	if (!cJSON_IsObject(v)) {
		bad(c, path, "expected an object, found %s", jsonpos_type(v));
		return;
	}
	cJSON_ArrayForEach(item, v) {
		for (i = 0; i < n; i++)
			if (!strcasecmp(item->string, fields[i].key))
				break;
		/* paths name the field as the reference spells it */
		snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "",
			 i < n ? fields[i].key : item->string);
		if (given_before(v, item))
			warn(c, sub, "key '%s' is given twice (expected each "
			     "key once)", item->string);
		if (i == n)
			unknown_key(c, sub, item->string, fields, n);
		else if (fields[i].parse)
			fields[i].parse(c, sub, item, obj);
	}
}

/* path.key, or path["key"] for a key with a dot (a sysctl name). */
static void map_key_path(char *buf, size_t size, const char *path,
			 const char *key)
{
	if (strpbrk(key, ".[]\""))
		snprintf(buf, size, "%s[\"%s\"]", path, key);
	else
		snprintf(buf, size, "%s.%s", path, key);
}

static char *get_string(struct ctx *c, const char *path, const cJSON *v)
{
	if (!cJSON_IsString(v)) {
		bad(c, path, "expected a string, found %s", jsonpos_type(v));
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

/* A value as a message shows it: a number as written, a string quoted. */
static const char *shown(struct ctx *c, const cJSON *v, char *buf, size_t n)
{
	const char *lit;
	size_t len;

	lit = jsonpos_literal(&c->pos, v, &len);
	if (lit && cJSON_IsNumber(v))
		snprintf(buf, n, "%.*s", len > 40 ? 40 : (int)len, lit);
	else if (cJSON_IsNumber(v))
		snprintf(buf, n, "%g", v->valuedouble);
	else if (cJSON_IsString(v))
		snprintf(buf, n, "'%.40s'", v->valuestring);
	else
		snprintf(buf, n, "%s", jsonpos_type(v));
	return buf;
}

/* A number, or a number written as a decimal string, in [min, max]. */
static void set_uint(struct ctx *c, const char *path, const cJSON *v,
		     unsigned int *dst, unsigned int min, unsigned int max)
{
	unsigned long long n;
	char *end, buf[64];

	if (cJSON_IsNumber(v) && v->valuedouble >= 0 &&
	    v->valuedouble < 0x1p64 &&
	    v->valuedouble == (double)(unsigned long long)v->valuedouble) {
		n = (unsigned long long)v->valuedouble;
	} else if (cJSON_IsString(v) && isdigit((unsigned char)*v->valuestring)) {
		errno = 0;
		n = strtoull(v->valuestring, &end, 10);
		if (*end) {
			bad(c, path, "expected a whole number, found '%s'",
			    v->valuestring);
			return;
		}
		if (errno)
			n = ULLONG_MAX;
	} else if (cJSON_IsNumber(v) && (isinf(v->valuedouble) ||
					 v->valuedouble == floor(v->valuedouble))) {
		bad(c, path, "%s is out of range (%u to %u)",
		    shown(c, v, buf, sizeof(buf)), min, max);
		return;
	} else {
		bad(c, path, "expected a whole number, found %s",
		    shown(c, v, buf, sizeof(buf)));
		return;
	}
	if (n < min || n > max) {
		bad(c, path, "%s is out of range (%u to %u)",
		    cJSON_IsString(v) ? v->valuestring
				      : shown(c, v, buf, sizeof(buf)), min, max);
		return;
	}
	*dst = (unsigned int)n;
}

static void set_bool(struct ctx *c, const char *path, const cJSON *v,
		     bool *dst)
{
	if (!cJSON_IsBool(v)) {
		bad(c, path, "expected true or false, found %s", jsonpos_type(v));
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
				    "found %s in it", jsonpos_type(item));
				strv_free(words);
				return;
			}
			strv_push(&words, item->valuestring);
		}
	} else {
		bad(c, path, "expected an array of strings, found %s",
		    jsonpos_type(v));
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
		bad(c, path, "expected a string, found %s", jsonpos_type(v));
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
		    jsonpos_type(v));
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
		    jsonpos_type(value));
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
			map_key_path(sub, sizeof(sub), path, item->string);
			if (!cJSON_IsString(item))
				bad(c, sub, "expected a string, found %s",
				    jsonpos_type(item));
			else
				strv_take(&ct->env, xasprintf("%s=%s",
					  item->string, item->valuestring));
		}
		return;
	}
	if (!cJSON_IsArray(v)) {
		bad(c, path, "expected an array, found %s", jsonpos_type(v));
		return;
	}
	cJSON_ArrayForEach(item, v) {
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i++);
		env_entry(c, sub, item, &ct->env);
	}
}

/* A string, or a number written for one (a gid, a sysctl value). */
static char *get_text(struct ctx *c, const char *path, const cJSON *v)
{
	if (cJSON_IsNumber(v) && v->valuedouble >= 0 &&
	    v->valuedouble == (double)(unsigned long long)v->valuedouble)
		return xasprintf("%llu", (unsigned long long)v->valuedouble);
	return get_string(c, path, v);
}

/* An array of strings (numbers taken as their text), each through ok. */
static void set_list(struct ctx *c, const char *path, const cJSON *v,
		     char ***dst, bool (*ok)(const char *), const char *what)
{
	char sub[PATH_LEN], *s;
	const cJSON *item;
	size_t i = 0;

	if (!cJSON_IsArray(v)) {
		bad(c, path, "expected an array of strings, found %s",
		    jsonpos_type(v));
		return;
	}
	strv_free(*dst);
	*dst = xcalloc(1, sizeof(**dst));
	cJSON_ArrayForEach(item, v) {
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i++);
		s = get_text(c, sub, item);
		if (s && ok && !ok(s))
			bad(c, sub, "'%s' is not %s", s, what);
		else if (s)
			strv_push(dst, s);
		free(s);
	}
}

struct user_in {
	char *name, *group;
	char **groups;
};

static void user_name(struct ctx *c, const char *p, const cJSON *v, void *obj)
{
	set_string(c, p, v, &((struct user_in *)obj)->name);
}

static void user_group(struct ctx *c, const char *p, const cJSON *v,
		       void *obj)
{
	struct user_in *u = obj;
	char *s = get_text(c, p, v);

	if (!s)
		return;
	free(u->group);
	u->group = s;
}

static void user_groups(struct ctx *c, const char *p, const cJSON *v,
			void *obj)
{
	set_list(c, p, v, &((struct user_in *)obj)->groups, NULL,
		 "group names or gids");
}

static const struct field user_fields[] = {
	{ .key = "name", .parse = user_name },
	{ .key = "group", .parse = user_group },
	{ .key = "additionalGroups", .parse = user_groups },
};

/* "user": "name[:group]", or {"name", "group", "additionalGroups"}. */
static void parse_user(struct ctx *c, const char *path, const cJSON *v,
		       void *obj)
{
	struct spec_container *ct = obj;
	struct user_in u = { 0 };

	if (cJSON_IsString(v)) {
		set_string(c, path, v, &ct->user);
		return;
	}
	if (!cJSON_IsObject(v)) {
		bad(c, path, "expected a string or an object, found %s",
		    jsonpos_type(v));
		return;
	}
	parse_object(c, path, v, user_fields, ARRAY_SIZE(user_fields), &u);
	free(ct->user);
	ct->user = NULL;
	if (u.name && *u.name && u.group && *u.group)
		ct->user = xasprintf("%s:%s", u.name, u.group);
	else if (u.name && *u.name)
		ct->user = xstrdup(u.name);
	else if (u.group && *u.group)
		ct->user = xasprintf("0:%s", u.group);
	strv_free(ct->groups);
	ct->groups = u.groups;
	free(u.name);
	free(u.group);
}

/* A port range as the pod wrote it: "N", N, or "FIRST-LAST". */
struct range {
	unsigned int first, count;
	bool set;
};

static void set_range(struct ctx *c, const char *path, const cJSON *v,
		      struct range *r, unsigned int min)
{
	unsigned long long a, b;
	const char *s;
	char *end, buf[64];

	if (cJSON_IsNumber(v) && v->valuedouble >= 0 &&
	    v->valuedouble < 0x1p64 &&
	    v->valuedouble == (double)(unsigned long long)v->valuedouble) {
		a = b = (unsigned long long)v->valuedouble;
	} else if (cJSON_IsString(v) &&
		   isdigit((unsigned char)*v->valuestring)) {
		s = v->valuestring;
		errno = 0;
		a = b = strtoull(s, &end, 10);
		if (*end == '-' && isdigit((unsigned char)end[1]))
			b = strtoull(end + 1, &end, 10);
		if (*end || errno) {
			bad(c, path, "expected a port or a range FIRST-LAST, "
			    "found '%s'", s);
			return;
		}
	} else if (cJSON_IsNumber(v) && (isinf(v->valuedouble) ||
					 v->valuedouble == floor(v->valuedouble))) {
		bad(c, path, "%s is not a port (expected %u to 65535)",
		    shown(c, v, buf, sizeof(buf)), min);
		return;
	} else {
		bad(c, path, "expected a port number, found %s",
		    shown(c, v, buf, sizeof(buf)));
		return;
	}
	if (a == b && (a < min || a > 65535)) {
		bad(c, path, "%llu is not a port (expected %u to 65535)", a,
		    min);
		return;
	}
	if (a < min || b > 65535 || b < a) {
		bad(c, path, "%llu-%llu is not a port range (expected %u to "
		    "65535, the first no larger than the last)", a, b, min);
		return;
	}
	*r = (struct range){ (unsigned int)a, (unsigned int)(b - a + 1), true };
}

struct port_in {
	struct range cport, hport;
	bool udp;
};

static void port_container(struct ctx *c, const char *p, const cJSON *v,
			   void *obj)
{
	set_range(c, p, v, &((struct port_in *)obj)->cport, 1);
}

static void port_host(struct ctx *c, const char *p, const cJSON *v, void *obj)
{
	set_range(c, p, v, &((struct port_in *)obj)->hport, 0);
}

static void port_protocol(struct ctx *c, const char *p, const cJSON *v,
			  void *obj)
{
	if (!cJSON_IsString(v)) {
		bad(c, p, "expected \"tcp\" or \"udp\", found %s",
		    jsonpos_type(v));
	} else if (!strcasecmp(v->valuestring, "udp")) {
		((struct port_in *)obj)->udp = true;
	} else if (strcasecmp(v->valuestring, "tcp")) {
		bad(c, p, "'%s' is not a protocol (expected tcp or udp)",
		    v->valuestring);
	}
}

static void port_name(struct ctx *c, const char *p, const cJSON *v, void *obj)
{
	(void)obj;
	free(get_string(c, p, v));
}

static const struct field port_fields[] = {
	{ .key = "containerPort", .parse = port_container },
	{ .key = "hostPort", .parse = port_host },
	{ .key = "protocol", .parse = port_protocol },
	{ .key = "name", .parse = port_name },
	{ .key = "servicePort", .parse = NULL },
};

/* One entry of "ports" or "portmappings"; a missing hostPort is the same. */
static void port_entry(struct ctx *c, const char *path, const cJSON *v,
		       struct spec_port **ports, size_t *n)
{
	struct port_in in = { 0 };
	unsigned int errors = c->n_errors;

	parse_object(c, path, v, port_fields, ARRAY_SIZE(port_fields), &in);
	if (c->n_errors != errors)
		return;
	if (!in.cport.set) {
		bad(c, path, "'containerPort' is missing");
		return;
	}
	if (!in.hport.set)
		in.hport = in.cport;
	if (in.hport.first == 0 && in.hport.count == 1)
		in.hport.count = in.cport.count;
	if (in.hport.count != in.cport.count) {
		bad(c, path, "hostPort has %u ports and containerPort %u "
		    "(expected ranges of one size)", in.hport.count,
		    in.cport.count);
		return;
	}
	*ports = xreallocarray(*ports, *n + 1, sizeof(**ports));
	(*ports)[(*n)++] = (struct spec_port){
		.container_port = in.cport.first,
		.host_port = in.hport.first,
		.count = in.cport.count,
		.udp = in.udp,
	};
}

static void set_ports(struct ctx *c, const char *path, const cJSON *v,
		      struct spec_port **ports, size_t *n)
{
	char sub[PATH_LEN];
	const cJSON *item;
	size_t i = 0;

	if (!cJSON_IsArray(v)) {
		bad(c, path, "expected an array, found %s", jsonpos_type(v));
		return;
	}
	cJSON_ArrayForEach(item, v) {
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i++);
		port_entry(c, sub, item, ports, n);
	}
}

/* {"KEY": "VALUE", ...} as "KEY=VALUE" entries; numbers taken as text. */
static void set_map(struct ctx *c, const char *path, const cJSON *v,
		    char ***dst, bool (*key_ok)(const char *),
		    const char *key_what)
{
	char sub[PATH_LEN], *value;
	const cJSON *item;

	if (!cJSON_IsObject(v)) {
		bad(c, path, "expected an object, found %s", jsonpos_type(v));
		return;
	}
	cJSON_ArrayForEach(item, v) {
		map_key_path(sub, sizeof(sub), path, item->string);
		if (key_ok && !key_ok(item->string)) {
			bad(c, sub, "'%s' is not %s", item->string, key_what);
			continue;
		}
		value = cJSON_IsBool(item) ? xstrdup(cJSON_IsTrue(item) ? "1"
								: "0")
					   : get_text(c, sub, item);
		if (value)
			strv_take(dst, xasprintf("%s=%s", item->string, value));
		free(value);
	}
}

/* A sysctl name: dotted words under /proc/sys, nothing that climbs out. */
static bool valid_sysctl(const char *s)
{
	size_t i;

	if (!isalnum((unsigned char)*s) || strstr(s, ".."))
		return false;
	for (i = 0; s[i]; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._-/", s[i]))
			return false;
	return !strchr("./", s[i - 1]);
}

static bool valid_ip(const char *s)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, s, buf) == 1 ||
	       inet_pton(AF_INET6, s, buf) == 1;
}

static bool valid_domain(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > 253 || *s == '.' || strstr(s, ".."))
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-._", s[i]))
			return false;
	return true;
}

static bool valid_option(const char *s)
{
	return *s && !strpbrk(s, " \t\n");
}

static bool valid_label(const char *s)
{
	return *s && !strchr(s, '=');
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

/* The storage keys are read by spec_storage.c, reporting through these. */
static void diag_bad(void *ctx, const char *path, const char *msg)
{
	bad(ctx, path, "%s", msg);
}

static void diag_warn(void *ctx, const char *path, const char *msg)
{
	warn(ctx, path, "%s", msg);
}

static struct spec_storage_diag diag_of(struct ctx *c)
{
	return (struct spec_storage_diag){ .bad = diag_bad,
					   .warn = diag_warn, .ctx = c };
}

static void ct_files(struct ctx *c, const char *p, const cJSON *v, void *obj)
{
	struct spec_storage_diag d = diag_of(c);

	spec_storage_ct_files(&d, p, v, CT(storage));
}

static void ct_volumes(struct ctx *c, const char *p, const cJSON *v,
		       void *obj)
{
	struct spec_storage_diag d = diag_of(c);

	spec_storage_ct_volumes(&d, p, v, CT(storage));
}

static void ct_tty(struct ctx *c, const char *p, const cJSON *v, void *obj)
{
	set_bool(c, p, v, CT(tty));
}

static void ct_read_only(struct ctx *c, const char *p, const cJSON *v,
			 void *obj)
{
	set_bool(c, p, v, CT(read_only));
}

static void ct_ports(struct ctx *c, const char *p, const cJSON *v, void *obj)
{
	set_ports(c, p, v, CT(ports), CT(n_ports));
}

static void ct_sysctl(struct ctx *c, const char *p, const cJSON *v, void *obj)
{
	set_map(c, p, v, CT(sysctl), valid_sysctl, "a sysctl name");
}

static void ct_labels(struct ctx *c, const char *p, const cJSON *v, void *obj)
{
	set_map(c, p, v, CT(labels), valid_label, "a label name");
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
	{ .key = "files", .parse = ct_files },
	{ .key = "volumes", .parse = ct_volumes },
	{ .key = "ports", .parse = ct_ports },
	{ .key = "sysctl", .parse = ct_sysctl },
	{ .key = "readOnly", .parse = ct_read_only },
	{ .key = "labels", .parse = ct_labels },
};

static void parse_containers(struct ctx *c, const char *path, const cJSON *v,
			     void *obj)
{
	struct spec_pod *pod = obj;
	struct spec_container *ct;
	char sub[PATH_LEN];
	const cJSON *item;

	if (!cJSON_IsArray(v)) {
		bad(c, path, "expected an array, found %s", jsonpos_type(v));
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
	set_uint(c, p, v, POD(memory), SPEC_MEMORY_MIN, 1024 * 1024);
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

static void pod_files(struct ctx *c, const char *p, const cJSON *v, void *obj)
{
	struct spec_storage_diag d = diag_of(c);

	spec_storage_pod_files(&d, p, v, POD(storage));
}

static void pod_volumes(struct ctx *c, const char *p, const cJSON *v,
			void *obj)
{
	struct spec_storage_diag d = diag_of(c);

	spec_storage_pod_volumes(&d, p, v, POD(storage));
}

static void pod_ports(struct ctx *c, const char *p, const cJSON *v, void *obj)
{
	set_ports(c, p, v, POD(ports), POD(n_ports));
}

static void pod_dns(struct ctx *c, const char *p, const cJSON *v, void *obj)
{
	set_list(c, p, v, POD(dns), valid_ip, "an IP address");
}

static void pod_dns_search(struct ctx *c, const char *p, const cJSON *v,
			   void *obj)
{
	set_list(c, p, v, POD(dns_search), valid_domain, "a domain name");
}

static void pod_dns_options(struct ctx *c, const char *p, const cJSON *v,
			    void *obj)
{
	set_list(c, p, v, POD(dns_options), valid_option,
		 "a resolver option (one word, no spaces)");
}

static void pod_labels(struct ctx *c, const char *p, const cJSON *v, void *obj)
{
	set_map(c, p, v, POD(labels), valid_label, "a label name");
}

static const struct field pod_fields[] = {
	{ .key = "name", .parse = pod_name },
	{ .key = "id", .parse = pod_name },
	{ .key = "hostname", .parse = pod_hostname },
	{ .key = "containers", .parse = parse_containers },
	{ .key = "resource", .parse = pod_resource },
	{ .key = "tty", .parse = pod_tty },
	{ .key = "restartPolicy", .parse = pod_restart },
	{ .key = "files", .parse = pod_files },
	{ .key = "volumes", .parse = pod_volumes },
	{ .key = "ports", .parse = pod_ports },
	{ .key = "portmappings", .parse = pod_ports },
	{ .key = "dns", .parse = pod_dns },
	{ .key = "dnsSearch", .parse = pod_dns_search },
	{ .key = "dnsOptions", .parse = pod_dns_options },
	{ .key = "services", .parse = not_yet },
	{ .key = "log", .parse = not_yet },
	{ .key = "labels", .parse = pod_labels },
	{ .key = "type", .parse = NULL },
};

/* The last '/' component of s, without tag or digest. */
static char *last_component(const char *s)
{
	const char *p = strrchr(s, '/');

	p = p ? p + 1 : s;
	return xstrndup(p, strcspn(p, ":@"));
}

/* An archive's extension says nothing of what runs in it. */
static void drop_extension(char *name)
{
	static const char *const exts[] = { ".tar", ".tar.gz", ".tgz" };
	size_t i, n = strlen(name), e;

	for (i = 0; i < ARRAY_SIZE(exts); i++) {
		e = strlen(exts[i]);
		if (n > e && !strcmp(name + n - e, exts[i])) {
			name[n - e] = '\0';
			return;
		}
	}
}

/*
 * The default name of a container: the last path component of its image
 * reference, without transport, tag or digest. A docker-archive's own
 * reference, when given, names it as that image would be named.
 */
static char *name_from_image(const char *image)
{
	struct image_ref ref = { 0 };
	char *name;

	if (ref_parse(image, &ref, NULL) < 0)
		return xstrdup("container");
	if (ref.transport == REF_DOCKER_ARCHIVE && *ref.tag) {
		name = last_component(ref.tag);
	} else if (ref.transport == REF_DOCKER) {
		name = last_component(ref.path);
	} else {
		name = xstrdup(strrchr(ref.path, '/') ?
			       strrchr(ref.path, '/') + 1 : ref.path);
		drop_extension(name);
	}
	ref_release(&ref);
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

static void check_storage(struct ctx *c, const struct spec_pod *pod,
			  const char *path, const struct spec_container *ct)
{
	struct spec_storage_diag d = diag_of(c);

	spec_storage_check_container(&d, path, &pod->storage, &ct->storage);
}

/* Whether the pod file holds the field at path (whatever its value). */
static bool present(const struct ctx *c, const char *path)
{
	bool whole;

	jsonpos_find(c->root, path, &whole);
	return whole;
}

/* An env name given twice is a mistake: which one would win? */
static void check_env(struct ctx *c, const struct spec_container *ct,
		      const char *path)
{
	size_t i, j, n;

	for (i = 0; ct->env && ct->env[i]; i++) {
		n = strcspn(ct->env[i], "=");
		if (!strncmp(ct->env[i], "DVM_POD_IP=", 11))
			warn(c, path, "DVM_POD_IP is the pod's address; the "
			     "container gets '%s' instead", ct->env[i] + 11);
		for (j = 0; j < i; j++)
			if (!strncmp(ct->env[j], ct->env[i], n + 1)) {
				bad(c, path, "variable '%.*s' is set twice",
				    (int)n, ct->env[i]);
				break;
			}
	}
}

struct host_port {
	unsigned int port;
	bool udp;
	const char *where;
};

/* Each host port (and protocol) published at most once in the pod. */
static void check_host_ports(struct ctx *c, const struct spec_port *ports,
			     size_t n, const char *where,
			     struct host_port **seen, size_t *n_seen)
{
	unsigned int p;
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (p = ports[i].host_port;
		     ports[i].host_port && p < ports[i].host_port +
						 ports[i].count; p++) {
			for (j = 0; j < *n_seen; j++)
				if ((*seen)[j].port == p &&
				    (*seen)[j].udp == ports[i].udp)
					break;
			if (j < *n_seen) {
				bad(c, where, "host port %u/%s is published "
				    "twice (also in %s)", p,
				    ports[i].udp ? "udp" : "tcp",
				    (*seen)[j].where);
				break;
			}
			*seen = xreallocarray(*seen, *n_seen + 1,
					      sizeof(**seen));
			(*seen)[(*n_seen)++] = (struct host_port){
				p, ports[i].udp, where };
		}
	}
}

/*
 * Every port of every range is one forward of QEMU's user network (see
 * PODIMAGE_MAX_PORTS); the entry that passes the limit is named.
 */
static void count_ports(struct ctx *c, const struct spec_port *ports,
			size_t n, const char *where, unsigned long *total)
{
	char path[PATH_LEN + 32];
	size_t i;

	for (i = 0; i < n; i++) {
		if (*total <= PODIMAGE_MAX_PORTS &&
		    *total + ports[i].count > PODIMAGE_MAX_PORTS) {
			snprintf(path, sizeof(path), "%s[%zu]", where, i);
			bad(c, path, "%lu ports published up to here, over "
			    "the limit of %d (each port of a range counts)",
			    *total + ports[i].count, PODIMAGE_MAX_PORTS);
		}
		*total += ports[i].count;
	}
}

static void check_port_count(struct ctx *c, const struct spec_pod *pod)
{
	char path[PATH_LEN];
	unsigned long total = 0;
	size_t i;

	count_ports(c, pod->ports, pod->n_ports, present(c, "ports") ?
		    "ports" : "portmappings", &total);
	for (i = 0; i < pod->n_containers; i++) {
		snprintf(path, sizeof(path), "containers[%zu].ports", i);
		count_ports(c, pod->containers[i].ports,
			    pod->containers[i].n_ports, path, &total);
	}
}

static void check_ports(struct ctx *c, const struct spec_pod *pod)
{
	struct host_port *seen = NULL;
	char (*paths)[PATH_LEN];
	size_t n_seen = 0, i;

	paths = xcalloc(pod->n_containers + 1, sizeof(*paths));
	snprintf(paths[0], PATH_LEN, "portmappings");
	check_host_ports(c, pod->ports, pod->n_ports, paths[0], &seen,
			 &n_seen);
	for (i = 0; i < pod->n_containers; i++) {
		snprintf(paths[i + 1], PATH_LEN, "containers[%zu].ports", i);
		check_host_ports(c, pod->containers[i].ports,
				 pod->containers[i].n_ports, paths[i + 1],
				 &seen, &n_seen);
	}
	free(seen);
	free(paths);
}

/* An id as Linux takes it: 0 to 4294967294 (-1 means "none"), no sign. */
static void check_id(struct ctx *c, const char *path, const char *s,
		     size_t n, const char *what)
{
	unsigned long long v = 0;
	size_t i;

	if (!n || !strchr("+-0123456789", s[0]))
		return;		/* a name: the image's files say at build */
	for (i = 0; i < n && isdigit((unsigned char)s[i]) && v <= UINT32_MAX;
	     i++)
		v = v * 10 + (unsigned long long)(s[i] - '0');
	if (i < n || v > 4294967294ull)
		bad(c, path, "'%.*s' is not a %s id (expected 0 to 4294967294, "
		    "or a name)", (int)n, s, what);
}

/* "user" as uid, name, uid:gid or name:group, and additionalGroups. */
static void check_user(struct ctx *c, const struct spec_container *ct,
		       const char *path)
{
	char sub[PATH_LEN + 32];
	size_t n, j;

	snprintf(sub, sizeof(sub), "%s.user", path);
	if (ct->user) {
		n = strcspn(ct->user, ":");
		check_id(c, sub, ct->user, n, "user");
		if (ct->user[n])
			check_id(c, sub, ct->user + n + 1,
				 strlen(ct->user + n + 1), "group");
	}
	for (j = 0; ct->groups && ct->groups[j]; j++) {
		snprintf(sub, sizeof(sub), "%s.user.additionalGroups[%zu]",
			 path, j);
		check_id(c, sub, ct->groups[j], strlen(ct->groups[j]),
			 "group");
	}
}

/*
 * The reference as the build will read it, by the same parser; only its
 * words are checked here, nothing on the host or a registry.
 */
static void check_image(struct ctx *c, const char *path, const char *image)
{
	struct image_ref ref = { 0 };
	struct hpc_err why = { "" };

	if (ref_parse(image, &ref, &why) < 0)
		bad(c, path, "%s", why.msg);
	ref_release(&ref);
}

static void check_container(struct ctx *c, struct spec_pod *pod, size_t i)
{
	struct spec_container *ct = &pod->containers[i];
	char path[PATH_LEN], sub[PATH_LEN + 16];
	size_t j;

	snprintf(path, sizeof(path), "containers[%zu]", i);
	snprintf(sub, sizeof(sub), "%s.image", path);
	if (!ct->image && !present(c, sub)) {
		bad(c, path, "'image' is missing");
		return;
	}
	if (!ct->image)
		return;		/* of the wrong type: said already */
	if (!*ct->image) {
		bad(c, sub, "empty image reference (expected an image such "
		    "as 'busybox:1.36')");
		return;
	}
	check_image(c, sub, ct->image);
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
	snprintf(sub, sizeof(sub), "%s.env", path);
	if (!present(c, sub))
		snprintf(sub, sizeof(sub), "%s.envs", path);
	check_env(c, ct, sub);
	check_user(c, ct, path);
	check_storage(c, pod, path, ct);
}

static void check_pod_storage(struct ctx *c, const struct spec_pod *pod)
{
	struct spec_storage_diag d = diag_of(c);

	spec_storage_check_pod(&d, &pod->storage);
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

	if (pod->hostname && !valid_hostname(pod->hostname))
		bad(c, "hostname", "'%s' is not a hostname (expected at most "
		    "63 characters of letters, digits and '-' in "
		    "dot-separated labels)", pod->hostname);
	if (pod->restart == SPEC_RESTART_UNSET)
		pod->restart = SPEC_RESTART_NEVER;
	/* a "containers" of the wrong type is said already */
	if (pod->n_containers == 0 && (!present(c, "containers") ||
	    cJSON_IsArray(jsonpos_find(c->root, "containers", NULL))))
		bad(c, "containers", "the pod has no containers");
	if (pod->n_containers > limits.containers)
		bad(c, "containers", "%zu, over the limit of %llu "
		    "(--%s raises it)", pod->n_containers,
		    (unsigned long long)limits.containers,
		    limit_flag_of(&limits.containers));
	check_pod_storage(c, pod);
	for (i = 0; i < pod->n_containers; i++)
		check_container(c, pod, i);
	check_ports(c, pod);
	check_port_count(c, pod);
	check_tty(c, pod);
	/* As the original daemon named a pod without an id: after its first
	 * container, so the name says what runs. */
	if (!pod->name && !present(c, "name") && !present(c, "id") &&
	    pod->n_containers && pod->containers[0].name)
		pod->name = xstrdup(pod->containers[0].name);
	if (!pod->hostname && pod->name)
		pod->hostname = hostname_from(pod->name);
}

/* What the text before off makes a JSON reader expect at off. */
static const char *expected_at(const char *text, size_t off)
{
	size_t i = off;
	char here = text[off];

	while (i > 0 && strchr(" \t\r\n", text[i - 1]))
		i--;
	if (i > 0 && text[i - 1] == ',' && (here == '}' || here == ']'))
		return "a trailing comma: expected another value after ','";
	if (here == '\'')
		return "expected a string in double quotes";
	if (i > 0 && (text[i - 1] == '{' || text[i - 1] == ','))
		return "expected a key in double quotes";
	if (i > 0 && text[i - 1] == ':')
		return "expected a value";
	if (i > 0 && (text[i - 1] == '"' || isalnum((unsigned char)text[i - 1])
		      || text[i - 1] == '}' || text[i - 1] == ']'))
		return "expected ',' or a closing '}' or ']'";
	return "expected a value";
}

/*
 * One step of a scan of JSON text at text[*i]: true when the character
 * opens, continues or closes a string (an escape's second character is
 * stepped over), so the caller looks only at what lies between strings.
 */
static bool string_step(const char *text, size_t *i, bool *in_string)
{
	if (*in_string) {
		if (text[*i] == '\\')
			(*i)++;
		else if (text[*i] == '"')
			*in_string = false;
		return true;
	}
	if (text[*i] == '"') {
		*in_string = true;
		return true;
	}
	return false;
}

/*
 * The closing bracket of the first trailing comma (",}" or ",]") outside
 * strings before limit, or SIZE_MAX. cJSON reports such a comma past the
 * bracket, at the end of the file.
 */
static size_t trailing_comma(const char *text, size_t limit)
{
	size_t i, comma = SIZE_MAX;
	bool in_string = false;

	for (i = 0; i < limit; i++) {
		if (string_step(text, &i, &in_string)) {
			comma = SIZE_MAX;
		} else if (text[i] == ',') {
			comma = i;
		} else if ((text[i] == '}' || text[i] == ']') &&
			   comma != SIZE_MAX) {
			return i;
		} else if (!strchr(" \t\r\n", text[i])) {
			comma = SIZE_MAX;
		}
	}
	return SIZE_MAX;
}

/*
 * Why text stops too soon, or NULL when every string and bracket in it is
 * closed: a file cut short, which cJSON reports at its last character.
 */
static const char *cut_short(const char *text, size_t len)
{
	char open[64];
	size_t i, depth = 0;
	bool in_string = false;

	for (i = 0; i < len; i++) {
		if (string_step(text, &i, &in_string))
			continue;
		if (text[i] == '{' || text[i] == '[') {
			if (depth < sizeof(open))
				open[depth] = text[i];
			depth++;
		} else if ((text[i] == '}' || text[i] == ']') && depth) {
			depth--;
		}
	}
	if (in_string)
		return "a string is not closed";
	if (!depth)
		return NULL;
	if (depth <= sizeof(open) && open[depth - 1] == '[')
		return "expected a value or a closing ']'";
	return "expected a value or a closing '}'";
}

static int syntax_error(const char *text, size_t len, const char *path,
			const char *at, struct hpc_err *err)
{
	unsigned int line, col;
	size_t off = at && at >= text && at <= text + len ? (size_t)(at - text)
							   : len;
	size_t comma = trailing_comma(text, off < len ? off + 1 : len);

	if (comma != SIZE_MAX)
		off = comma;
	/* cJSON stops one past a quote it does not take */
	if (off > 0 && off <= len && text[off - 1] == '\'')
		off--;
	while (off < len && strchr(" \t\r\n", text[off]))
		off++;
	/* nothing but blanks after the error: the file ends too soon */
	if (off + 1 + strspn(text + off + (off < len), " \t\r\n") >= len &&
	    cut_short(text, len))
		off = len;
	jsonpos_line_col(text, off, &line, &col);
	if (off >= len)
		return err_set(err, -EINVAL, "'%s':%u:%u: invalid JSON: "
			       "unexpected end of file (%s)", path, line, col,
			       cut_short(text, len) ? cut_short(text, len)
			       : "expected a value");
	return err_set(err, -EINVAL, "'%s':%u:%u: invalid JSON at '%.*s': %s",
		       path, line, col, (int)strcspn(text + off, "\r\n") < 12
		       ? (int)strcspn(text + off, "\r\n") : 12, text + off,
		       expected_at(text, off));
}

/* Whether a string literal as written holds the escape of a NUL. */
static bool has_nul_escape(const char *lit, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i++) {
		if (lit[i] != '\\')
			continue;
		if (lit[i + 1] == 'u' && i + 6 <= len &&
		    !strncmp(lit + i + 2, "0000", 4))
			return true;
		i++;
	}
	return false;
}

/*
 * The offset of the first byte of s that is not well-formed UTF-8
 * (overlong forms and surrogates included), or -1 when all of it is.
 */
static ptrdiff_t utf8_bad_at(const unsigned char *s)
{
	const unsigned char *p = s;
	unsigned int n, i, cp;

	while (*p) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		n = *p >= 0xf0 ? 3 : *p >= 0xe0 ? 2 : *p >= 0xc0 ? 1 : 0;
		if (n == 0 || *p > 0xf4)
			return p - s;
		cp = *p & (0x3f >> n);
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return p - s;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return p - s;
		p += n + 1;
	}
	return -1;
}

/*
 * cJSON ends a string at its first NUL, so "a\u0000b" would be read as
 * "a": refuse such a string, wherever it is. JSON text is UTF-8, and
 * every string of the pod may reach a manifest, a libvirt domain or a
 * terminal, so a string that is not is refused too.
 */
static void check_nul(struct ctx *c, const cJSON *v, const char *path)
{
	char sub[PATH_LEN];
	const cJSON *item;
	const char *lit;
	size_t len, i = 0;
	ptrdiff_t bad_at;

	lit = jsonpos_literal(&c->pos, v, &len);
	if (cJSON_IsString(v) && lit && has_nul_escape(lit, len))
		bad(c, path, "a string must not hold a NUL character "
		    "(\\u0000)");
	if (cJSON_IsString(v) && v->valuestring &&
	    (bad_at = utf8_bad_at((const unsigned char *)v->valuestring)) >= 0)
		bad(c, path, "not valid UTF-8 (the byte 0x%02x at offset %td; "
		    "a JSON string is UTF-8)",
		    (unsigned char)v->valuestring[bad_at], bad_at);
	cJSON_ArrayForEach(item, v) {
		if (cJSON_IsObject(v) && !*path)
			snprintf(sub, sizeof(sub), "%s", item->string);
		else if (cJSON_IsObject(v))
			map_key_path(sub, sizeof(sub), path, item->string);
		else
			snprintf(sub, sizeof(sub), "%s[%zu]", path, i++);
		check_nul(c, item, sub);
	}
}

static int trailing_text(const char *text, size_t len, const char *path,
			 const char *at, struct hpc_err *err)
{
	unsigned int line, col;
	size_t off = (size_t)(at - text), n = 0;

	while (off + n < len && n < 12 && !strchr("\r\n", at[n]))
		n++;

	jsonpos_line_col(text, off, &line, &col);
	return err_set(err, -EINVAL, "'%s':%u:%u: invalid JSON at '%.*s': "
		       "expected the end of the file after the pod's object",
		       path, line, col, (int)n, at);
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
	if (limit_json_depth(text, len, limits.json_depth) > limits.json_depth)
		return limit_exceeded(err, -EINVAL, &limits.json_depth, 0,
				      "'%s': JSON nesting", path);
	root = cJSON_ParseWithLengthOpts(text, len, &end, false);
	if (!root)
		return syntax_error(text, len, path, cJSON_GetErrorPtr(), err);
	/* one value a file: what follows it would otherwise be dropped */
	while (end && end < text + len && strchr(" \t\r\n", *end))
		end++;
	if (end && end < text + len) {
		cJSON_Delete(root);
		return trailing_text(text, len, path, end, err);
	}
	pod = xcalloc(1, sizeof(*pod));
	pod->memory = 128;
	pod->vcpu = 1;
	pod->dir = dir_of(path);
	c.root = root;
	jsonpos_index(&c.pos, text, len, root);
	check_nul(&c, root, "");
	parse_object(&c, "", root, pod_fields, ARRAY_SIZE(pod_fields), pod);
	if (cJSON_IsObject(root))
		check_pod(&c, pod);
	jsonpos_release(&c.pos);
	cJSON_Delete(root);
	if (c.n_errors) {
		spec_free(pod);
		return -EINVAL;
	}
	*ret = pod;
	return 0;
}

/* A pod file too big to read is refused before it is read. */
static int check_pod_size(const char *path, struct hpc_err *err)
{
	struct stat st;

	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    (uint64_t)st.st_size > limits.pod_bytes)
		return limit_exceeded(err, -EFBIG, &limits.pod_bytes,
				      (uint64_t)st.st_size,
				      "pod file '%s': bytes", path);
	return 0;
}

int spec_load(const char *path, bool strict, struct spec_pod **ret,
	      struct hpc_err *err)
{
	size_t len;
	char *text;
	int rc;

	rc = check_pod_size(path, err);
	if (rc < 0)
		return rc;
	rc = read_file(path, limits.pod_bytes, &text, &len, err);
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
		spec_storage_container_release(&ct->storage);
		strv_free(ct->groups);
		strv_free(ct->sysctl);
		strv_free(ct->labels);
		free(ct->ports);
	}
	spec_storage_pod_release(&pod->storage);
	free(pod->containers);
	strv_free(pod->dns);
	strv_free(pod->dns_search);
	strv_free(pod->dns_options);
	strv_free(pod->labels);
	free(pod->ports);
	free(pod->name);
	free(pod->hostname);
	free(pod->dir);
	free(pod);
}
