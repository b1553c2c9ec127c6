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

#include "bake.h"
#include "bootcfg.h"
#include "cleanup.h"
#include "digest.h"
#include "disk.h"
#include "fat.h"
#include "grub.h"
#include "image.h"
#include "initbin.h"
#include "initrd.h"
#include "initrd_cache.h"
#include "job.h"
#include "kernel.h"
#include "limit.h"
#include "loader_cache.h"
#include "podimage.h"
#include "podmanifest.h"
#include "outfile.h"
#include "plan.h"
#include "podfiles.h"
#include "rootfs.h"
#include "rootfs_cache.h"
#include "rootfs_keep.h"
#include "spec.h"
#include "volume.h"


/*
 * One root filesystem, shared by the containers of one image that bake
 * the same pod files (those of ct).
 */
struct fs_slot {
	const struct image *img;
	size_t ct;
	struct rootfs *fs;
	char part[37];
	size_t part_index;
	uint8_t seed[DIGEST_LEN];
	char key[DIGEST_STR_LEN];	/* "" when it cannot be cached */
	char *cached;			/* a cached result, or NULL */
	uint64_t cached_size;
	struct rootfs_keep *keep;	/* its copy into the cache, or NULL */
};

/*
 * One GRUB image, made on a thread of its own from the start of the
 * build: it depends on no input of the pod, so grub-mkimage runs while
 * the layers are read.
 */
struct loader_job {
	const char *cache;
	enum grub_platform platform;
	char *tmp, *path;
	struct job job;
	int rc;
	struct hpc_err err;
};

struct pipeline {
	const struct pipeline_opts *o;
	struct spec_pod *pod;
	struct image **images;		/* one a container */
	size_t *ct_slot;		/* container -> fs slot */
	struct fs_slot *slots;
	size_t n_slots;
	char **file_paths;		/* pod files' bytes, in workdir */
	struct volume **volumes;	/* one a pod volume */
	size_t *vol_part;		/* volume -> index in parts */
	char *kernel, *moddir, *init, *cache;
	struct kernel_module *mods;
	size_t n_mods;
	struct plan plan;
	char *plan_text;
	char *workdir;			/* private temporary directory */
	char **tmpfiles;		/* in workdir, removed at the end */
	int *cleanups;			/* workdir's, then each tmpfile's */
	size_t n_cleanups;
	char *initrd;
	struct loader_job loaders[2];	/* BIOS, EFI: running from the start */
	char *grub_core, *grub_efi, *grub_cfg;
	struct fat_file esp[4];		/* kernel, initrd, config, loader */
	struct podmanifest_blob kernel_blob, initrd_blob;
	struct disk_part *parts;
	size_t n_parts;
	uint64_t disk_size;
	char *manifest;
	struct outfile *out;
	char *out_path;			/* the output, symlinks followed */
	int64_t epoch;			/* SOURCE_DATE_EPOCH, or -1 */
	bool bad_pod;			/* the pod file itself is wrong */
	pthread_mutex_t lock;		/* tmpfiles and cleanups */
	bool reads_dir;			/* a dir: tree: no threads beside it */
	struct job keeper;		/* copying results into the cache */
	struct job preparer;		/* the initrd's bulk, early */
	struct initrd_parts *initrd_parts;
};

/* spec_load applies the pod-level limits, so validate says the same. */
static int load_spec(struct pipeline *p, struct hpc_err *err)
{
	int rc = spec_load(p->o->pod_path, p->o->strict, &p->pod, err);

	if (rc == -EINVAL || rc == -EFBIG)
		p->bad_pod = true;
	return rc;
}

static int find_kernel(struct pipeline *p, struct hpc_err *err)
{
	char *version = NULL;
	int rc;

	if (!p->o->kernel) {
		rc = kernel_find_default(&p->kernel, &p->moddir, err);
		/* --modules alone names the default kernel's modules */
		if (rc == 0 && p->o->moddir) {
			free(p->moddir);
			p->moddir = xstrdup(p->o->moddir);
		}
		return rc;
	}
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
	return initbin_check(p->init, err);
}

static char *default_cache(void)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");

	if (xdg && *xdg == '/')
		return xasprintf("%s/hpc", xdg);
	return xasprintf("%s/.cache/hpc", home && *home ? home : "/tmp");
}

/* The transports whose reference is a local path. */
static const char *const path_transports[] = {
	"oci:", "oci-archive:", "docker-archive:", "dir:", "tar:",
};

/* A relative path in an image reference is relative to the pod file. */
static char *resolve_ref(const char *dir, const char *ref)
{
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
		.owner_set = p->o->owner_set,
		.owner_uid = p->o->owner_uid,
		.owner_gid = p->o->owner_gid,
		/* checked when scan_slot reads the layer, if it ever does */
		.defer_layer_digests = true,
	};
	size_t i;
	char *ref;
	int rc;

	io.cache_dir = p->cache;
	p->images = xcalloc(p->pod->n_containers, sizeof(*p->images));
	for (i = 0; i < p->pod->n_containers; i++) {
		ref = resolve_ref(p->pod->dir, p->pod->containers[i].image);
		log_debug("fetching '%s'", ref);
		rc = image_open(ref, &io, &p->images[i], err);
		free(ref);
		if (rc == 0 && p->images[i]->n_layers > limits.layers)
			rc = limit_exceeded(err, -E2BIG, &limits.layers,
					    p->images[i]->n_layers, "layers");
		if (rc < 0) {
			err_prefix(err, "container '%s'",
				   p->pod->containers[i].name);
			return rc;
		}
	}
	return 0;
}

/*
 * Remove path too if a signal ends the build (see cleanup.h). Slots are
 * read and written on threads, which may ask for temporary files.
 */
static void watch(struct pipeline *p, int handle)
{
	pthread_mutex_lock(&p->lock);
	p->cleanups = xreallocarray(p->cleanups, p->n_cleanups + 1,
				    sizeof(*p->cleanups));
	p->cleanups[p->n_cleanups++] = handle;
	pthread_mutex_unlock(&p->lock);
}

static int make_workdir(struct pipeline *p, struct hpc_err *err)
{
	const char *tmp = getenv("TMPDIR");
	int handle = -1, rc;

	p->workdir = xasprintf("%s/hpc-build-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	rc = cleanup_mkdtemp(p->workdir, &handle);
	if (rc == 0) {
		watch(p, handle);
		return 0;
	}
	free(p->workdir);
	p->workdir = NULL;
	return err_set(err, rc, "cannot make a temporary directory: %s",
		       strerror(-rc));
}

/* A path in the private directory, removed when the build ends. */
static char *tmpfile_name(struct pipeline *p, const char *name)
{
	char *path = xasprintf("%s/%s", p->workdir, name);

	pthread_mutex_lock(&p->lock);
	strv_push(&p->tmpfiles, path);
	pthread_mutex_unlock(&p->lock);
	watch(p, cleanup_add(path));
	return path;
}

/* The pod files' bytes, each in a file of the private directory. */
static int fetch_files(struct pipeline *p, struct hpc_err *err)
{
	const struct spec_storage_pod *st = &p->pod->storage;
	char name[32], what[32];
	size_t i;
	int rc;

	p->file_paths = xcalloc(st->n_files + 1, sizeof(*p->file_paths));
	for (i = 0; i < st->n_files; i++) {
		snprintf(name, sizeof(name), "file-%zu", i);
		snprintf(what, sizeof(what), "files[%zu]", i);
		p->file_paths[i] = tmpfile_name(p, name);
		log_debug("fetching %s '%s'", what, st->files[i].name);
		rc = podfiles_fetch(&st->files[i], what, p->pod->dir,
				    p->file_paths[i], err);
		if (rc < 0) {
			err_prefix(err, "'%s'", p->o->pod_path);
			return rc;
		}
	}
	return 0;
}

/* Every volume's source read, and its partition's size known. */
static int read_volumes(struct pipeline *p, struct hpc_err *err)
{
	const struct spec_storage_pod *st = &p->pod->storage;
	char name[48], what[32], *tmp;
	size_t i;
	int rc;

	p->volumes = xcalloc(st->n_volumes + 1, sizeof(*p->volumes));
	p->vol_part = xcalloc(st->n_volumes + 1, sizeof(*p->vol_part));
	for (i = 0; i < st->n_volumes; i++) {
		snprintf(name, sizeof(name), "volume-%zu", i);
		snprintf(what, sizeof(what), "volumes[%zu]", i);
		tmp = tmpfile_name(p, name);
		rc = volume_prepare(&st->volumes[i], what, p->pod->dir, tmp,
				    &p->volumes[i], err);
		free(tmp);
		if (rc < 0) {
			err_prefix(err, "'%s'", p->o->pod_path);
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

/* From the layers, and the digest of the baked files' layer if any. */
static void seed_of(const struct image *img, const char *baked,
		    uint8_t seed[DIGEST_LEN])
{
	struct digest_ctx *ctx = digest_new();
	size_t i;

	digest_update(ctx, "hpc-rootfs-1", 13);
	for (i = 0; i < img->n_layers; i++)
		digest_update(ctx, img->layers[i].digest,
			      strlen(img->layers[i].digest) + 1);
	if (baked)
		digest_update(ctx, baked, strlen(baked) + 1);
	digest_final(ctx, seed);
	digest_free(ctx);
}

/*
 * Containers whose images have the same layers, and that bake the same
 * pod files, share one filesystem.
 */
static void assign_rootfs(struct pipeline *p)
{
	struct fs_slot *s;
	size_t i, j;

	p->ct_slot = xcalloc(p->pod->n_containers, sizeof(*p->ct_slot));
	p->slots = xcalloc(p->pod->n_containers, sizeof(*p->slots));
	for (i = 0; i < p->pod->n_containers; i++) {
		for (j = 0; j < p->n_slots; j++)
			if (same_layers(p->slots[j].img, p->images[i]) &&
			    bake_same(&p->pod->containers[p->slots[j].ct],
				      &p->pod->containers[i]))
				break;
		p->ct_slot[i] = j;
		if (j < p->n_slots)
			continue;
		s = &p->slots[p->n_slots++];
		s->img = p->images[i];
		s->ct = i;
		snprintf(s->part, sizeof(s->part), "hpc-root-%zu", j);
		seed_of(s->img, NULL, s->seed);
	}
}

/* The slot's pod files, one more layer on top of the image's. */
static int bake_slot(struct pipeline *p, struct fs_slot *s,
		     struct hpc_err *err)
{
	char name[64], ct_path[64], *tar, hex[DIGEST_STR_LEN];
	uint8_t d[DIGEST_LEN];
	struct bake_input in = {
		.pod = p->pod,
		.ct = &p->pod->containers[s->ct],
		.ct_path = ct_path,
		.file_paths = p->file_paths,
		.mtime = p->epoch >= 0 ? p->epoch : 0,
	};
	int rc;

	if (!in.ct->storage.n_files)
		return 0;
	snprintf(ct_path, sizeof(ct_path), "containers[%zu]", s->ct);
	snprintf(name, sizeof(name), "baked-%s.tar", s->part);
	tar = tmpfile_name(p, name);
	rc = bake_files(s->fs, &in, tar, err);
	if (rc == 0)
		rc = digest_file(tar, d, err);
	free(tar);
	if (rc < 0) {
		err_prefix(err, "'%s'", p->o->pod_path);
		return rc;
	}
	digest_format(d, hex);
	seed_of(s->img, hex, s->seed);
	return 0;
}

/* One layer, where its transport left it, on top of fs. */
static int add_layer(struct rootfs *fs, const struct image_layer *ly,
		     struct hpc_err *err)
{
	struct rootfs_source src = { .path = ly->path, .offset = ly->offset,
				     .length = ly->length, .uid = -1,
				     .gid = -1 };

	if (ly->owner_set) {
		src.uid = ly->owner_uid;
		src.gid = ly->owner_gid;
	}
	return rootfs_add_source(fs, &src, ly->digest, err);
}

/* has_dir_layer - whether the image is a dir: tree, read in place. */
static bool has_dir_layer(const struct image *img)
{
	for (size_t l = 0; l < img->n_layers; l++)
		if (!strcmp(img->layers[l].media_type, ROOTFS_DIR_MEDIA_TYPE))
			return true;
	return false;
}

/*
 * Whether a slot's filesystem may come from the result cache: not when
 * it bakes pod files or runs a user given by name (what they become is
 * known only once the image's /etc/passwd has been read), nor from a dir: tree, whose digest covers
 * names and metadata, not the bytes of its files.
 */
static bool cacheable(const struct pipeline *p, const struct fs_slot *s)
{
	size_t i;

	if (p->pod->containers[s->ct].storage.n_files)
		return false;
	/* nor when a user name must be checked in that /etc/passwd */
	for (i = 0; i < p->pod->n_containers; i++)
		if (p->ct_slot[i] == (size_t)(s - p->slots) &&
		    bake_user_has_names(&p->pod->containers[i]))
			return false;
	return !has_dir_layer(s->img);
}

/*
 * slot_key - the cache key of a slot's filesystem: everything its bytes
 * depend on. Whatever else comes to shape a root filesystem must join
 * struct rootfs_cache_inputs, or a stale result would be reused.
 */
static void slot_key(struct pipeline *p, struct fs_slot *s)
{
	const char **layers;
	struct rootfs_cache_inputs in = {
		.n_layers = s->img->n_layers,
		.seed = s->seed,
		.label = s->part,
		.reserve_percent = p->o->reserve_percent,
		.time_clamp = p->epoch,
	};

	s->key[0] = '\0';
	if (!cacheable(p, s))
		return;
	layers = xcalloc(s->img->n_layers + 1, sizeof(*layers));
	in.layers = layers;
	for (size_t l = 0; l < s->img->n_layers; l++)
		layers[l] = s->img->layers[l].digest;
	if (rootfs_cache_key(&in, s->key) < 0)
		s->key[0] = '\0';
	free(layers);
}

/*
 * The user names of the slot's containers, looked up in the tree they
 * will run in, so that an unknown one fails the build, not the boot.
 */
static int check_users(struct pipeline *p, struct fs_slot *s,
		       struct hpc_err *err)
{
	char ct_path[64];
	size_t i;
	int rc;

	for (i = 0; i < p->pod->n_containers; i++) {
		if (p->ct_slot[i] != (size_t)(s - p->slots))
			continue;
		snprintf(ct_path, sizeof(ct_path), "containers[%zu]", i);
		rc = bake_check_user(s->fs, &p->pod->containers[i], ct_path,
				     err);
		if (rc < 0) {
			err_prefix(err, "'%s'", p->o->pod_path);
			return rc;
		}
	}
	return 0;
}

/* slot_prefix - name the container and image an error of slot s is in. */
static void slot_prefix(const struct pipeline *p, const struct fs_slot *s,
			struct hpc_err *err)
{
	err_prefix(err, "container '%s': image '%s'",
		   p->pod->containers[s->ct].name, s->img->ref);
}

/*
 * stage_beside_output - let pass one keep what it inflates, in the
 * output's directory: where that cannot be, pass two inflates again.
 */
static void stage_beside_output(const struct pipeline *p,
				struct fs_slot *s)
{
	char *dir = xstrdup(p->out_path);
	int rc = rootfs_use_stage(s->fs, dirname(dir));

	if (rc < 0)
		log_debug("%s: cannot keep inflated layers beside the output: "
			  "%s", s->part, strerror(-rc));
	free(dir);
}

/*
 * read_layers - pass one over the layers of a slot's image. The layers'
 * digests are checked on the side meanwhile: pass one writes nothing
 * into the image, and a damaged blob explains whatever pass one made of
 * it.
 */
static int read_layers(struct pipeline *p, struct fs_slot *s,
		       struct hpc_err *err)
{
	const struct image *img = s->img;
	struct image_verify *v = image_verify_start(img);
	struct hpc_err verr;
	int rc = 0, vrc;

	s->fs = rootfs_new();
	stage_beside_output(p, s);
	for (size_t l = 0; rc == 0 && l < img->n_layers; l++) {
		log_debug("reading layer %s", img->layers[l].digest);
		rc = add_layer(s->fs, &img->layers[l], err);
	}
	vrc = image_verify_finish(v, &verr);
	if (vrc < 0) {
		*err = verr;
		rc = vrc;
	}
	if (rc < 0) {
		slot_prefix(p, s, err);
		return rc;
	}
	log_debug("%s: %zu of %zu layers inflated once", s->part,
		  rootfs_staged(s->fs), img->n_layers);
	return 0;
}

/* scan_slot - the slot's layers, then its files, then its users. */
static int scan_slot(struct pipeline *p, struct fs_slot *s,
		     struct hpc_err *err)
{
	int rc = read_layers(p, s, err);

	if (rc == 0)
		rc = bake_slot(p, s, err);
	return rc < 0 ? rc : check_users(p, s, err);
}

/* The work of one slot, done for several slots at once by slots_run. */
typedef int (*slot_fn)(struct pipeline *p, struct fs_slot *s,
		       struct hpc_err *err);

struct slot_pool {
	struct pipeline *p;
	slot_fn fn;
	pthread_mutex_t lock;
	size_t next;
	int *rc;
	struct hpc_err *err;
};

static void *slot_worker(void *arg)
{
	struct slot_pool *w = arg;
	size_t i;

	for (;;) {
		pthread_mutex_lock(&w->lock);
		i = w->next++;
		pthread_mutex_unlock(&w->lock);
		if (i >= w->p->n_slots)
			return NULL;
		w->rc[i] = w->fn(w->p, &w->p->slots[i], &w->err[i]);
	}
}

/*
 * slots_run - fn for every slot, on as many threads as there are cores
 * (each also has its inflater), and the first failure in slot order,
 * so that the message does not depend on which thread was faster. A pod
 * that reads a dir: tree runs one slot at a time: libarchive's directory
 * reader changes the process's working directory (fchdir) to read a
 * file's xattrs, and every other thread's relative paths with it.
 */
static int slots_run(struct pipeline *p, slot_fn fn, struct hpc_err *err)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n = cores > 1 && !p->reads_dir ? (size_t)cores : 1, started = 0;
	size_t i;
	struct slot_pool w = { .p = p, .fn = fn,
			       .lock = PTHREAD_MUTEX_INITIALIZER };
	pthread_t *threads;
	int rc = 0;

	n = n < p->n_slots ? n : p->n_slots;
	w.rc = xcalloc(p->n_slots, sizeof(*w.rc));
	w.err = xcalloc(p->n_slots, sizeof(*w.err));
	threads = xcalloc(n, sizeof(*threads));
	for (i = 1; i < n; i++)
		if (pthread_create(&threads[started], NULL, slot_worker,
				   &w) == 0)
			started++;
	slot_worker(&w);
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	for (i = 0; i < p->n_slots && rc == 0; i++) {
		rc = w.rc[i];
		if (rc < 0)
			*err = w.err[i];
	}
	free(threads);
	free(w.err);
	free(w.rc);
	return rc;
}


/*
 * settle_early_jobs - GRUB and the initrd's bulk done, before a dir:
 * tree is read: their threads open paths relative to the working
 * directory that reading the tree moves.
 */
static void settle_early_jobs(struct pipeline *p)
{
	for (size_t i = 0; i < ARRAY_SIZE(p->loaders); i++)
		job_wait(&p->loaders[i].job);
	job_wait(&p->preparer);
}

/* reads_dir - whether a slot the cache cannot give reads a dir: tree. */
static bool reads_dir(const struct pipeline *p)
{
	for (size_t i = 0; i < p->n_slots; i++)
		if (has_dir_layer(p->slots[i].img))
			return true;
	return false;
}

/* read_uncached - pass one for a slot the result cache cannot give. */
static int read_uncached(struct pipeline *p, struct fs_slot *s,
			 struct hpc_err *err)
{
	return s->cached ? 0 : read_layers(p, s, err);
}

/*
 * look_up - the slot's result from the cache, if it has a usable one;
 * one it cannot use is said and the slot is read from its layers.
 */
static void look_up(struct pipeline *p, struct fs_slot *s)
{
	struct hpc_err e;
	int rc = rootfs_cache_lookup(p->cache, s->key, s->seed, s->part,
				     &s->cached, &s->cached_size, &e);

	if (rc == 0)
		log_debug("%s: reusing '%s'", s->part, s->cached);
	else if (rc == -EBADMSG)
		log_warn("%s, rebuilding it", e.msg);
}

/*
 * A filesystem found in the result cache needs no layer read at all; the
 * others are read side by side, then given their files and users in turn.
 */
static int scan_rootfs(struct pipeline *p, struct hpc_err *err)
{
	struct fs_slot *s;
	int rc;

	assign_rootfs(p);
	p->reads_dir = reads_dir(p);
	if (p->reads_dir)
		settle_early_jobs(p);
	for (size_t i = 0; i < p->n_slots; i++) {
		s = &p->slots[i];
		slot_key(p, s);
		if (s->key[0])
			look_up(p, s);
	}
	rc = slots_run(p, read_uncached, err);
	for (size_t i = 0; i < p->n_slots && rc == 0; i++) {
		s = &p->slots[i];
		if (s->cached)
			continue;
		rc = bake_slot(p, s, err);
		if (rc == 0)
			rc = check_users(p, s, err);
	}
	return rc;
}

/* The index of the pod volume named name; the spec checked it exists. */
static size_t volume_index(const struct pipeline *p, const char *name)
{
	const struct spec_storage_pod *st = &p->pod->storage;

	return (size_t)(spec_storage_find_volume(st, name) - st->volumes);
}

static void plan_mounts(struct pipeline *p, size_t i)
{
	const struct spec_storage_container *sc;
	const struct spec_volume_ref *r;
	size_t j, v;

	sc = &p->pod->containers[i].storage;
	for (j = 0; j < sc->n_volumes; j++) {
		r = &sc->volumes[j];
		v = volume_index(p, r->volume);
		plan_container_mount(&p->plan.containers[i], r->volume, r->path,
				     volume_file(p->volumes[v]), r->read_only);
	}
}

/* The modules every pod loads, known before the pod's images are read. */
static int find_modules(struct pipeline *p, struct hpc_err *err)
{
	return kernel_resolve_modules(p->moddir, kernel_pod_modules, &p->mods,
				      &p->n_mods, err);
}

static int make_plan(struct pipeline *p, struct hpc_err *err)
{
	struct plan *pl = &p->plan;
	size_t i;
	int rc;

	plan_pod_fill(pl, p->pod);
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
		plan_mounts(p, i);
	}
	p->plan_text = plan_encode(pl);
	return 0;
}

static struct initrd_input initrd_of(const struct pipeline *p,
				     const char *plan)
{
	return (struct initrd_input){
		.init_path = p->init,
		.modules = p->mods,
		.n_modules = p->n_mods,
		.plan = plan,
		.mtime = p->epoch >= 0 ? p->epoch : 0,
		/* the init and modules' member, kept from the last build */
		.gzip = initrd_cache_gzip,
		.gzip_ctx = p->cache,
	};
}

/*
 * The initrd's members but the plan's, on a thread from the start of the
 * build: they do not depend on the pod, so only the plan is left to
 * compress once it is known.
 */
static void *prepare_initrd(void *arg)
{
	struct pipeline *p = arg;
	struct initrd_input in = initrd_of(p, NULL);
	struct hpc_err ignored;

	/* best effort: initrd_write makes the members this did not */
	if (initrd_prepare("initrd", &in, &p->initrd_parts, &ignored) < 0)
		p->initrd_parts = NULL;
	return NULL;
}

static int write_initrd(struct pipeline *p, struct hpc_err *err)
{
	struct initrd_input in = initrd_of(p, p->plan_text);

	job_wait(&p->preparer);
	in.prepared = p->initrd_parts;
	p->initrd = tmpfile_name(p, "initrd");
	return initrd_write(p->initrd, &in, err);
}

static void *make_loader(void *arg)
{
	struct loader_job *j = arg;

	j->rc = loader_cache_mkimage(j->cache, j->platform, BOOTCFG_ESP_LABEL,
				     j->tmp, &j->path, &j->err);
	return NULL;
}

static void loader_start(struct pipeline *p, struct loader_job *j,
			 enum grub_platform platform, const char *name)
{
	*j = (struct loader_job){ .cache = p->cache, .platform = platform,
				  .tmp = tmpfile_name(p, name) };
	job_start(&j->job, make_loader, j);
}

/* loader_wait - the job's result; ret_path takes its image. */
static int loader_wait(struct loader_job *j, char **ret_path,
		       struct hpc_err *err)
{
	job_wait(&j->job);
	free(j->tmp);
	j->tmp = NULL;
	*ret_path = j->path;
	j->path = NULL;
	if (j->rc < 0)
		*err = j->err;
	return j->rc;
}

/*
 * GRUB for both firmware paths: the images come from the cache when this
 * GRUB made them before, else from two grub-mkimage runs side by side.
 */
static int start_loaders(struct pipeline *p, struct hpc_err *err)
{
	struct stat st;

	/* a cache named that is something else is a mistake, not a miss */
	if (p->o->cache && stat(p->o->cache, &st) == 0 && !S_ISDIR(st.st_mode))
		return err_set(err, -ENOTDIR, "cache '%s': not a directory",
			       p->o->cache);
	p->cache = p->o->cache ? xstrdup(p->o->cache) : default_cache();
	loader_start(p, &p->loaders[0], GRUB_PC, "core.img");
	loader_start(p, &p->loaders[1], GRUB_EFI, "bootx64.efi");
	job_start(&p->preparer, prepare_initrd, p);
	return 0;
}

/*
 * The loaders and the one configuration they share, all in the EFI
 * system partition beside the kernel and the initrd.
 */
static int make_loaders(struct pipeline *p, struct hpc_err *err)
{
	struct hpc_err efi_err;
	int rc, efi_rc;

	rc = loader_wait(&p->loaders[0], &p->grub_core, err);
	efi_rc = loader_wait(&p->loaders[1], &p->grub_efi, &efi_err);
	if (rc == 0 && efi_rc < 0) {
		*err = efi_err;
		rc = efi_rc;
	}
	if (rc < 0)
		return rc;
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

/* One partition a pod volume, hpc-vol-NAME, after the root filesystems. */
static void add_volume_parts(struct pipeline *p)
{
	const struct spec_storage_pod *st = &p->pod->storage;
	char name[64];
	size_t i;

	for (i = 0; i < st->n_volumes; i++) {
		snprintf(name, sizeof(name), SPEC_VOLUME_PART_PREFIX "%s",
			 st->volumes[i].name);
		p->vol_part[i] = p->n_parts;
		add_part(p, name, DISK_PART_LINUX, volume_size(p->volumes[i]));
	}
}

/*
 * The disk: BIOS boot, ESP (kernel, then initrd), manifest, one partition
 * a root filesystem, one a volume. The manifest holds the offsets, so it
 * is laid out until its partition is large enough for its own text.
 */
static int lay_out(struct pipeline *p, struct hpc_err *err)
{
	uint64_t boot, mani = DISK_ALIGN, need, at[ARRAY_SIZE(p->esp)];
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
		add_volume_parts(p);
		disk_layout(p->parts, p->n_parts, &p->disk_size);
		rc = fat_layout(p->esp, ARRAY_SIZE(p->esp), p->parts[1].offset,
				p->parts[1].size, at, err);
		if (rc < 0)
			return rc;
		p->kernel_blob.offset = at[0];
		p->initrd_blob.offset = at[1];
		manifest_text(p);
		/* the JSON, its NUL and its seal */
		need = strlen(p->manifest) + 1 + PODIMAGE_SEAL_LEN;
		if (need <= mani)
			return 0;
		mani = round_up(need, DISK_ALIGN);
	}
}

/* The manifest's JSON, and after its NUL the seal readers check. */
static int write_manifest(struct pipeline *p, struct hpc_err *err)
{
	size_t len = strlen(p->manifest);
	char seal[PODIMAGE_SEAL_LEN + 1];
	int rc;

	podimage_seal(p->manifest, len, seal);
	rc = outfile_write(p->out, p->parts[2].offset, p->manifest, len, err);
	if (rc == 0)
		rc = outfile_write(p->out, p->parts[2].offset + len + 1, seal,
				   PODIMAGE_SEAL_LEN, err);
	return rc;
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
		rc = write_manifest(p, err);
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
	rc = rootfs_cache_load(p->cache, s->key, s->cached,
			       outfile_path(p->out), d->offset, d->size, err);
	if (rc != -EBADMSG)
		return rc;
	log_warn("%s, rebuilding it", err->msg);
	rc = scan_slot(p, s, err);
	/* d->size is the size recorded with the key and checked by lookup
	 * against the file and its superblock, so the layers give it back;
	 * a record forged to match both is all this still catches */
	if (rc == 0 && rootfs_size(s->fs, &ro) != d->size)
		rc = err_set(err, -ESTALE, "%s: the layers no longer give "
			     "the size of the cached result; build again",
			     s->part);
	return rc < 0 ? rc : 1;
}

/* start_keep - best effort: a result not kept only costs time later. */
static void start_keep(struct pipeline *p, struct fs_slot *s,
		       const struct disk_part *d)
{
	struct hpc_err e;

	if (s->key[0] && rootfs_keep_start(p->cache, s->key,
					   outfile_path(p->out), d->offset,
					   d->size, &s->keep, &e) < 0)
		log_warn("cannot keep %s in the cache: %s, ignoring", s->part,
			 e.msg);
}

static void finish_keep(struct fs_slot *s)
{
	struct hpc_err e;

	if (s->keep && rootfs_keep_finish(s->keep, &e) < 0)
		log_warn("cannot keep %s in the cache: %s, ignoring", s->part,
			 e.msg);
	s->keep = NULL;
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
	/* the cache copies what pass two has settled while it goes on */
	start_keep(p, s, d);
	ro.settled = s->keep ? rootfs_keep_settled : NULL;
	ro.settled_arg = s->keep;
	rc = rootfs_write(s->fs, outfile_path(p->out), d->offset, d->size,
			  &ro, err);
	/* the disk takes the bytes while the cache gets the rest */
	if (rc == 0)
		outfile_start_sync(p->out, d->offset, d->size);
	if (rc < 0) {
		rootfs_keep_abort(s->keep);
		s->keep = NULL;
	}
	return rc;
}

/* write_one - a slot's partition, from the result cache or its tree. */
static int write_one(struct pipeline *p, struct fs_slot *s,
		     struct hpc_err *err)
{
	const struct disk_part *d = &p->parts[s->part_index];
	int rc = s->cached ? load_cached(p, s, d, err) : 1;

	if (rc > 0)
		rc = write_slot(p, s, d, err);
	if (rc < 0)
		slot_prefix(p, s, err);
	return rc;
}

/* The results just written: their copies finished, on the keeper's
 * thread. */
static void *keep_results(void *arg)
{
	struct pipeline *p = arg;

	for (size_t i = 0; i < p->n_slots; i++)
		finish_keep(&p->slots[i]);
	return NULL;
}

/*
 * Each filesystem has a range of the image of its own: written at once.
 * Their copies into the result cache, begun while pass two writes them,
 * are finished while the rest of the image is written and synced, and
 * waited for before it is converted.
 */
static int write_rootfs(struct pipeline *p, struct hpc_err *err)
{
	int rc = slots_run(p, write_one, err);

	if (rc < 0)
		return rc;
	job_start(&p->keeper, keep_results, p);
	return 0;
}

/* wait_keeper - the result cache has its copies; the image may move. */
static int wait_keeper(struct pipeline *p, struct hpc_err *err)
{
	job_wait(&p->keeper);
	return 0;
}

/* A raw image is synced while the keeper reads it; qcow2 is, once made. */
static int sync_output(struct pipeline *p, struct hpc_err *err)
{
	return p->o->format == DISKFMT_RAW ? outfile_sync(p->out, err) : 0;
}

static int write_volumes(struct pipeline *p, struct hpc_err *err)
{
	const struct disk_part *d;
	size_t i;
	int rc;

	for (i = 0; i < p->pod->storage.n_volumes; i++) {
		d = &p->parts[p->vol_part[i]];
		log_debug("writing %s (%llu MiB)", d->name,
			  (unsigned long long)(d->size >> 20));
		rc = volume_write(p->volumes[i], outfile_path(p->out),
				  d->offset, d->size, p->epoch, err);
		if (rc < 0)
			return rc;
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
	struct hpc_err ignored;
	char *path;
	size_t i;

	job_wait(&p->keeper);
	job_wait(&p->preparer);
	/* a failed build still waits for its loaders, which write in workdir */
	for (i = 0; i < ARRAY_SIZE(p->loaders); i++) {
		if (p->loaders[i].tmp && loader_wait(&p->loaders[i], &path,
						     &ignored) == 0)
			free(path);
	}
	outfile_abort(p->out);
	for (i = 0; i < p->n_slots; i++) {
		rootfs_keep_abort(p->slots[i].keep);
		rootfs_free(p->slots[i].fs);
		free(p->slots[i].cached);
	}
	for (i = 0; p->images && i < p->pod->n_containers; i++)
		image_free(p->images[i]);
	for (i = 0; p->volumes && i < p->pod->storage.n_volumes; i++)
		volume_free(p->volumes[i]);
	free(p->volumes);
	free(p->vol_part);
	strv_free(p->file_paths);
	for (i = 0; p->tmpfiles && p->tmpfiles[i]; i++)
		unlink(p->tmpfiles[i]);
	if (p->workdir)
		rmdir(p->workdir);
	for (i = 0; i < p->n_cleanups; i++)
		cleanup_forget(p->cleanups[i]);
	free(p->cleanups);
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
	initrd_parts_free(p->initrd_parts);
	free(p->grub_core);
	free(p->grub_efi);
	free(p->grub_cfg);
	free(p->parts);
	free(p->manifest);
	free(p->out_path);
}

static int check_output(struct pipeline *p, struct hpc_err *err)
{
	int rc = outfile_resolve(p->o->output, &p->out_path, err);

	if (rc == 0)
		rc = outfile_check_input(p->o->output, p->o->pod_path,
					 "pod file", err);
	return rc;
}

/* The local path an image reference reads, or NULL. */
static char *image_input(const char *dir, const char *image)
{
	char *ref = resolve_ref(dir, image), *path = NULL, *colon;
	struct stat st;
	size_t i, n;

	for (i = 0; !path && i < ARRAY_SIZE(path_transports); i++) {
		n = strlen(path_transports[i]);
		if (!strncmp(ref, path_transports[i], n))
			path = xstrdup(ref + n);
	}
	/* oci:DIR:TAG and the archives' :REF follow the path */
	colon = path ? strrchr(path, ':') : NULL;
	if (colon && stat(path, &st) < 0)
		*colon = '\0';
	free(ref);
	return path;
}

/* check_inputs for one input path (NULL: none), which it frees. */
static int check_one_input(struct pipeline *p, char *input, const char *what,
			   struct hpc_err *err)
{
	int rc = input ? outfile_check_input(p->o->output, input, what,
					     err) : 0;

	free(input);
	return rc;
}

/* No input, of the pod or the flags, is the file the image replaces. */
static int check_inputs(struct pipeline *p, struct hpc_err *err)
{
	const struct spec_storage_pod *st = &p->pod->storage;
	const char *dir = p->pod->dir;
	size_t i;
	int rc;

	rc = check_one_input(p, xstrdup(p->kernel), "kernel", err);
	if (rc == 0)
		rc = check_one_input(p, xstrdup(p->moddir), "module directory",
				     err);
	if (rc == 0)
		rc = check_one_input(p, xstrdup(p->init), "init", err);

	for (i = 0; rc == 0 && i < p->pod->n_containers; i++)
		rc = check_one_input(p, image_input(dir,
				     p->pod->containers[i].image), "image",
				     err);
	for (i = 0; rc == 0 && i < st->n_files; i++)
		if (st->files[i].uri)
			rc = check_one_input(p, podfiles_file_path(
					     st->files[i].uri, dir), "file",
					     err);
	for (i = 0; rc == 0 && i < st->n_volumes; i++)
		if (st->volumes[i].source)
			rc = check_one_input(p, *st->volumes[i].source == '/' ?
					     xstrdup(st->volumes[i].source) :
					     xasprintf("%s/%s", dir,
						       st->volumes[i].source),
					     "volume source", err);
	return rc;
}

static int create_output(struct pipeline *p, struct hpc_err *err)
{
	return outfile_create(p->out_path, p->disk_size, &p->out, err);
}

/*
 * The raw image into qcow2 through QEMU's own writer; zstd compresses
 * faster than zlib and as well (QEMU 5.1 and later read it).
 */
static int convert_output(struct pipeline *p, struct hpc_err *err)
{
	static const char *const plain[] = {
		"-f", "raw", "-O", "qcow2", NULL };
	static const char *const zstd[] = {
		"-f", "raw", "-O", "qcow2", "-c",
		"-o", "compression_type=zstd", NULL };

	if (p->o->format == DISKFMT_RAW)
		return 0;
	return outfile_convert(p->out, p->o->compress ? zstd : plain, err);
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
	{ "finding its modules", find_modules },
	{ "finding hpc-init", find_init },
	{ "checking the output against the inputs", check_inputs },
	/* fetched files and baked layers live here until the end */
	{ "making a private directory", make_workdir },
	/* GRUB and the initrd's bulk need nothing of the pod: made while
	 * the layers are read */
	{ "starting the boot loaders and the initrd", start_loaders },
	/* every image and file verified before anything is written */
	{ "fetching images", fetch_images },
	{ "fetching files", fetch_files },
	{ "reading layers", scan_rootfs },
	{ "reading volumes", read_volumes },
	{ "planning", make_plan },
	{ "writing the initrd", write_initrd },
	{ "making boot loaders", make_loaders },
	{ "laying out the disk", lay_out },
	/* the image goes to a temporary file beside the output */
	{ "creating the image", create_output },
	{ "writing kernel, initrd and manifest", write_boot },
	{ "writing root filesystems", write_rootfs },
	{ "writing volumes", write_volumes },
	{ "writing the partition table", write_gpt },
	{ "syncing the image", sync_output },
	{ "keeping root filesystems for rebuilds", wait_keeper },
	{ "converting the image", convert_output },
	{ "renaming into place", commit_output },
};

int pipeline_run(const struct pipeline_opts *o, bool *ret_bad_pod,
		 struct hpc_err *err)
{
	struct pipeline p = { .o = o, .epoch = source_date_epoch(),
			      .lock = PTHREAD_MUTEX_INITIALIZER };
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
