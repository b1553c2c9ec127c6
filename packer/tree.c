/*
 * tree: the in-memory root filesystem of pass one. See tree.h.
 *
 * Each directory keeps its names in a chained hash table, so applying a
 * layer costs one lookup an entry whatever the directory's size; order
 * only matters when the tree is written, and tree_sorted gives it then.
 */
#include "tree.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Symlinks followed while resolving one path, as the kernel allows. */
#define TREE_MAX_LINKS 40
#define TREE_PATH_MAX 4096

struct tree {
	struct tree_node *root;
	uint32_t mark;
	char scratch[TREE_PATH_MAX + 1];
	char *comps[TREE_PATH_MAX / 2 + 1];
};

static void node_free(struct tree_node *n);

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

struct tree_node *tree_node_new(uint32_t mode)
{
	struct tree_node *n = xcalloc(1, sizeof(*n));

	n->mode = mode;
	n->regions = 1;
	if (S_ISDIR(mode))
		n->dir = xcalloc(1, sizeof(*n->dir));
	return n;
}

static void xattrs_free(struct tree_xattr *xs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(xs[i].name);
		free(xs[i].value);
	}
	free(xs);
}

void tree_node_set_xattrs(struct tree_node *n, const struct tree_xattr *xs,
			  size_t nxs)
{
	xattrs_free(n->xattrs, n->nxattrs);
	n->xattrs = NULL;
	n->nxattrs = nxs;
	if (!nxs)
		return;
	n->xattrs = xcalloc(nxs, sizeof(*n->xattrs));
	for (size_t i = 0; i < nxs; i++) {
		n->xattrs[i].name = xstrdup(xs[i].name);
		n->xattrs[i].value = xmalloc(xs[i].len);
		memcpy(n->xattrs[i].value, xs[i].value, xs[i].len);
		n->xattrs[i].len = xs[i].len;
	}
}

/* drop_dentry - free a name that is already out of its table. */
static void drop_dentry(struct tree_dentry *d)
{
	if (--d->node->nlink == 0)
		node_free(d->node);
	free(d->name);
	free(d);
}

static void node_free(struct tree_node *n)
{
	struct tree_dir *dir = n->dir;

	if (dir) {
		for (size_t i = 0; i < dir->nbuckets; i++) {
			struct tree_dentry *d = dir->buckets[i], *next;

			for (; d; d = next) {
				next = d->next;
				drop_dentry(d);
			}
		}
		free(dir->buckets);
		free(dir);
	}
	xattrs_free(n->xattrs, n->nxattrs);
	free(n->target);
	free(n);
}

struct tree *tree_new(void)
{
	struct tree *t = xcalloc(1, sizeof(*t));

	t->root = tree_node_new(S_IFDIR | 0755);
	t->root->nlink = 1;
	t->root->dir->parent = t->root;
	return t;
}

void tree_free(struct tree *t)
{
	if (!t)
		return;
	node_free(t->root);
	free(t);
}

struct tree_node *tree_root(struct tree *t)
{
	return t->root;
}

uint32_t tree_new_mark(struct tree *t)
{
	return ++t->mark;
}

struct tree_dentry *tree_lookup(const struct tree_node *dir, const char *name)
{
	const struct tree_dir *td = dir->dir;
	struct tree_dentry *d;

	if (!td->nbuckets)
		return NULL;
	d = td->buckets[name_hash(name) & (td->nbuckets - 1)];
	for (; d; d = d->next)
		if (!strcmp(d->name, name))
			return d;
	return NULL;
}

static void dir_grow(struct tree_dir *td)
{
	size_t n = td->nbuckets ? td->nbuckets * 2 : 8;
	struct tree_dentry **b = xcalloc(n, sizeof(*b));

	for (size_t i = 0; i < td->nbuckets; i++) {
		struct tree_dentry *d = td->buckets[i], *next;

		for (; d; d = next) {
			size_t h = name_hash(d->name) & (n - 1);

			next = d->next;
			d->next = b[h];
			b[h] = d;
		}
	}
	free(td->buckets);
	td->buckets = b;
	td->nbuckets = n;
}

struct tree_dentry *tree_insert(struct tree_node *dir, const char *name,
				struct tree_node *node, uint32_t layer)
{
	struct tree_dir *td = dir->dir;
	struct tree_dentry *d = xcalloc(1, sizeof(*d));
	size_t h;

	if (td->count >= td->nbuckets)
		dir_grow(td);
	d->name = xstrdup(name);
	d->node = node;
	d->layer = layer;
	node->nlink++;
	if (node->dir)
		node->dir->parent = dir;
	h = name_hash(name) & (td->nbuckets - 1);
	d->next = td->buckets[h];
	td->buckets[h] = d;
	td->count++;
	return d;
}

void tree_remove(struct tree_node *dir, const char *name)
{
	struct tree_dir *td = dir->dir;
	struct tree_dentry **p;

	if (!td->nbuckets)
		return;
	p = &td->buckets[name_hash(name) & (td->nbuckets - 1)];
	for (; *p; p = &(*p)->next) {
		struct tree_dentry *d = *p;

		if (strcmp(d->name, name))
			continue;
		*p = d->next;
		td->count--;
		drop_dentry(d);
		return;
	}
}

void tree_opaque(struct tree_node *dir, uint32_t layer)
{
	struct tree_dir *td = dir->dir;

	for (size_t i = 0; i < td->nbuckets; i++) {
		struct tree_dentry **p = &td->buckets[i];

		while (*p) {
			struct tree_dentry *d = *p;

			if (d->layer >= layer) {
				if (d->node->dir)
					tree_opaque(d->node, layer);
				p = &d->next;
				continue;
			}
			*p = d->next;
			td->count--;
			drop_dentry(d);
		}
	}
}

static int follow(struct tree *t, struct tree_node *base, const char *target,
		  uint32_t layer, int depth, struct tree_node **ret);

/*
 * step - from directory cur through one parent component. A missing
 * directory is created when layer is set; a symlink is followed.
 */
static int step(struct tree *t, struct tree_node *cur, const char *comp,
		uint32_t layer, int depth, struct tree_node **ret)
{
	struct tree_dentry *d;

	if (!strcmp(comp, "..")) {
		*ret = cur->dir->parent;
		return 0;
	}
	d = tree_lookup(cur, comp);
	if (!d) {
		if (!layer)
			return -ENOENT;
		d = tree_insert(cur, comp, tree_node_new(S_IFDIR | 0755),
				layer);
	}
	if (d->node->dir) {
		if (layer)
			d->layer = layer;
		*ret = d->node;
		return 0;
	}
	if (S_ISLNK(d->node->mode))
		return follow(t, cur, d->node->target, layer, depth + 1, ret);
	return -ENOTDIR;
}

/* follow - resolve a symlink's target from base, confined to the root. */
static int follow(struct tree *t, struct tree_node *base, const char *target,
		  uint32_t layer, int depth, struct tree_node **ret)
{
	struct tree_node *cur = target[0] == '/' ? t->root : base;
	char *copy, *save = NULL, *comp;
	int r = 0;

	if (depth > TREE_MAX_LINKS)
		return -ELOOP;
	copy = xstrdup(target);
	for (comp = strtok_r(copy, "/", &save); comp && !r;
	     comp = strtok_r(NULL, "/", &save)) {
		if (strcmp(comp, "."))
			r = step(t, cur, comp, layer, depth, &cur);
	}
	free(copy);
	if (!r)
		*ret = cur;
	return r;
}

/* split - the path's components in t->comps, without "" and "." ones. */
static int split(struct tree *t, const char *path, size_t *ret_n)
{
	size_t len = strlen(path), n = 0;
	char *save = NULL, *comp;

	if (len > TREE_PATH_MAX)
		return -ENAMETOOLONG;
	memcpy(t->scratch, path, len + 1);
	for (comp = strtok_r(t->scratch, "/", &save); comp;
	     comp = strtok_r(NULL, "/", &save)) {
		if (strcmp(comp, "."))
			t->comps[n++] = comp;
	}
	*ret_n = n;
	return 0;
}

int tree_resolve(struct tree *t, const char *path, uint32_t layer,
		 struct tree_node **ret_dir, const char **ret_name)
{
	struct tree_node *cur = t->root;
	const char *name = NULL;
	size_t n, i;
	int r;

	r = split(t, path, &n);
	if (r < 0)
		return r;
	if (n && strcmp(t->comps[n - 1], ".."))
		name = t->comps[--n];
	for (i = 0; i < n; i++) {
		r = step(t, cur, t->comps[i], layer, 0, &cur);
		if (r < 0)
			return r;
	}
	*ret_dir = cur;
	*ret_name = name;
	return 0;
}

struct tree_node *tree_get(struct tree *t, const char *path)
{
	struct tree_node *dir;
	struct tree_dentry *d;
	const char *name;

	if (tree_resolve(t, path, 0, &dir, &name) < 0)
		return NULL;
	if (!name)
		return dir;
	d = tree_lookup(dir, name);
	return d ? d->node : NULL;
}

static int dentry_cmp(const void *a, const void *b)
{
	const struct tree_dentry *x = *(struct tree_dentry *const *)a;
	const struct tree_dentry *y = *(struct tree_dentry *const *)b;

	return strcmp(x->name, y->name);
}

struct tree_dentry **tree_sorted(const struct tree_node *dir, size_t *ret_n)
{
	const struct tree_dir *td = dir->dir;
	struct tree_dentry **v = xcalloc(td->count ? td->count : 1, sizeof(*v));
	size_t n = 0;

	for (size_t i = 0; i < td->nbuckets; i++)
		for (struct tree_dentry *d = td->buckets[i]; d; d = d->next)
			v[n++] = d;
	qsort(v, n, sizeof(*v), dentry_cmp);
	*ret_n = n;
	return v;
}

static int walk(struct tree_node *dir, tree_walk_fn fn, void *arg)
{
	struct tree_dentry **v;
	size_t n;
	int r = 0;

	v = tree_sorted(dir, &n);
	for (size_t i = 0; i < n && !r; i++) {
		r = fn(dir, v[i], arg);
		if (!r && v[i]->node->dir)
			r = walk(v[i]->node, fn, arg);
	}
	free(v);
	return r;
}

int tree_walk(struct tree *t, tree_walk_fn fn, void *arg)
{
	return walk(t->root, fn, arg);
}
