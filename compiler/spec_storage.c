/*
 * spec_storage: pod and container "files" and "volumes", parsed and
 * checked in stage "spec". See spec_storage.h.
 *
 * Each object is read through a table of its fields, as spec.c reads
 * the rest of the pod; problems are reported through the diag spec.c
 * hands in, so one run names them all, each with its JSON path.
 */
#include "spec_storage.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "jsonpos.h"
#include "util.h"

#define PATH_LEN 256
#define DEFAULT_PERM 0755

typedef void (*item_fn)(const struct spec_storage_diag *d, const char *path,
			const cJSON *v, void *obj);

struct item {
	const char *key;	/* matched case-insensitively */
	item_fn parse;		/* NULL: accepted and ignored */
};

static void __attribute__((format(printf, 3, 4)))
bad(const struct spec_storage_diag *d, const char *path, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	d->bad(d->ctx, path, msg);
}

static void __attribute__((format(printf, 3, 4)))
warn(const struct spec_storage_diag *d, const char *path, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	d->warn(d->ctx, path, msg);
}

/* A JSON path made from a longer one; a path past PATH_LEN is cut. */
static void __attribute__((format(printf, 3, 4)))
subpath(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst, size, fmt, ap);
	va_end(ap);
}

static void known_keys(const struct item *items, size_t n, char *buf,
		       size_t size)
{
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < n && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
					i ? ", " : "", items[i].key);
}

static void parse_items(const struct spec_storage_diag *d, const char *path,
			const cJSON *v, const struct item *items, size_t n,
			void *obj)
{
	char sub[PATH_LEN], keys[256];
	const cJSON *it;
	size_t i;

	if (!cJSON_IsObject(v)) {
		bad(d, path, "expected an object, found %s", jsonpos_type(v));
		return;
	}
	cJSON_ArrayForEach(it, v) {
		for (i = 0; i < n; i++)
			if (!strcasecmp(it->string, items[i].key))
				break;
		subpath(sub, sizeof(sub), "%s.%s", path,
			 i < n ? items[i].key : it->string);
		if (i < n && items[i].parse) {
			items[i].parse(d, sub, it, obj);
		} else if (i == n) {
			known_keys(items, n, keys, sizeof(keys));
			warn(d, sub, "unknown key '%s' (expected %s)",
			     it->string, keys);
		}
	}
}

/*
 * Each element of the array v parsed into a new element of *arr, zeroed
 * and given its defaults by init (which may be NULL) first.
 */
static void parse_array(const struct spec_storage_diag *d, const char *path,
			const cJSON *v, const struct item *items, size_t n,
			void **arr, size_t *count, size_t elem,
			void (*init)(void *obj))
{
	char sub[PATH_LEN];
	const cJSON *it;
	char *obj;

	if (cJSON_IsNull(v))
		return;
	if (!cJSON_IsArray(v)) {
		bad(d, path, "expected an array, found %s", jsonpos_type(v));
		return;
	}
	cJSON_ArrayForEach(it, v) {
		*arr = xreallocarray(*arr, *count + 1, elem);
		obj = (char *)*arr + *count * elem;
		memset(obj, 0, elem);
		if (init)
			init(obj);
		subpath(sub, sizeof(sub), "%s[%zu]", path, (*count)++);
		parse_items(d, sub, it, items, n, obj);
	}
}

static void set_string(const struct spec_storage_diag *d, const char *path,
		       const cJSON *v, char **dst)
{
	if (!cJSON_IsString(v)) {
		bad(d, path, "expected a string, found %s", jsonpos_type(v));
		return;
	}
	free(*dst);
	*dst = xstrdup(v->valuestring);
}

/* A string, or "" and null as if the key were absent. */
static void set_opt_string(const struct spec_storage_diag *d,
			   const char *path, const cJSON *v, char **dst)
{
	if (cJSON_IsNull(v) || (cJSON_IsString(v) && !*v->valuestring)) {
		free(*dst);
		*dst = NULL;
		return;
	}
	set_string(d, path, v, dst);
}

/* A user or group: a name, or a number written either way. */
/* The largest id Linux gives an owner; 4294967295 is "no owner" (-1). */
#define OWNER_ID_MAX 4294967294.0

/*
 * A file's owner: a name, looked up in the image at build time, or an
 * id as a number or a string of digits, 0 to 4294967294 as for a
 * container's user.
 */
static void set_owner(const struct spec_storage_diag *d, const char *path,
		      const cJSON *v, char **dst)
{
	const char *s = cJSON_IsString(v) ? v->valuestring : NULL;
	char text[32];
	double id;

	if (cJSON_IsNumber(v) || (s && *s && strspn(s, "0123456789") ==
				  strlen(s))) {
		id = s ? strtod(s, NULL) : v->valuedouble;
		if (id < 0 || id > OWNER_ID_MAX ||
		    id != (double)(unsigned long)id) {
			snprintf(text, sizeof(text), "%.17g", id);
			bad(d, path, "'%s' is not an owner id (expected 0 to "
			    "4294967294, or a name)", s ? s : text);
			return;
		}
		free(*dst);
		*dst = xasprintf("%lu", (unsigned long)id);
		return;
	}
	set_opt_string(d, path, v, dst);
}

#define FILE_(f) (&((struct spec_file *)obj)->f)
#define FREF(f) (&((struct spec_file_ref *)obj)->f)
#define VOL(f) (&((struct spec_volume *)obj)->f)
#define VREF(f) (&((struct spec_volume_ref *)obj)->f)

/*
 * The content is kept raw until the whole object is read, since
 * "encoding" may come after it; see finish_file.
 */
static void file_name(const struct spec_storage_diag *d, const char *p,
		      const cJSON *v, void *obj)
{
	set_string(d, p, v, FILE_(name));
}

static void file_uri(const struct spec_storage_diag *d, const char *p,
		     const cJSON *v, void *obj)
{
	set_opt_string(d, p, v, FILE_(uri));
}

static void file_content(const struct spec_storage_diag *d, const char *p,
			 const cJSON *v, void *obj)
{
	set_string(d, p, v, FILE_(content));
	if (*FILE_(content))
		*FILE_(content_len) = strlen(*FILE_(content));
}

static void file_encoding(const struct spec_storage_diag *d, const char *p,
			  const cJSON *v, void *obj)
{
	if (cJSON_IsNull(v))
		return;
	if (!cJSON_IsString(v)) {
		bad(d, p, "expected a string, found %s", jsonpos_type(v));
		return;
	}
	if (!*v->valuestring || !strcasecmp(v->valuestring, "raw"))
		return;
	if (!strcasecmp(v->valuestring, "base64")) {
		*FILE_(base64) = true;
		return;
	}
	bad(d, p, "'%s' is not an encoding (expected raw or base64)",
	    v->valuestring);
}

static void file_sha256(const struct spec_storage_diag *d, const char *p,
			const cJSON *v, void *obj)
{
	const char *s;
	size_t i;

	if (cJSON_IsNull(v) || (cJSON_IsString(v) && !*v->valuestring))
		return;
	if (!cJSON_IsString(v)) {
		bad(d, p, "expected a string, found %s", jsonpos_type(v));
		return;
	}
	s = v->valuestring;
	if (!strncasecmp(s, "sha256:", 7))
		s += 7;
	for (i = 0; s[i] && isxdigit((unsigned char)s[i]); i++)
		;
	if (i != 64 || s[i]) {
		bad(d, p, "'%s' is not a SHA-256 (expected 64 hex digits)",
		    v->valuestring);
		return;
	}
	free(*FILE_(sha256));
	*FILE_(sha256) = xstrdup(s);
	for (i = 0; i < 64; i++)
		(*FILE_(sha256))[i] = (char)tolower((unsigned char)s[i]);
}

static const struct item file_items[] = {
	{ .key = "name", .parse = file_name },
	{ .key = "encoding", .parse = file_encoding },
	{ .key = "uri", .parse = file_uri },
	{ .key = "content", .parse = file_content },
	{ .key = "sha256", .parse = file_sha256 },
};

/* Strict base64, line breaks and spaces ignored; -EINVAL when not. */
static int base64_decode(const char *in, char **ret, size_t *ret_len)
{
	size_t n = 0, pad = 0, i;
	char *clean = xmalloc(strlen(in) + 1);
	unsigned char *out;
	int len;

	for (i = 0; in[i]; i++)
		if (!isspace((unsigned char)in[i]))
			clean[n++] = in[i];
	clean[n] = '\0';
	while (pad < n && pad < 2 && clean[n - 1 - pad] == '=')
		pad++;
	out = xmalloc(n / 4 * 3 + 4);
	len = n % 4 ? -1 : EVP_DecodeBlock(out, (unsigned char *)clean,
					   (int)n);
	free(clean);
	if (len < 0) {
		free(out);
		return -EINVAL;
	}
	out[len - (int)pad] = '\0';
	*ret = (char *)out;
	*ret_len = (size_t)len - pad;
	return 0;
}

static void finish_file(const struct spec_storage_diag *d, const char *path,
			struct spec_file *f)
{
	char sub[PATH_LEN], *bytes;
	size_t len;

	if (!f->name || !*f->name)
		bad(d, path, "'name' is missing");
	if (!f->content) {
		f->content = xstrdup("");
		f->content_len = 0;
	}
	if (!f->base64 || f->uri)
		return;
	subpath(sub, sizeof(sub), "%s.content", path);
	if (base64_decode(f->content, &bytes, &len) < 0) {
		bad(d, sub, "not valid base64 (encoding is base64)");
		return;
	}
	free(f->content);
	f->content = bytes;
	f->content_len = len;
}

void spec_storage_pod_files(const struct spec_storage_diag *d,
			    const char *path, const cJSON *v,
			    struct spec_storage_pod *pod)
{
	char sub[PATH_LEN];
	size_t first = pod->n_files, i;

	parse_array(d, path, v, file_items, ARRAY_SIZE(file_items),
		    (void **)&pod->files, &pod->n_files, sizeof(*pod->files),
		    NULL);
	for (i = first; i < pod->n_files; i++) {
		subpath(sub, sizeof(sub), "%s[%zu]", path, i);
		finish_file(d, sub, &pod->files[i]);
	}
}

static void fref_path(const struct spec_storage_diag *d, const char *p,
		      const cJSON *v, void *obj)
{
	set_string(d, p, v, FREF(path));
}

static void fref_filename(const struct spec_storage_diag *d, const char *p,
			  const cJSON *v, void *obj)
{
	set_string(d, p, v, FREF(filename));
}

/* An octal string, as chmod takes it: "0644", "755". */
static void fref_perm(const struct spec_storage_diag *d, const char *p,
		      const cJSON *v, void *obj)
{
	unsigned long n;
	const char *s;
	char *end;

	if (cJSON_IsNull(v) || (cJSON_IsString(v) && !*v->valuestring))
		return;
	if (!cJSON_IsString(v)) {
		bad(d, p, "expected an octal string such as \"0644\", found %s",
		    jsonpos_type(v));
		return;
	}
	s = v->valuestring;
	errno = 0;
	n = strtoul(s, &end, 8);
	if (!isdigit((unsigned char)*s) || *end || errno || n > 07777) {
		bad(d, p, "'%s' is not an octal mode (expected 0000 to 7777, "
		    "such as \"0644\")", s);
		return;
	}
	*FREF(perm) = (unsigned int)n;
}

static void fref_user(const struct spec_storage_diag *d, const char *p,
		      const cJSON *v, void *obj)
{
	set_owner(d, p, v, FREF(user));
}

static void fref_group(const struct spec_storage_diag *d, const char *p,
		       const cJSON *v, void *obj)
{
	set_owner(d, p, v, FREF(group));
}

static void fref_init(void *obj)
{
	*FREF(perm) = DEFAULT_PERM;
}

static const struct item fref_items[] = {
	{ .key = "path", .parse = fref_path },
	{ .key = "filename", .parse = fref_filename },
	{ .key = "perm", .parse = fref_perm },
	{ .key = "user", .parse = fref_user },
	{ .key = "group", .parse = fref_group },
};

void spec_storage_ct_files(const struct spec_storage_diag *d,
			   const char *path, const cJSON *v,
			   struct spec_storage_container *ct)
{
	parse_array(d, path, v, fref_items, ARRAY_SIZE(fref_items),
		    (void **)&ct->files, &ct->n_files, sizeof(*ct->files),
		    fref_init);
}

static const struct {
	const char *name;
	int format;		/* enum spec_volume_format, or -1 */
} volume_formats[] = {
	{ "vfs", SPEC_VOLUME_VFS },
	{ "raw", SPEC_VOLUME_RAW },
	{ "qcow2", SPEC_VOLUME_QCOW2 },
	{ "rbd", -1 },
	{ "nas", -1 },
	{ "vdi", -1 },
	{ "vmdk", -1 },
};

const char *spec_volume_format_name(enum spec_volume_format f)
{
	static const char *const names[] = {
		[SPEC_VOLUME_VFS] = "vfs",
		[SPEC_VOLUME_EMPTY] = "vfs",
		[SPEC_VOLUME_RAW] = "raw",
		[SPEC_VOLUME_QCOW2] = "qcow2",
	};

	return (size_t)f < ARRAY_SIZE(names) ? names[f] : "vfs";
}

static void vol_name(const struct spec_storage_diag *d, const char *p,
		     const cJSON *v, void *obj)
{
	set_string(d, p, v, VOL(name));
}

static void vol_source(const struct spec_storage_diag *d, const char *p,
		       const cJSON *v, void *obj)
{
	set_opt_string(d, p, v, VOL(source));
}

static void vol_format(const struct spec_storage_diag *d, const char *p,
		       const cJSON *v, void *obj)
{
	size_t i;

	if (cJSON_IsNull(v) || (cJSON_IsString(v) && !*v->valuestring))
		return;
	if (!cJSON_IsString(v)) {
		bad(d, p, "expected a string, found %s", jsonpos_type(v));
		return;
	}
	for (i = 0; i < ARRAY_SIZE(volume_formats); i++)
		if (!strcasecmp(v->valuestring, volume_formats[i].name))
			break;
	if (i < ARRAY_SIZE(volume_formats) && volume_formats[i].format >= 0) {
		*VOL(format) =
			(enum spec_volume_format)volume_formats[i].format;
		return;
	}
	bad(d, p, "volume format '%s' is not supported (expected vfs, raw "
	    "or qcow2)", v->valuestring);
}

/* Binary units: a number is MiB; a string may end in K, M, G or T. */
static int parse_size(const cJSON *v, uint64_t *ret)
{
	static const char units[] = "KMGT";
	unsigned long long n;
	const char *u;
	char *end;

	if (cJSON_IsNumber(v)) {
		if (v->valuedouble < 1 || v->valuedouble > 16777216.0 ||
		    v->valuedouble !=
			    (double)(unsigned long long)v->valuedouble)
			return -EINVAL;
		*ret = (uint64_t)v->valuedouble << 20;
		return 0;
	}
	if (!cJSON_IsString(v) || !isdigit((unsigned char)*v->valuestring))
		return -EINVAL;
	errno = 0;
	n = strtoull(v->valuestring, &end, 10);
	if (errno || n == 0)
		return -EINVAL;
	if (*end == '\0') {
		*ret = n << 20;
		return n > (1ull << 24) ? -EINVAL : 0;
	}
	u = strchr(units, toupper((unsigned char)*end));
	if (!u || (end[1] && strcasecmp(end + 1, "iB") &&
		   strcasecmp(end + 1, "B")))
		return -EINVAL;
	if (n > (1ull << 44) >> (10 * (u - units)))
		return -EINVAL;
	*ret = n << (10 * (u - units + 1));
	return 0;
}

static void vol_size(const struct spec_storage_diag *d, const char *p,
		     const cJSON *v, void *obj)
{
	uint64_t size;

	if (cJSON_IsNull(v))
		return;
	if (parse_size(v, &size) < 0 || size < (1ull << 20)) {
		bad(d, p, "expected a size of at least 1 MiB (a number of "
		    "MiB, or a string such as \"512M\" or \"2G\")");
		return;
	}
	*VOL(size) = size;
}

static void vol_fstype(const struct spec_storage_diag *d, const char *p,
		       const cJSON *v, void *obj)
{
	set_opt_string(d, p, v, VOL(fstype));
}

static const struct item volume_items[] = {
	{ .key = "name", .parse = vol_name },
	{ .key = "source", .parse = vol_source },
	{ .key = "driver", .parse = vol_format },
	{ .key = "format", .parse = vol_format },
	{ .key = "size", .parse = vol_size },
	{ .key = "fstype", .parse = vol_fstype },
	{ .key = "option", .parse = NULL },
};

static bool valid_volume_name(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > SPEC_VOLUME_NAME_MAX || !isalnum((unsigned char)*s))
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			return false;
	return true;
}

static void finish_volume(const struct spec_storage_diag *d,
			  const char *path, struct spec_volume *vol)
{
	if (!vol->name || !*vol->name)
		bad(d, path, "'name' is missing");
	else if (!valid_volume_name(vol->name))
		bad(d, path, "volume name '%s' is not valid (expected 1 to %d "
		    "letters, digits, '_', '.' or '-')", vol->name,
		    SPEC_VOLUME_NAME_MAX);
	if (vol->format == SPEC_VOLUME_VFS && !vol->source)
		vol->format = SPEC_VOLUME_EMPTY;
	if ((vol->format == SPEC_VOLUME_RAW ||
	     vol->format == SPEC_VOLUME_QCOW2) && !vol->source)
		bad(d, path, "a %s volume needs a 'source'",
		    spec_volume_format_name(vol->format));
	if (vol->size && (vol->format == SPEC_VOLUME_RAW ||
			  vol->format == SPEC_VOLUME_QCOW2))
		bad(d, path, "'size' applies to vfs volumes only (a %s "
		    "volume is as large as its source)",
		    spec_volume_format_name(vol->format));
	if (vol->fstype && strcasecmp(vol->fstype, "ext4") &&
	    strcasecmp(vol->fstype, "ext2") && strcasecmp(vol->fstype, "ext3"))
		bad(d, path, "fstype '%s' is not supported (expected ext4)",
		    vol->fstype);
}

void spec_storage_pod_volumes(const struct spec_storage_diag *d,
			      const char *path, const cJSON *v,
			      struct spec_storage_pod *pod)
{
	char sub[PATH_LEN];
	size_t first = pod->n_volumes, i;

	parse_array(d, path, v, volume_items, ARRAY_SIZE(volume_items),
		    (void **)&pod->volumes, &pod->n_volumes,
		    sizeof(*pod->volumes), NULL);
	for (i = first; i < pod->n_volumes; i++) {
		subpath(sub, sizeof(sub), "%s[%zu]", path, i);
		finish_volume(d, sub, &pod->volumes[i]);
	}
}

static void vref_path(const struct spec_storage_diag *d, const char *p,
		      const cJSON *v, void *obj)
{
	set_string(d, p, v, VREF(path));
}

static void vref_volume(const struct spec_storage_diag *d, const char *p,
			const cJSON *v, void *obj)
{
	set_string(d, p, v, VREF(volume));
}

static void vref_read_only(const struct spec_storage_diag *d, const char *p,
			   const cJSON *v, void *obj)
{
	if (!cJSON_IsBool(v)) {
		bad(d, p, "expected true or false, found %s", jsonpos_type(v));
		return;
	}
	*VREF(read_only) = cJSON_IsTrue(v);
}

static const struct item vref_items[] = {
	{ .key = "path", .parse = vref_path },
	{ .key = "volume", .parse = vref_volume },
	{ .key = "readOnly", .parse = vref_read_only },
};

void spec_storage_ct_volumes(const struct spec_storage_diag *d,
			     const char *path, const cJSON *v,
			     struct spec_storage_container *ct)
{
	parse_array(d, path, v, vref_items, ARRAY_SIZE(vref_items),
		    (void **)&ct->volumes, &ct->n_volumes,
		    sizeof(*ct->volumes), NULL);
}

const struct spec_file *
spec_storage_find_file(const struct spec_storage_pod *pod, const char *name)
{
	size_t i;

	for (i = 0; name && i < pod->n_files; i++)
		if (pod->files[i].name && !strcmp(pod->files[i].name, name))
			return &pod->files[i];
	return NULL;
}

const struct spec_volume *
spec_storage_find_volume(const struct spec_storage_pod *pod, const char *name)
{
	size_t i;

	for (i = 0; name && i < pod->n_volumes; i++)
		if (pod->volumes[i].name && !strcmp(pod->volumes[i].name, name))
			return &pod->volumes[i];
	return NULL;
}

void spec_storage_check_pod(const struct spec_storage_diag *d,
			    const struct spec_storage_pod *pod)
{
	char path[PATH_LEN];
	size_t i, j;

	for (i = 0; i < pod->n_files; i++)
		for (j = 0; pod->files[i].name && j < i; j++)
			if (pod->files[j].name &&
			    !strcmp(pod->files[i].name, pod->files[j].name)) {
				subpath(path, sizeof(path), "files[%zu]", i);
				bad(d, path, "name '%s' is already used by "
				    "files[%zu]", pod->files[i].name, j);
			}
	for (i = 0; i < pod->n_volumes; i++)
		for (j = 0; pod->volumes[i].name && j < i; j++)
			if (pod->volumes[j].name &&
			    !strcmp(pod->volumes[i].name, pod->volumes[j].name)) {
				subpath(path, sizeof(path), "volumes[%zu]", i);
				bad(d, path, "name '%s' is already used by "
				    "volumes[%zu]", pod->volumes[i].name, j);
			}
}

/* Whether p has a "." or ".." component. */
static bool has_dot_component(const char *p)
{
	size_t n;

	for (; *p; p += n) {
		p += strspn(p, "/");
		n = strcspn(p, "/");
		if ((n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return true;
	}
	return false;
}

/*
 * An absolute path that names something below the root, without "." or
 * ".." (which could name the root itself, or a place other than the one
 * written).
 */
static bool good_path(const char *p)
{
	return p && p[0] == '/' && strspn(p, "/") < strlen(p) &&
	       !has_dot_component(p);
}

/* Whether a and b name the same place, repeated and final '/' aside. */
static bool same_path(const char *a, const char *b)
{
	size_t na, nb;

	for (;;) {
		a += strspn(a, "/");
		b += strspn(b, "/");
		na = strcspn(a, "/");
		nb = strcspn(b, "/");
		if (na != nb || strncmp(a, b, na))
			return false;
		if (!na)
			return true;
		a += na;
		b += nb;
	}
}

static void check_fref(const struct spec_storage_diag *d, const char *path,
		       const struct spec_storage_pod *pod,
		       const struct spec_file_ref *r)
{
	if (!r->path)
		bad(d, path, "'path' is missing");
	else if (!good_path(r->path))
		bad(d, path, "path '%s' is not an absolute path below '/' "
		    "(without '.' or '..')", r->path);
	if (!r->filename)
		bad(d, path, "'filename' is missing");
	else if (!spec_storage_find_file(pod, r->filename))
		bad(d, path, "filename '%s' names no pod file (expected the "
		    "name of an entry of the pod's 'files')", r->filename);
}

static void check_vref(const struct spec_storage_diag *d, const char *path,
		       const struct spec_storage_pod *pod,
		       const struct spec_storage_container *ct, size_t i)
{
	const struct spec_volume_ref *r = &ct->volumes[i];
	size_t j;

	if (!r->path)
		bad(d, path, "'path' is missing");
	else if (!good_path(r->path))
		bad(d, path, "path '%s' is not an absolute path below '/' "
		    "(without '.' or '..')", r->path);
	if (!r->volume)
		bad(d, path, "'volume' is missing");
	else if (!spec_storage_find_volume(pod, r->volume))
		bad(d, path, "volume '%s' names no pod volume (expected the "
		    "name of an entry of the pod's 'volumes')", r->volume);
	for (j = 0; r->path && j < i; j++)
		if (ct->volumes[j].path &&
		    same_path(ct->volumes[j].path, r->path))
			bad(d, path, "path '%s' is already mounted by "
			    "volumes[%zu]", r->path, j);
}

void spec_storage_check_container(const struct spec_storage_diag *d,
				  const char *ct_path,
				  const struct spec_storage_pod *pod,
				  const struct spec_storage_container *ct)
{
	char path[PATH_LEN];
	size_t i;

	for (i = 0; i < ct->n_files; i++) {
		subpath(path, sizeof(path), "%s.files[%zu]", ct_path, i);
		check_fref(d, path, pod, &ct->files[i]);
	}
	for (i = 0; i < ct->n_volumes; i++) {
		subpath(path, sizeof(path), "%s.volumes[%zu]", ct_path, i);
		check_vref(d, path, pod, ct, i);
	}
}

void spec_storage_pod_release(struct spec_storage_pod *pod)
{
	size_t i;

	for (i = 0; i < pod->n_files; i++) {
		free(pod->files[i].name);
		free(pod->files[i].uri);
		free(pod->files[i].content);
		free(pod->files[i].sha256);
	}
	for (i = 0; i < pod->n_volumes; i++) {
		free(pod->volumes[i].name);
		free(pod->volumes[i].source);
		free(pod->volumes[i].fstype);
	}
	free(pod->files);
	free(pod->volumes);
	*pod = (struct spec_storage_pod){ 0 };
}

void spec_storage_container_release(struct spec_storage_container *ct)
{
	size_t i;

	for (i = 0; i < ct->n_files; i++) {
		free(ct->files[i].path);
		free(ct->files[i].filename);
		free(ct->files[i].user);
		free(ct->files[i].group);
	}
	for (i = 0; i < ct->n_volumes; i++) {
		free(ct->volumes[i].path);
		free(ct->volumes[i].volume);
	}
	free(ct->files);
	free(ct->volumes);
	*ct = (struct spec_storage_container){ 0 };
}
