/*
 * specjson: struct spec_pod -> JSON (see specjson.h). Keys are written in
 * a fixed order, so the manifest that holds them stays reproducible.
 */
#include "specjson.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "plan.h"
#include "spec_storage.h"
#include "util.h"

static void add_strv(cJSON *o, const char *key, char *const *v)
{
	cJSON *a;
	size_t i;

	if (!v)
		return;
	a = cJSON_AddArrayToObject(o, key);
	for (i = 0; v[i]; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
}

/* "KEY=VALUE" entries as {"KEY": "VALUE"}. */
static void add_map(cJSON *o, const char *key, char *const *v)
{
	cJSON *m;
	char *name;
	size_t i, n;

	if (!v)
		return;
	m = cJSON_AddObjectToObject(o, key);
	for (i = 0; v[i]; i++) {
		n = strcspn(v[i], "=");
		name = xstrndup(v[i], n);
		cJSON_AddStringToObject(m, name, v[i][n] ? v[i] + n + 1 : "");
		free(name);
	}
}

static cJSON *range_json(unsigned int first, unsigned int count)
{
	char *s;
	cJSON *r;

	if (count == 1 || first == 0)
		return cJSON_CreateNumber(first);
	s = xasprintf("%u-%u", first, first + count - 1);
	r = cJSON_CreateString(s);
	free(s);
	return r;
}

static void add_ports(cJSON *o, const char *key, const struct spec_port *p,
		      size_t n)
{
	cJSON *a, *e;
	size_t i;

	if (!n)
		return;
	a = cJSON_AddArrayToObject(o, key);
	for (i = 0; i < n; i++) {
		e = cJSON_CreateObject();
		cJSON_AddItemToObject(e, "containerPort",
				      range_json(p[i].container_port,
						 p[i].count));
		cJSON_AddItemToObject(e, "hostPort",
				      range_json(p[i].host_port, p[i].count));
		cJSON_AddStringToObject(e, "protocol",
					p[i].udp ? "udp" : "tcp");
		cJSON_AddItemToArray(a, e);
	}
}

static void add_opt_string(cJSON *o, const char *key, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, key, v);
}

static char *base64_of(const unsigned char *p, size_t n)
{
	static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				     "abcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = xmalloc((n + 2) / 3 * 4 + 1), *q = out;
	size_t i;
	unsigned long w;

	for (i = 0; i < n; i += 3) {
		w = (unsigned long)p[i] << 16;
		if (i + 1 < n)
			w |= (unsigned long)p[i + 1] << 8;
		if (i + 2 < n)
			w |= p[i + 2];
		*q++ = digits[(w >> 18) & 63];
		*q++ = digits[(w >> 12) & 63];
		*q++ = i + 1 < n ? digits[(w >> 6) & 63] : '=';
		*q++ = i + 2 < n ? digits[w & 63] : '=';
	}
	*q = '\0';
	return out;
}

/*
 * Content as written: base64 when it was, or when it holds a NUL; or
 * when brief, its size and digest only.
 */
static void add_content(cJSON *o, const struct spec_file *f, bool brief)
{
	uint8_t d[DIGEST_LEN];
	char *b64, hex[DIGEST_STR_LEN];

	if (!f->content)
		return;
	if (brief) {
		cJSON_AddNumberToObject(o, "contentBytes",
					(double)f->content_len);
		digest_buf(f->content, f->content_len, d);
		digest_format(d, hex);
		cJSON_AddStringToObject(o, "contentDigest", hex);
		return;
	}
	if (!f->base64 && strlen(f->content) == f->content_len) {
		cJSON_AddStringToObject(o, "content", f->content);
		return;
	}
	b64 = base64_of((const unsigned char *)f->content, f->content_len);
	cJSON_AddStringToObject(o, "encoding", "base64");
	cJSON_AddStringToObject(o, "content", b64);
	free(b64);
}

static void add_pod_storage(cJSON *o, const struct spec_storage_pod *st,
			    bool brief)
{
	cJSON *a, *e;
	char *size;
	size_t i;

	a = cJSON_AddArrayToObject(o, "files");
	for (i = 0; i < st->n_files; i++) {
		e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "name", st->files[i].name);
		add_opt_string(e, "uri", st->files[i].uri);
		add_content(e, &st->files[i], brief);
		add_opt_string(e, "sha256", st->files[i].sha256);
		cJSON_AddItemToArray(a, e);
	}
	a = cJSON_AddArrayToObject(o, "volumes");
	for (i = 0; i < st->n_volumes; i++) {
		const struct spec_volume *v = &st->volumes[i];

		e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "name", v->name);
		add_opt_string(e, "source", v->source);
		cJSON_AddStringToObject(e, "format",
					spec_volume_format_name(v->format));
		/* in the units the spec reads back: MiB, or KiB as "NK" */
		if (v->size && !(v->size & ((1ull << 20) - 1))) {
			cJSON_AddNumberToObject(e, "size",
						(double)(v->size >> 20));
		} else if (v->size) {
			size = xasprintf("%lluK",
					 (unsigned long long)v->size >> 10);
			cJSON_AddStringToObject(e, "size", size);
			free(size);
		}
		add_opt_string(e, "fstype", v->fstype);
		cJSON_AddItemToArray(a, e);
	}
}

static void add_ct_storage(cJSON *o, const struct spec_storage_container *st)
{
	cJSON *a, *e;
	char perm[8];
	size_t i;

	a = cJSON_AddArrayToObject(o, "files");
	for (i = 0; i < st->n_files; i++) {
		const struct spec_file_ref *f = &st->files[i];

		e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "path", f->path);
		cJSON_AddStringToObject(e, "filename", f->filename);
		snprintf(perm, sizeof(perm), "%04o", f->perm);
		cJSON_AddStringToObject(e, "perm", perm);
		add_opt_string(e, "user", f->user);
		add_opt_string(e, "group", f->group);
		cJSON_AddItemToArray(a, e);
	}
	a = cJSON_AddArrayToObject(o, "volumes");
	for (i = 0; i < st->n_volumes; i++) {
		e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "path", st->volumes[i].path);
		cJSON_AddStringToObject(e, "volume", st->volumes[i].volume);
		cJSON_AddBoolToObject(e, "readOnly", st->volumes[i].read_only);
		cJSON_AddItemToArray(a, e);
	}
}

static cJSON *container_json(const struct spec_container *ct)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "name", ct->name);
	cJSON_AddStringToObject(o, "image", ct->image);
	add_strv(o, "entrypoint", ct->entrypoint);
	add_strv(o, "command", ct->command);
	add_strv(o, "env", ct->env);
	if (ct->workdir)
		cJSON_AddStringToObject(o, "workdir", ct->workdir);
	if (ct->user)
		cJSON_AddStringToObject(o, "user", ct->user);
	add_strv(o, "additionalGroups", ct->groups);
	cJSON_AddStringToObject(o, "restartPolicy",
				spec_restart_name(ct->restart));
	cJSON_AddBoolToObject(o, "sidecar", ct->sidecar);
	cJSON_AddBoolToObject(o, "tty", ct->tty);
	cJSON_AddBoolToObject(o, "readOnly", ct->read_only);
	add_map(o, "sysctl", ct->sysctl);
	add_map(o, "labels", ct->labels);
	add_ports(o, "ports", ct->ports, ct->n_ports);
	add_ct_storage(o, &ct->storage);
	return o;
}

/* Without "dns" the pod gets QEMU's resolver; say so, as plan.c does. */
static char *const default_dns[] = { PLAN_DNS, NULL };

static cJSON *pod_json(const struct spec_pod *pod, bool brief)
{
	cJSON *o = cJSON_CreateObject(), *res, *cts;
	size_t i;

	cJSON_AddStringToObject(o, "name", pod->name);
	cJSON_AddStringToObject(o, "hostname", pod->hostname);
	res = cJSON_AddObjectToObject(o, "resource");
	cJSON_AddNumberToObject(res, "vcpu", pod->vcpu);
	cJSON_AddNumberToObject(res, "memory", pod->memory);
	cJSON_AddBoolToObject(o, "tty", pod->tty);
	cJSON_AddStringToObject(o, "restartPolicy",
				spec_restart_name(pod->restart));
	add_strv(o, "dns", pod->dns ? pod->dns : default_dns);
	add_strv(o, "dnsSearch", pod->dns_search);
	add_strv(o, "dnsOptions", pod->dns_options);
	add_map(o, "labels", pod->labels);
	add_ports(o, "portmappings", pod->ports, pod->n_ports);
	add_pod_storage(o, &pod->storage, brief);
	cts = cJSON_AddArrayToObject(o, "containers");
	for (i = 0; i < pod->n_containers; i++)
		cJSON_AddItemToArray(cts, container_json(&pod->containers[i]));
	return o;
}

cJSON *specjson_pod(const struct spec_pod *pod)
{
	return pod_json(pod, false);
}

cJSON *specjson_pod_brief(const struct spec_pod *pod)
{
	return pod_json(pod, true);
}

static void expand(cJSON *a, const struct spec_port *p, size_t n)
{
	unsigned int k;
	cJSON *e;
	size_t i;

	for (i = 0; i < n; i++) {
		for (k = 0; k < p[i].count; k++) {
			e = cJSON_CreateObject();
			cJSON_AddNumberToObject(e, "containerPort",
						p[i].container_port + k);
			cJSON_AddNumberToObject(e, "hostPort", p[i].host_port
						? p[i].host_port + k : 0);
			cJSON_AddStringToObject(e, "protocol",
						p[i].udp ? "udp" : "tcp");
			cJSON_AddItemToArray(a, e);
		}
	}
}

cJSON *specjson_ports(const struct spec_pod *pod)
{
	cJSON *a = cJSON_CreateArray();
	size_t i;

	expand(a, pod->ports, pod->n_ports);
	for (i = 0; i < pod->n_containers; i++)
		expand(a, pod->containers[i].ports, pod->containers[i].n_ports);
	return a;
}
