/*
 * podmanifest: write the image's manifest with cJSON. See podmanifest.h.
 */
#include "podmanifest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "specjson.h"

static cJSON *strv_json(char *const *v)
{
	cJSON *a = cJSON_CreateArray();
	size_t i;

	for (i = 0; v && v[i]; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
	return a;
}

static cJSON *blob_json(const struct podmanifest_blob *b)
{
	char hex[DIGEST_STR_LEN];
	cJSON *o = cJSON_CreateObject();

	digest_format(b->sha256, hex);
	cJSON_AddNumberToObject(o, "offset", (double)b->offset);
	cJSON_AddNumberToObject(o, "size", (double)b->size);
	cJSON_AddStringToObject(o, "sha256", hex);
	return o;
}

static cJSON *parts_json(const struct disk_part *parts, size_t n)
{
	cJSON *a = cJSON_CreateArray(), *o;
	size_t i;

	for (i = 0; i < n; i++) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", parts[i].name);
		cJSON_AddNumberToObject(o, "offset", (double)parts[i].offset);
		cJSON_AddNumberToObject(o, "size", (double)parts[i].size);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static cJSON *mounts_json(const struct plan_container *c)
{
	cJSON *a = cJSON_CreateArray(), *o;
	size_t i;

	for (i = 0; i < c->n_mounts; i++) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "volume", c->mounts[i].volume);
		cJSON_AddStringToObject(o, "path", c->mounts[i].path);
		cJSON_AddBoolToObject(o, "readOnly", c->mounts[i].read_only);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

/* The pod's volumes, each with the partition that holds it. */
static cJSON *volumes_json(const struct spec_pod *pod)
{
	const struct spec_volume *v;
	cJSON *a = cJSON_CreateArray(), *o;
	char part[64];
	size_t i;

	for (i = 0; i < pod->storage.n_volumes; i++) {
		v = &pod->storage.volumes[i];
		snprintf(part, sizeof(part), SPEC_VOLUME_PART_PREFIX "%s",
			 v->name);
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", v->name);
		cJSON_AddStringToObject(o, "format",
					spec_volume_format_name(v->format));
		cJSON_AddStringToObject(o, "partition", part);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static cJSON *container_json(const struct plan_container *c,
			     const struct spec_container *ct)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "name", c->name);
	cJSON_AddStringToObject(o, "image", ct->image);
	cJSON_AddStringToObject(o, "rootfs", c->rootfs);
	cJSON_AddItemToObject(o, "argv", strv_json(c->argv));
	cJSON_AddItemToObject(o, "env", strv_json(c->env));
	cJSON_AddStringToObject(o, "workdir", c->workdir);
	cJSON_AddStringToObject(o, "user", c->user);
	cJSON_AddStringToObject(o, "restartPolicy",
				spec_restart_name(c->restart));
	cJSON_AddNumberToObject(o, "stopSignal", c->stop_signal);
	cJSON_AddBoolToObject(o, "sidecar", c->sidecar);
	cJSON_AddItemToObject(o, "volumes", mounts_json(c));
	return o;
}

static cJSON *rootfs_json(const struct podmanifest_rootfs *r)
{
	cJSON *o = cJSON_CreateObject(), *a;

	cJSON_AddStringToObject(o, "partition", r->part);
	a = cJSON_AddArrayToObject(o, "layers");
	for (size_t i = 0; i < r->n_layers; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(r->layers[i]));
	cJSON_AddStringToObject(o, "key", r->key);
	return o;
}

/* add_inputs - "inputs": the digest of the text so far and of the keys. */
static void add_inputs(cJSON *root, const struct podmanifest_input *in)
{
	struct digest_ctx *ctx = digest_new();
	char *text = cJSON_PrintUnformatted(root), hex[DIGEST_STR_LEN];
	uint8_t sum[DIGEST_LEN];
	cJSON *o, *a;

	if (!text)
		abort();
	digest_update(ctx, "hpc-inputs-1", 13);
	digest_update(ctx, text, strlen(text) + 1);
	for (size_t i = 0; i < in->n_rootfs; i++)
		digest_update(ctx, in->rootfs[i].key,
			      strlen(in->rootfs[i].key) + 1);
	digest_final(ctx, sum);
	digest_free(ctx);
	free(text);
	digest_format(sum, hex);
	o = cJSON_AddObjectToObject(root, "inputs");
	cJSON_AddStringToObject(o, "digest", hex);
	a = cJSON_AddArrayToObject(o, "rootfs");
	for (size_t i = 0; i < in->n_rootfs; i++)
		cJSON_AddItemToArray(a, rootfs_json(&in->rootfs[i]));
}

char *podmanifest_json(const struct podmanifest_input *in)
{
	cJSON *root = cJSON_CreateObject(), *res, *cts;
	char *text;
	size_t i;

	cJSON_AddNumberToObject(root, "format", PODMANIFEST_FORMAT);
	cJSON_AddStringToObject(root, "name", in->plan->name);
	cJSON_AddStringToObject(root, "hostname", in->plan->hostname);
	cJSON_AddStringToObject(root, "cmdline", in->cmdline);
	res = cJSON_AddObjectToObject(root, "resources");
	cJSON_AddNumberToObject(res, "memory", in->pod->memory);
	cJSON_AddNumberToObject(res, "vcpu", in->pod->vcpu);
	cJSON_AddBoolToObject(root, "tty", in->plan->tty);
	cJSON_AddItemToObject(root, "kernel", blob_json(&in->kernel));
	cJSON_AddItemToObject(root, "initrd", blob_json(&in->initrd));
	cJSON_AddItemToObject(root, "partitions",
			      parts_json(in->parts, in->n_parts));
	cts = cJSON_AddArrayToObject(root, "containers");
	for (i = 0; i < in->plan->n_containers; i++)
		cJSON_AddItemToArray(cts,
				     container_json(&in->plan->containers[i],
						    &in->pod->containers[i]));
	cJSON_AddItemToObject(root, "ports", specjson_ports(in->pod));
	cJSON_AddItemToObject(root, "volumes", volumes_json(in->pod));
	cJSON_AddItemToObject(root, "pod", specjson_pod_brief(in->pod));
	add_inputs(root, in);
	text = cJSON_Print(root);
	cJSON_Delete(root);
	if (!text)
		abort();
	return text;
}
