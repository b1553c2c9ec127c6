/*
 * pipeline: the steps of "hpc build". See pipeline.h.
 *
 * pipeline_run reads as the list of steps; each step is a function below
 * that fills in part of struct pipeline, and pipeline_release frees it
 * all, whatever step failed.
 */
#include "pipeline.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootcfg.h"
#include "digest.h"
#include "disk.h"
#include "fat.h"
#include "grub.h"
#include "image.h"
#include "initrd.h"
#include "kernel.h"
#include "loader_cache.h"
#include "podmanifest.h"
#include "outfile.h"
#include "plan.h"
#include "rootfs.h"
#include "rootfs_cache.h"
#include "spec.h"


/* The modules every pod needs: disk, network, exit channel, overlay. */
static const char *const wanted_modules[] = {
	"virtio_pci", "virtio_blk", "virtio_net", "virtio_console", "overlay",
	NULL,
};

/* One root filesystem, shared by the containers of one image. */
struct fs_slot {
	const struct image *img;
	struct rootfs *fs;
	char part[37];
	size_t part_index;
	uint8_t seed[DIGEST_LEN];
	char key[DIGEST_STR_LEN];	/* "" when it cannot be cached */
	char *cached;			/* a cached result, or NULL */
	uint64_t cached_size;
};

struct pipeline {
	const struct pipeline_opts *o;
	struct spec_pod *pod;
	struct image **images;		/* one a container */
	size_t *ct_slot;		/* container -> fs slot */
	struct fs_slot *slots;
	size_t n_slots;
	char *kernel, *moddir, *init, *cache;
	struct kernel_module *mods;
	size_t n_mods;
	struct plan plan;
	char *plan_text;
	char *workdir;			/* private temporary directory */
	char **tmpfiles;		/* in workdir, removed at the end */
	char *initrd;
	char *grub_core, *grub_efi, *grub_cfg;
	struct fat_file esp[4];		/* kernel, initrd, config, loader */
	struct podmanifest_blob kernel_blob, initrd_blob;
	struct disk_part *parts;
	size_t n_parts;
	uint64_t disk_size;
	char *manifest;
	struct outfile *out;
	int64_t epoch;			/* SOURCE_DATE_EPOCH, or -1 */
	bool bad_pod;			/* the pod file itself is wrong */
};

static int load_spec(struct pipeline *p, struct hpc_err *err)
{
	int rc = spec_load(p->o->pod_path, p->o->strict, &p->pod, err);

	p->bad_pod = rc == -EINVAL;
	return rc;
}

static int find_kernel(struct pipeline *p, struct hpc_err *err)
{
	char *version = NULL;
	int rc;

	if (!p->o->kernel)
		return kernel_find_default(&p->kernel, &p->moddir, err);
	p->kernel = xstrdup(p->o->kernel);
	if (access(p->kernel, R_OK) < 0)
		return err_set(err, -errno, "kernel '%s': %s", p->kernel,
			       strerror(errno));
	if (p->o->moddir) {
		p->moddir = xstrdup(p->o->moddir);
		return 0;
	}
	rc = kernel_version(p->kernel, &version, err);
	if (rc < 0)
		return rc;
	p->moddir = xasprintf("/lib/modules/%s", version);
	free(version);
	return 0;
}

static int find_init(struct pipeline *p, struct hpc_err *err)
{
	char exe[PATH_MAX], *dir, *c;
	const char *env = getenv("HPC_INIT");
	ssize_t n;

	if (p->o->init || env) {
		p->init = xstrdup(p->o->init ? p->o->init : env);
	} else {
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n < 0)
			return err_set(err, -errno, "cannot find hpc's own "
				       "path: %s", strerror(errno));
		exe[n] = '\0';
		dir = dirname(exe);
		c = xasprintf("%s/hpc-init", dir);
		if (access(c, R_OK) < 0) {
			free(c);
			c = xasprintf("%s/../libexec/hpc/hpc-init", dir);
		}
		p->init = c;
	}
	if (access(p->init, R_OK) < 0)
		return err_set(err, -errno, "init '%s': %s (--init names "
			       "another)", p->init, strerror(errno));
	return 0;
}

static char *default_cache(void)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");

	if (xdg && *xdg == '/')
		return xasprintf("%s/hpc", xdg);
	return xasprintf("%s/.cache/hpc", home && *home ? home : "/tmp");
}

/* A relative path in an image reference is relative to the pod file. */
static char *resolve_ref(const char *dir, const char *ref)
{
	static const char *const path_transports[] = {
		"oci:", "oci-archive:", "docker-archive:", "dir:", "tar:",
	};
	size_t i, n;

	for (i = 0; i < ARRAY_SIZE(path_transports); i++) {
		n = strlen(path_transports[i]);
		if (strncmp(ref, path_transports[i], n) != 0)
			continue;
		if (ref[n] == '/' || !strcmp(dir, "."))
			break;
		return xasprintf("%.*s%s/%s", (int)n, ref, dir, ref + n);
	}
	return xstrdup(ref);
}

static int fetch_images(struct pipeline *p, struct hpc_err *err)
{
	struct image_opts io = {
		.os = p->o->os ? p->o->os : "linux",
		.arch = p->o->arch ? p->o->arch : "amd64",
		.variant = p->o->variant,
		.insecure_registries = p->o->insecure_registries,
		.offline = p->o->offline,
	};
	size_t i;
	char *ref;
	int rc;

	p->cache = p->o->cache ? xstrdup(p->o->cache) : default_cache();
	io.cache_dir = p->cache;
	p->images = xcalloc(p->pod->n_containers, sizeof(*p->images));
	for (i = 0; i < p->pod->n_containers; i++) {
		ref = resolve_ref(p->pod->dir, p->pod->containers[i].image);
		log_debug("fetching '%s'", ref);
		rc = image_open(ref, &io, &p->images[i], err);
		free(ref);
		if (rc < 0) {
			err_prefix(err, "container '%s'",
				   p->pod->containers[i].name);
			return rc;
		}
	}
	return 0;
}

static bool same_layers(const struct image *a, const struct image *b)
{
	size_t i;

	if (a->n_layers != b->n_layers)
		return false;
	for (i = 0; i < a->n_layers; i++)
		if (strcmp(a->layers[i].digest, b->layers[i].digest))
			return false;
	return true;
}

static void seed_of(const struct image *img, uint8_t seed[DIGEST_LEN])
{
	struct digest_ctx *ctx = digest_new();
	size_t i;

	digest_update(ctx, "hpc-rootfs-1", 13);
	for (i = 0; i < img->n_layers; i++)
		digest_update(ctx, img->layers[i].digest,
			      strlen(img->layers[i].digest) + 1);
	digest_final(ctx, seed);
	digest_free(ctx);
}

/* Containers whose images have the same layers share one filesystem. */
static void assign_rootfs(struct pipeline *p)
{
	struct fs_slot *s;
	size_t i, j;

	p->ct_slot = xcalloc(p->pod->n_containers, sizeof(*p->ct_slot));
	p->slots = xcalloc(p->pod->n_containers, sizeof(*p->slots));
	for (i = 0; i < p->pod->n_containers; i++) {
		for (j = 0; j < p->n_slots; j++)
			if (same_layers(p->slots[j].img, p->images[i]))
				break;
		p->ct_slot[i] = j;
		if (j < p->n_slots)
			continue;
		s = &p->slots[p->n_slots++];
		s->img = p->images[i];
		snprintf(s->part, sizeof(s->part), "hpc-root-%zu", j);
		seed_of(s->img, s->seed);
	}
}

/*
 * slot_key - the cache key of a slot's filesystem: everything its bytes
 * depend on. Whatever else comes to shape a root filesystem must join
 * struct rootfs_cache_inputs, or a stale result would be reused.
 */
static void slot_key(struct pipeline *p, struct fs_slot *s)
{
	const char **layers = xcalloc(s->img->n_layers + 1, sizeof(*layers));
	struct rootfs_cache_inputs in = {
		.layers = layers,
		.n_layers = s->img->n_layers,
		.seed = s->seed,
		.label = s->part,
		.reserve_percent = p->o->reserve_percent,
		.time_clamp = p->epoch,
	};

	for (size_t l = 0; l < s->img->n_layers; l++)
		layers[l] = s->img->layers[l].digest;
	if (rootfs_cache_key(&in, s->key) < 0)
		s->key[0] = '\0';
	free(layers);
}

/* scan_slot - pass one over the layers of a slot's image. */
static int scan_slot(struct fs_slot *s, struct hpc_err *err)
{
	const struct image *img = s->img;
	int rc;

	s->fs = rootfs_new();
	for (size_t l = 0; l < img->n_layers; l++) {
		log_debug("reading layer %s", img->layers[l].digest);
		rc = rootfs_add_layer(s->fs, img->layers[l].path,
				      img->layers[l].digest, err);
		if (rc < 0) {
			err_prefix(err, "image '%s'", img->ref);
			return rc;
		}
	}
	return 0;
}

/* A filesystem found in the result cache needs no layer read at all. */
static int scan_rootfs(struct pipeline *p, struct hpc_err *err)
{
	struct fs_slot *s;
	int rc;

	assign_rootfs(p);
	for (size_t i = 0; i < p->n_slots; i++) {
		s = &p->slots[i];
		slot_key(p, s);
		if (s->key[0] && rootfs_cache_lookup(p->cache, s->key,
						     &s->cached,
						     &s->cached_size)) {
			log_debug("%s: reusing '%s'", s->part, s->cached);
			continue;
		}
		rc = scan_slot(s, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int make_plan(struct pipeline *p, struct hpc_err *err)
{
	struct plan *pl = &p->plan;
	size_t i;
	int rc;

	rc = kernel_resolve_modules(p->moddir, (const char *const *)wanted_modules,
				    &p->mods, &p->n_mods, err);
	if (rc < 0)
		return rc;
	pl->name = xstrdup(p->pod->name);
	pl->hostname = xstrdup(p->pod->hostname);
	pl->tty = p->pod->tty;
	pl->modules = xcalloc(1, sizeof(*pl->modules));
	for (i = 0; i < p->n_mods; i++)
		strv_take(&pl->modules, xasprintf("/lib/modules/%s.ko",
						  p->mods[i].name));
	pl->containers = xcalloc(p->pod->n_containers, sizeof(*pl->containers));
	for (i = 0; i < p->pod->n_containers; i++) {
		rc = plan_container_merge(p->pod, &p->pod->containers[i],
					  &p->images[i]->config,
					  p->slots[p->ct_slot[i]].part,
					  &pl->containers[i], err);
		if (rc < 0)
			return rc;
		pl->n_containers++;
	}
	p->plan_text = plan_encode(pl);
	return 0;
}

static int make_workdir(struct pipeline *p, struct hpc_err *err)
{
	const char *tmp = getenv("TMPDIR");

	p->workdir = xasprintf("%s/hpc-build-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(p->workdir))
		return 0;
	free(p->workdir);
	p->workdir = NULL;
	return err_set(err, -errno, "cannot make a temporary directory: %s",
		       strerror(errno));
}

/* A path in the private directory, removed when the build ends. */
static char *tmpfile_name(struct pipeline *p, const char *name)
{
	char *path = xasprintf("%s/%s", p->workdir, name);

	strv_push(&p->tmpfiles, path);
	return path;
}

static int write_initrd(struct pipeline *p, struct hpc_err *err)
{
	struct initrd_input in = {
		.init_path = p->init,
		.modules = p->mods,
		.n_modules = p->n_mods,
		.plan = p->plan_text,
		.mtime = p->epoch >= 0 ? p->epoch : 0,
	};

	p->initrd = tmpfile_name(p, "initrd");
	return initrd_write(p->initrd, &in, err);
}

/* The EFI loader, made on a thread while the BIOS core image is made. */
struct efi_job {
	const char *cache, *tmp;
	char *path;
	int rc;
	struct hpc_err err;
};

static void *make_efi(void *arg)
{
	struct efi_job *j = arg;

	j->rc = loader_cache_mkimage(j->cache, GRUB_EFI, BOOTCFG_ESP_LABEL,
				     j->tmp, &j->path, &j->err);
	return NULL;
}

/*
 * GRUB for both firmware paths, and the one configuration they share,
 * all in the EFI system partition beside the kernel and the initrd. The
 * images come from the cache when this GRUB made them before; else the
 * two grub-mkimage runs, independent, run side by side.
 */
static int make_loaders(struct pipeline *p, struct hpc_err *err)
{
	char *core_tmp = tmpfile_name(p, "core.img");
	struct efi_job efi = { .cache = p->cache };
	pthread_t thread;
	bool threaded;
	int rc;

	efi.tmp = tmpfile_name(p, "bootx64.efi");
	threaded = pthread_create(&thread, NULL, make_efi, &efi) == 0;
	rc = loader_cache_mkimage(p->cache, GRUB_PC, BOOTCFG_ESP_LABEL,
				  core_tmp, &p->grub_core, err);
	if (threaded)
		pthread_join(thread, NULL);
	else
		make_efi(&efi);
	free(core_tmp);
	free((char *)efi.tmp);
	p->grub_efi = efi.path;
	if (rc == 0 && efi.rc < 0) {
		*err = efi.err;
		rc = efi.rc;
	}
	if (rc == 0)
		rc = bootcfg_grub(BOOTCFG_CMDLINE, &p->grub_cfg, err);
	if (rc < 0)
		return rc;
	p->esp[0] = (struct fat_file){ .path = BOOTCFG_KERNEL, .src = p->kernel };
	p->esp[1] = (struct fat_file){ .path = BOOTCFG_INITRD, .src = p->initrd };
	p->esp[2] = (struct fat_file){ .path = BOOTCFG_PATH, .data = p->grub_cfg,
				       .len = strlen(p->grub_cfg) };
	p->esp[3] = (struct fat_file){ .path = BOOTCFG_EFI_LOADER,
				       .src = p->grub_efi };
	return 0;
}

static int blob_of(const char *path, struct podmanifest_blob *b,
		   struct hpc_err *err)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return err_set(err, -errno, "cannot read '%s': %s", path,
			       strerror(errno));
	b->size = (uint64_t)st.st_size;
	return digest_file(path, b->sha256, err);
}

static uint64_t round_up(uint64_t n, uint64_t to)
{
	return (n + to - 1) / to * to;
}

static void add_part(struct pipeline *p, const char *name,
		     enum disk_part_type type, uint64_t size)
{
	struct disk_part *d;

	p->parts = xreallocarray(p->parts, p->n_parts + 1, sizeof(*p->parts));
	d = &p->parts[p->n_parts++];
	*d = (struct disk_part){ .type = type, .size = round_up(size, DISK_ALIGN) };
	snprintf(d->name, sizeof(d->name), "%s", name);
}

/* The layer digests and cache keys of the slots, for the manifest. */
static struct podmanifest_rootfs *manifest_rootfs(struct pipeline *p)
{
	struct podmanifest_rootfs *r = xcalloc(p->n_slots + 1, sizeof(*r));
	const char **layers;
	const struct image *img;

	for (size_t i = 0; i < p->n_slots; i++) {
		img = p->slots[i].img;
		layers = xcalloc(img->n_layers + 1, sizeof(*layers));
		for (size_t l = 0; l < img->n_layers; l++)
			layers[l] = img->layers[l].digest;
		r[i] = (struct podmanifest_rootfs){
			.part = p->slots[i].part, .layers = layers,
			.n_layers = img->n_layers, .key = p->slots[i].key,
		};
	}
	return r;
}

static void manifest_text(struct pipeline *p)
{
	struct podmanifest_rootfs *rootfs = manifest_rootfs(p);
	struct podmanifest_input in = {
		.plan = &p->plan,
		.pod = p->pod,
		.cmdline = BOOTCFG_CMDLINE,
		.kernel = p->kernel_blob,
		.initrd = p->initrd_blob,
		.parts = p->parts,
		.n_parts = p->n_parts,
		.rootfs = rootfs,
		.n_rootfs = p->n_slots,
	};

	free(p->manifest);
	p->manifest = podmanifest_json(&in);
	for (size_t i = 0; i < p->n_slots; i++)
		free((void *)rootfs[i].layers);
	free(rootfs);
}

/*
 * The disk: BIOS boot, ESP (kernel, then initrd), manifest, one partition
 * a root filesystem. The manifest holds the offsets, so it is laid out
 * until its partition is large enough for its own text.
 */
static int lay_out(struct pipeline *p, struct hpc_err *err)
{
	uint64_t boot, mani = DISK_ALIGN, at[ARRAY_SIZE(p->esp)];
	size_t i;
	int rc;

	rc = blob_of(p->kernel, &p->kernel_blob, err);
	if (rc == 0)
		rc = blob_of(p->initrd, &p->initrd_blob, err);
	if (rc == 0)
		rc = fat_min_size(p->esp, ARRAY_SIZE(p->esp), DISK_ALIGN, &boot,
				  err);
	if (rc < 0)
		return rc;
	for (;;) {
		p->n_parts = 0;
		add_part(p, "hpc-bios", DISK_PART_BIOS_BOOT, DISK_ALIGN);
		add_part(p, "hpc-esp", DISK_PART_ESP, boot);
		add_part(p, "hpc-manifest", DISK_PART_LINUX, mani);
		for (i = 0; i < p->n_slots; i++) {
			struct rootfs_opts ro = {
				.reserve_percent = p->o->reserve_percent,
			};
			p->slots[i].part_index = p->n_parts;
			add_part(p, p->slots[i].part, DISK_PART_LINUX,
				 p->slots[i].cached ? p->slots[i].cached_size :
				 rootfs_size(p->slots[i].fs, &ro));
		}
		disk_layout(p->parts, p->n_parts, &p->disk_size);
		rc = fat_layout(p->esp, ARRAY_SIZE(p->esp), p->parts[1].offset,
				p->parts[1].size, at, err);
		if (rc < 0)
			return rc;
		p->kernel_blob.offset = at[0];
		p->initrd_blob.offset = at[1];
		manifest_text(p);
		if (strlen(p->manifest) < mani)
			return 0;
		mani = round_up(strlen(p->manifest) + 1, DISK_ALIGN);
	}
}

/* The ESP's FAT, BIOS GRUB in its partition and the MBR, the manifest. */
static int write_boot(struct pipeline *p, struct hpc_err *err)
{
	const struct disk_part *bios = &p->parts[0], *esp = &p->parts[1];
	uint8_t serial[DIGEST_LEN];
	struct fat_opts fo = {
		.label = BOOTCFG_ESP_LABEL,
		.mtime = p->epoch >= 0 ? p->epoch : 0,
	};
	int rc;

	digest_buf(p->manifest, strlen(p->manifest), serial);
	memcpy(&fo.serial, serial, sizeof(fo.serial));
	rc = fat_write(outfile_path(p->out), esp->offset, esp->size, p->esp,
		       ARRAY_SIZE(p->esp), &fo, NULL, err);
	if (rc == 0)
		rc = grub_install_bios(outfile_path(p->out), NULL, p->grub_core,
				       bios->offset, bios->size, err);
	if (rc == 0)
		rc = outfile_write(p->out, p->parts[2].offset, p->manifest,
				   strlen(p->manifest), err);
	return rc;
}

/*
 * load_cached - copy a cached result into its partition: 0, 1 when the
 * entry was damaged (the slot is then read from its layers), or -errno.
 */
static int load_cached(struct pipeline *p, struct fs_slot *s,
		       const struct disk_part *d, struct hpc_err *err)
{
	struct rootfs_opts ro = { .reserve_percent = p->o->reserve_percent };
	int rc;

	log_debug("copying %s from the cache", s->part);
	rc = rootfs_cache_load(s->cached, outfile_path(p->out), d->offset,
			       d->size, err);
	if (rc != -EBADMSG)
		return rc;
	log_warn("%s, rebuilding it", err->msg);
	rc = scan_slot(s, err);
	if (rc == 0 && rootfs_size(s->fs, &ro) != d->size)
		rc = err_set(err, -ESTALE, "%s: the layers no longer give "
			     "the size of the cached result; build again",
			     s->part);
	return rc < 0 ? rc : 1;
}

/* keep_result - best effort: a result not kept only costs time later. */
static void keep_result(struct pipeline *p, const struct fs_slot *s,
			const struct disk_part *d)
{
	struct hpc_err e;

	if (!s->key[0])
		return;
	if (rootfs_cache_store(p->cache, s->key, outfile_path(p->out),
			       d->offset, d->size, &e) < 0)
		log_warn("cannot keep %s in the cache: %s, ignoring", s->part,
			 e.msg);
}

static int write_slot(struct pipeline *p, struct fs_slot *s,
		      const struct disk_part *d, struct hpc_err *err)
{
	struct rootfs_opts ro = {
		.time_clamp = p->epoch,
		.reserve_percent = p->o->reserve_percent,
		.label = s->part,
	};
	int rc;

	memcpy(ro.seed, s->seed, sizeof(ro.seed));
	log_debug("writing %s (%llu MiB)", s->part,
		  (unsigned long long)(d->size >> 20));
	rc = rootfs_write(s->fs, outfile_path(p->out), d->offset, d->size,
			  &ro, err);
	if (rc == 0)
		keep_result(p, s, d);
	return rc;
}

static int write_rootfs(struct pipeline *p, struct hpc_err *err)
{
	const struct disk_part *d;
	struct fs_slot *s;
	int rc;

	for (size_t i = 0; i < p->n_slots; i++) {
		s = &p->slots[i];
		d = &p->parts[s->part_index];
		rc = s->cached ? load_cached(p, s, d, err) : 1;
		if (rc > 0)
			rc = write_slot(p, s, d, err);
		if (rc < 0) {
			err_prefix(err, "image '%s'", s->img->ref);
			return rc;
		}
	}
	return 0;
}

static int write_gpt(struct pipeline *p, struct hpc_err *err)
{
	uint8_t seed[DIGEST_LEN];

	digest_buf(p->manifest, strlen(p->manifest), seed);
	return disk_write_gpt(outfile_path(p->out), p->parts, p->n_parts,
			      p->disk_size, seed, err);
}

static int64_t source_date_epoch(void)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	char *end;
	long long n;

	if (!s || !*s)
		return -1;
	n = strtoll(s, &end, 10);
	if (*end || n < 0) {
		log_warn("SOURCE_DATE_EPOCH '%s' is not a number of seconds, "
			 "ignoring", s);
		return -1;
	}
	return n;
}

static void pipeline_release(struct pipeline *p)
{
	size_t i;

	outfile_abort(p->out);
	for (i = 0; i < p->n_slots; i++) {
		rootfs_free(p->slots[i].fs);
		free(p->slots[i].cached);
	}
	for (i = 0; p->images && i < p->pod->n_containers; i++)
		image_free(p->images[i]);
	for (i = 0; p->tmpfiles && p->tmpfiles[i]; i++)
		unlink(p->tmpfiles[i]);
	if (p->workdir)
		rmdir(p->workdir);
	kernel_modules_free(p->mods, p->n_mods);
	plan_release(&p->plan);
	spec_free(p->pod);
	free(p->images);
	free(p->ct_slot);
	free(p->slots);
	free(p->kernel);
	free(p->moddir);
	free(p->init);
	free(p->cache);
	free(p->plan_text);
	free(p->workdir);
	strv_free(p->tmpfiles);
	free(p->initrd);
	free(p->grub_core);
	free(p->grub_efi);
	free(p->grub_cfg);
	free(p->parts);
	free(p->manifest);
}

static int check_output(struct pipeline *p, struct hpc_err *err)
{
	return outfile_check_dir(p->o->output, err);
}

static int create_output(struct pipeline *p, struct hpc_err *err)
{
	return outfile_create(p->o->output, p->disk_size, &p->out, err);
}

static int commit_output(struct pipeline *p, struct hpc_err *err)
{
	return outfile_commit(&p->out, err);
}

static const struct step {
	const char *what;
	int (*run)(struct pipeline *p, struct hpc_err *err);
} steps[] = {
	/* what the user named is checked before any slow step */
	{ "checking the output directory", check_output },
	{ "reading the pod file", load_spec },
	{ "finding the kernel", find_kernel },
	{ "finding hpc-init", find_init },
	/* every image verified before anything is written */
	{ "fetching images", fetch_images },
	{ "reading layers", scan_rootfs },
	{ "planning", make_plan },
	{ "making a private directory", make_workdir },
	{ "writing the initrd", write_initrd },
	{ "making boot loaders", make_loaders },
	{ "laying out the disk", lay_out },
	/* the image goes to a temporary file beside the output */
	{ "creating the image", create_output },
	{ "writing kernel, initrd and manifest", write_boot },
	{ "writing root filesystems", write_rootfs },
	{ "writing the partition table", write_gpt },
	{ "renaming into place", commit_output },
};

int pipeline_run(const struct pipeline_opts *o, bool *ret_bad_pod,
		 struct hpc_err *err)
{
	struct pipeline p = { .o = o, .epoch = source_date_epoch() };
	size_t i;
	int rc = 0;

	for (i = 0; i < ARRAY_SIZE(steps) && rc == 0; i++) {
		log_debug("%s", steps[i].what);
		rc = steps[i].run(&p, err);
	}
	*ret_bad_pod = p.bad_pod;
	pipeline_release(&p);
	return rc;
}
