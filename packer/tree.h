/*
 * tree: one container's root filesystem as pass one leaves it, in memory.
 *
 * Part of stage "pack" (see rootfs.h). Layers are applied to this tree
 * (layer.c) before a byte of the filesystem is written (ext4.c), so the
 * tree holds metadata only: for a regular file it remembers which layer
 * entry holds the bytes. Nodes are inodes, dentries are names; a node
 * with several names is a hardlink. Paths are resolved inside the root:
 * '..' stops at the root and a symlink met in a parent component is
 * followed from the root, never outside it.
 */
#ifndef HPC_TREE_H
#define HPC_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct tree;

struct tree_xattr {
	char *name;
	void *value;
	size_t len;
};

/*
 * Where a regular file's bytes are: entry number index of layer layer,
 * and, when pass one kept that layer's bytes (stage.h), at stage_off.
 */
struct tree_src {
	uint32_t layer;		/* from 1; 0 when the file has no bytes */
	uint64_t index;
	uint64_t stage_off;
};

struct tree_node {
	uint32_t mode;		/* the S_IFMT type and all 12 mode bits */
	uint32_t uid, gid;
	int64_t mtime, atime;
	uint32_t mtime_ns, atime_ns;
	uint64_t size;		/* regular files only */
	uint32_t rdev_major, rdev_minor;
	char *target;		/* symlinks only */
	struct tree_xattr *xattrs;
	size_t nxattrs;
	uint32_t nlink;		/* the names that point here */
	struct tree_src src;
	uint32_t regions;	/* runs of data, more than one when sparse */
	uint64_t stored;	/* bytes of data, less than size when sparse */
	struct tree_dir *dir;	/* directories only */
	uint32_t ino;		/* given in pass two */
	uint32_t mark;		/* for walks that must see a node once */
};

struct tree_dentry {
	char *name;
	struct tree_node *node;
	/* the last layer that wrote this name or passed through it */
	uint32_t layer;
	struct tree_dentry *next;
};

struct tree_dir {
	struct tree_node *parent;
	struct tree_dentry **buckets;
	size_t nbuckets, count;
};

/* tree_new - a tree holding an empty root directory (0755, root). */
struct tree *tree_new(void);
void tree_free(struct tree *t);
struct tree_node *tree_root(struct tree *t);
/* tree_new_mark - a mark value no node carries yet, for one walk. */
uint32_t tree_new_mark(struct tree *t);

/*
 * tree_node_new - a node of the given mode with no name yet; a directory
 * gets an empty table. Insert it with tree_insert, which owns it after.
 */
struct tree_node *tree_node_new(uint32_t mode);
/* tree_node_set_xattrs - replace the node's xattrs by copies of xs. */
void tree_node_set_xattrs(struct tree_node *n, const struct tree_xattr *xs,
			  size_t nxs);

/*
 * tree_resolve - split path into the directory it lies in and its last
 * name. Parent components are resolved inside the root (symlinks
 * followed, '..' stopping at the root). With layer non-zero, missing
 * parents are created (0755, root) and each crossed name is stamped with
 * layer; with layer 0 a missing parent gives -ENOENT. *ret_name points
 * into the tree's scratch space until the next call, and is NULL when
 * path names a directory itself (the root, or a trailing '..').
 * Returns 0, or -ENOENT, -ENOTDIR, -ELOOP, -ENAMETOOLONG.
 */
int tree_resolve(struct tree *t, const char *path, uint32_t layer,
		 struct tree_node **ret_dir, const char **ret_name);

/* tree_lookup - the name in dir, or NULL. */
struct tree_dentry *tree_lookup(const struct tree_node *dir,
				const char *name);
/* tree_insert - give node the name in dir (which must not have it). */
struct tree_dentry *tree_insert(struct tree_node *dir, const char *name,
				struct tree_node *node, uint32_t layer);
/* tree_remove - drop the name from dir, and a subtree under it. */
void tree_remove(struct tree_node *dir, const char *name);
/*
 * tree_opaque - drop from dir every name older than layer, and inside
 * names of layer itself, every older name below them.
 */
void tree_opaque(struct tree_node *dir, uint32_t layer);

/*
 * tree_get - the node at path (its last name not followed), without
 * changing the tree; NULL when it does not exist.
 */
struct tree_node *tree_get(struct tree *t, const char *path);

/*
 * tree_walk - call fn for every name, depth first, each directory's names
 * sorted by bytes; dir is the directory holding d. Stops at the first
 * non-zero return of fn and returns it.
 */
typedef int (*tree_walk_fn)(struct tree_node *dir, struct tree_dentry *d,
			    void *arg);
int tree_walk(struct tree *t, tree_walk_fn fn, void *arg);

/*
 * tree_sorted - dir's names sorted by bytes, in an array the caller
 * frees; *ret_n gets their count.
 */
struct tree_dentry **tree_sorted(const struct tree_node *dir, size_t *ret_n);

#endif
