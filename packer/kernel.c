/*
 * kernel: the guest kernel and the modules the pod needs.
 *
 * Stage "pack". The kernel is a bzImage on the host; its version, read
 * from the setup header, names the /lib/modules directory whose
 * modules.dep lists every module with its dependencies. The modules the
 * VM needs are resolved from it in load order and later copied into the
 * initrd, where hpc-init loads them one by one. See kernel.h.
 */
#include "kernel.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Offsets in the x86 boot protocol's setup header. */
#define BZ_BOOT_FLAG 0x1fe
#define BZ_HEADER 0x202
#define BZ_VERSION 0x206
#define BZ_KERNEL_VERSION 0x20e
#define BZ_HEADER_END 0x210
#define BZ_VERSION_MAX 256

/*
 * The modules every pod needs: the disk, the network, the exit channel,
 * the root filesystems (ext4, whose checksums need the crc32c the crypto
 * API loads on demand, which no modprobe in the initrd would answer) and
 * the overlay over them. A kernel that has one built in skips it.
 */
const char *const kernel_pod_modules[] = {
	"virtio_pci", "virtio_blk", "virtio_net", "virtio_console",
	"crc32c_generic", "ext4", "overlay",
	NULL,
};

/* The largest modules.dep we agree to read. */
#define MODULES_DEP_MAX (64u << 20)

static unsigned int le16(const unsigned char *p)
{
	return p[0] | (unsigned int)p[1] << 8;
}

static int read_at(int fd, void *buf, size_t len, off_t off, size_t *ret_n)
{
	ssize_t n = pread(fd, buf, len, off);

	if (n < 0)
		return -errno;
	*ret_n = (size_t)n;
	return 0;
}

/* version_word - the first word of the NUL-terminated string in buf. */
static int version_word(const char *buf, size_t len, char **ret)
{
	size_t n = 0;

	if (!memchr(buf, '\0', len))
		return -EINVAL;
	while (buf[n] && buf[n] != ' ')
		n++;
	if (n == 0)
		return -EINVAL;
	*ret = xstrndup(buf, n);
	return 0;
}

int kernel_version(const char *path, char **ret, struct hpc_err *err)
{
	unsigned char hdr[BZ_HEADER_END];
	char ver[BZ_VERSION_MAX];
	size_t n = 0;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(err, -errno, "cannot open kernel '%s': %s",
			       path, strerror(errno));
	rc = read_at(fd, hdr, sizeof(hdr), 0, &n);
	if (rc < 0 || n < sizeof(hdr) || le16(hdr + BZ_BOOT_FLAG) != 0xaa55 ||
	    memcmp(hdr + BZ_HEADER, "HdrS", 4) != 0 ||
	    le16(hdr + BZ_VERSION) < 0x0200 ||
	    le16(hdr + BZ_KERNEL_VERSION) == 0) {
		rc = err_set(err, rc < 0 ? rc : -EINVAL,
			     "kernel '%s' is not a bzImage", path);
		goto out;
	}
	memset(ver, 0, sizeof(ver));
	rc = read_at(fd, ver, sizeof(ver) - 1,
		     0x200 + (off_t)le16(hdr + BZ_KERNEL_VERSION), &n);
	if (rc == 0)
		rc = version_word(ver, sizeof(ver), ret);
	if (rc < 0)
		rc = err_set(err, rc, "kernel '%s' has no version string",
			     path);
out:
	close(fd);
	return rc;
}

static int cmp_newest_first(const void *a, const void *b)
{
	return strverscmp(*(char *const *)b, *(char *const *)a);
}

/* boot_kernels - the vmlinuz-* names in dir, newest first. */
static int boot_kernels(const char *dir, char ***ret, struct hpc_err *err)
{
	char **names = NULL;
	struct dirent *de;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return err_set(err, -errno, "cannot read '%s': %s", dir,
			       strerror(errno));
	while ((de = readdir(d)))
		if (strncmp(de->d_name, "vmlinuz-", 8) == 0 && de->d_name[8])
			strv_push(&names, de->d_name);
	closedir(d);
	if (names)
		qsort(names, strv_len(names), sizeof(*names),
		      cmp_newest_first);
	*ret = names;
	return 0;
}

/*
 * candidate_moddir - the modules directory of kernel, if it has a
 * modules.dep. The version comes from the bzImage header and, for a
 * kernel the header cannot be read from, from the file name.
 */
static char *candidate_moddir(const char *kernel, const char *name,
			      const char *modules_dir)
{
	char *ver = NULL, *moddir, *dep;
	int ok;

	if (kernel_version(kernel, &ver, NULL) < 0)
		ver = xstrdup(name + strlen("vmlinuz-"));
	moddir = xasprintf("%s/%s", modules_dir, ver);
	dep = xasprintf("%s/modules.dep", moddir);
	ok = access(dep, R_OK) == 0;
	free(dep);
	free(ver);
	if (!ok) {
		free(moddir);
		return NULL;
	}
	return moddir;
}

int kernel_find_in(const char *boot_dir, const char *modules_dir,
		   char **ret_kernel, char **ret_moddir, struct hpc_err *err)
{
	char **names = NULL, *kernel = NULL, *moddir = NULL;
	size_t i;
	int rc;

	rc = boot_kernels(boot_dir, &names, err);
	if (rc < 0)
		return rc;
	for (i = 0; names && names[i] && !moddir; i++) {
		free(kernel);
		kernel = xasprintf("%s/%s", boot_dir, names[i]);
		moddir = candidate_moddir(kernel, names[i], modules_dir);
	}
	strv_free(names);
	if (!moddir) {
		free(kernel);
		return err_set(err, -ENOENT,
			       "no kernel in '%s' has modules in '%s'",
			       boot_dir, modules_dir);
	}
	*ret_kernel = kernel;
	*ret_moddir = moddir;
	return 0;
}

int kernel_find_default(char **ret_kernel, char **ret_moddir,
			struct hpc_err *err)
{
	return kernel_find_in("/boot", "/lib/modules", ret_kernel, ret_moddir,
			      err);
}

/* The suffixes a module file may carry, longest match first. */
static const char *const module_suffixes[] = {
	".ko.zst", ".ko.xz", ".ko.gz", ".ko",
};

char *kernel_module_name(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t len, i, slen;
	char *name;

	base = base ? base + 1 : path;
	len = strlen(base);
	for (i = 0; i < ARRAY_SIZE(module_suffixes); i++) {
		slen = strlen(module_suffixes[i]);
		if (len > slen &&
		    strcmp(base + len - slen, module_suffixes[i]) == 0) {
			len -= slen;
			break;
		}
	}
	name = xstrndup(base, len);
	for (i = 0; name[i]; i++)
		if (name[i] == '-')
			name[i] = '_';
	return name;
}

/* ---- modules.dep ---- */

struct moddep {
	char *name;
	char *path;	/* on the host */
	char **deps;	/* names, as modules.dep lists them */
	int state;	/* 0 new, 1 being visited, 2 placed */
};

struct depdb {
	const char *moddir;
	struct moddep *mods;
	size_t n;
	char **builtin;	/* names, sorted */
};

static void depdb_release(struct depdb *db)
{
	size_t i;

	for (i = 0; i < db->n; i++) {
		free(db->mods[i].name);
		free(db->mods[i].path);
		strv_free(db->mods[i].deps);
	}
	free(db->mods);
	strv_free(db->builtin);
}

static int cmp_moddep(const void *a, const void *b)
{
	return strcmp(((const struct moddep *)a)->name,
		      ((const struct moddep *)b)->name);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static struct moddep *depdb_find(const struct depdb *db, const char *name)
{
	struct moddep key = { .name = (char *)name };

	return bsearch(&key, db->mods, db->n, sizeof(*db->mods), cmp_moddep);
}

static char *module_host_path(const char *moddir, const char *rel)
{
	if (rel[0] == '/')
		return xstrdup(rel);
	return xasprintf("%s/%s", moddir, rel);
}

/* parse_dep_line - "kernel/a.ko: kernel/b.ko kernel/c.ko" into m. */
static int parse_dep_line(const char *moddir, char *line, struct moddep *m)
{
	char *colon = strchr(line, ':'), *tok, *save = NULL;

	if (!colon)
		return -EINVAL;
	*colon = '\0';
	memset(m, 0, sizeof(*m));
	m->name = kernel_module_name(line);
	m->path = module_host_path(moddir, line);
	for (tok = strtok_r(colon + 1, " \t\r", &save); tok;
	     tok = strtok_r(NULL, " \t\r", &save)) {
		char *dep = kernel_module_name(tok);

		strv_push(&m->deps, dep);
		free(dep);
	}
	return 0;
}

static int depdb_load_dep(struct depdb *db, struct hpc_err *err)
{
	char *path = xasprintf("%s/modules.dep", db->moddir);
	char *buf = NULL, *line, *next;
	size_t len, cap = 0, lineno = 0;
	int rc;

	rc = read_file(path, MODULES_DEP_MAX, &buf, &len, err);
	if (rc < 0)
		goto out;
	for (line = buf; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		if (!line[0])
			continue;
		if (db->n == cap) {
			cap = cap ? cap * 2 : 256;
			db->mods = xreallocarray(db->mods, cap,
						 sizeof(*db->mods));
		}
		rc = parse_dep_line(db->moddir, line, &db->mods[db->n]);
		if (rc < 0) {
			rc = err_set(err, rc, "'%s' line %zu has no ':'",
				     path, lineno);
			goto out;
		}
		db->n++;
	}
	qsort(db->mods, db->n, sizeof(*db->mods), cmp_moddep);
out:
	free(buf);
	free(path);
	return rc;
}

/* depdb_load_builtin - modules.builtin, which an old kernel may lack. */
static int depdb_load_builtin(struct depdb *db, struct hpc_err *err)
{
	char *path = xasprintf("%s/modules.builtin", db->moddir);
	char *buf = NULL, *line, *next, *name;
	size_t len;
	int rc;

	rc = read_file(path, MODULES_DEP_MAX, &buf, &len, err);
	if (rc == -ENOENT)
		rc = 0;
	for (line = buf; rc == 0 && line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!line[0])
			continue;
		name = kernel_module_name(line);
		strv_push(&db->builtin, name);
		free(name);
	}
	if (db->builtin)
		qsort(db->builtin, strv_len(db->builtin),
		      sizeof(*db->builtin), cmp_str);
	free(buf);
	free(path);
	return rc;
}

static int is_builtin(const struct depdb *db, const char *name)
{
	if (!db->builtin)
		return 0;
	return bsearch(&name, db->builtin, strv_len(db->builtin),
		       sizeof(*db->builtin), cmp_str) != NULL;
}

/* ---- resolution ---- */

struct modlist {
	struct kernel_module *v;
	size_t n;
};

static void modlist_push(struct modlist *l, const struct moddep *m)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n].name = xstrdup(m->name);
	l->v[l->n].path = xstrdup(m->path);
	l->n++;
}

/*
 * place - put m after everything it depends on. modules.dep lists a
 * module's dependencies so that loading them from last to first works
 * (that is what modprobe does), so they are visited in that order.
 */
static int place(struct depdb *db, struct moddep *m, struct modlist *out,
		 struct hpc_err *err)
{
	size_t i;
	int rc;

	if (m->state == 2)
		return 0;
	if (m->state == 1)
		return err_set(err, -ELOOP, "kernel module '%s' depends on "
			       "itself in '%s/modules.dep'", m->name,
			       db->moddir);
	m->state = 1;
	for (i = strv_len(m->deps); i-- > 0;) {
		struct moddep *d = depdb_find(db, m->deps[i]);

		if (!d)
			return err_set(err, -ENOENT, "kernel module '%s' "
				       "needs '%s', which is not in "
				       "'%s/modules.dep'", m->name,
				       m->deps[i], db->moddir);
		rc = place(db, d, out, err);
		if (rc < 0)
			return rc;
	}
	m->state = 2;
	modlist_push(out, m);
	return 0;
}

static int resolve_one(struct depdb *db, const char *wanted,
		       struct modlist *out, struct hpc_err *err)
{
	char *name = kernel_module_name(wanted);
	struct moddep *m = depdb_find(db, name);
	int rc = 0;

	if (m)
		rc = place(db, m, out, err);
	else if (!is_builtin(db, name))
		rc = err_set(err, -ENOENT, "kernel module '%s' is neither "
			     "in '%s/modules.dep' nor built in (modules."
			     "builtin): this kernel cannot boot a pod",
			     wanted, db->moddir);
	free(name);
	return rc;
}

int kernel_resolve_modules(const char *moddir, const char *const *wanted,
			   struct kernel_module **ret, size_t *ret_n,
			   struct hpc_err *err)
{
	struct depdb db = { .moddir = moddir };
	struct modlist out = { 0 };
	size_t i;
	int rc;

	rc = depdb_load_dep(&db, err);
	if (rc == 0)
		rc = depdb_load_builtin(&db, err);
	for (i = 0; rc == 0 && wanted && wanted[i]; i++)
		rc = resolve_one(&db, wanted[i], &out, err);
	depdb_release(&db);
	if (rc < 0) {
		kernel_modules_free(out.v, out.n);
		return rc;
	}
	*ret = out.v;
	*ret_n = out.n;
	return 0;
}

void kernel_modules_free(struct kernel_module *mods, size_t n)
{
	size_t i;

	for (i = 0; mods && i < n; i++) {
		free(mods[i].name);
		free(mods[i].path);
	}
	free(mods);
}
