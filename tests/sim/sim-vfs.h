/*
 * sim-vfs.h - the in-memory tree passd-sim serves: directories, files, symlinks, char devices.
 *
 * A directory keeps its children sorted by name, so a lookup is a binary search per path
 * component and a listing comes out sorted. Nothing here knows about PCI: sim-kernel.c decides
 * what the nodes mean and changes them. Not thread-safe: the caller holds the kernel's lock.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

enum vnode_type {
	VNODE_DIR,
	VNODE_FILE,
	VNODE_LINK,
	VNODE_CHR,
};

struct vnode {
	char *name;
	enum vnode_type type;
	mode_t mode; /* permission bits only */
	struct vnode *parent;
	struct vnode **kids; /* directories: sorted by name */
	size_t n_kids, alloc_kids;
	char *data; /* file contents or link target (NUL-terminated too) */
	size_t len;
	dev_t rdev;  /* char devices */
	void *owner; /* what the kernel model hangs on it (the function of a device directory) */
	uint64_t ino; /* unique, never reused (the root's is 1); see vnode_by_ino() */
	bool known;   /* the FUSE kernel has been told about it (may cache it): changes are reported */
	struct vnode *hnext; /* the inode hash chain */
};

/*
 * What changed, for a cache in front of the tree (passd-sim's kernel dentry and attribute
 * caches): the entry @name of directory @dir appeared or went away (@n NULL), or the link @n got
 * a new target (@dir NULL). Called only when the directory (or the link) is `known`.
 */
typedef void (*vnode_change_fn)(const struct vnode *dir, const char *name, const struct vnode *n);
void vnode_set_change_hook(vnode_change_fn fn);

/* The live node with that inode number, or NULL when it was freed. */
struct vnode *vnode_by_ino(uint64_t ino);
/* True when @n hangs below @root (not detached, nor inside a detached subtree). */
bool vnode_attached(const struct vnode *n, const struct vnode *root);

struct vnode *vnode_new(const char *name, enum vnode_type type, mode_t mode);
/* Free @n and everything below it; it must be detached first. NULL is a no-op. */
void vnode_free(struct vnode *n);
DEFINE_FREEP(struct vnode, vnode_free)

/* Add @kid (detached) to @dir. -EEXIST when the name is taken (then @kid is not consumed). */
int vnode_add(struct vnode *dir, struct vnode *kid);
/* Take @n out of its parent (no-op when detached). */
void vnode_detach(struct vnode *n);
/* Detach and free. */
void vnode_remove(struct vnode *n);

/* The child of @dir named by the first @len bytes of @name; NULL when absent. */
struct vnode *vnode_child_n(const struct vnode *dir, const char *name, size_t len);
struct vnode *vnode_child(const struct vnode *dir, const char *name);
/* Walk "a/b/c" (leading and repeated slashes ignored) below @root without following links. */
struct vnode *vnode_lookup(struct vnode *root, const char *path);
/* mkdir -p below @root; NULL when out of memory or a component is not a directory. */
struct vnode *vnode_mkdirs(struct vnode *root, const char *path);

/* Replace @n's data. */
int vnode_set_data(struct vnode *n, const void *data, size_t len);
/* Create or replace a file or symlink in @dir. Returns the node or NULL (out of memory). */
struct vnode *vnode_put_file(struct vnode *dir, const char *name, mode_t mode, const void *data,
			     size_t len);
struct vnode *vnode_put_link(struct vnode *dir, const char *name, const char *target);

/* The path of @n below the root, without a leading slash ("sys/bus/pci"); caller frees. */
char *vnode_path(const struct vnode *n);

/*
 * Merge the directory @dfd (a real one, as passd-simgen writes it) into @dir: new entries are
 * added, existing files and links get the new contents, directories are merged recursively.
 */
int vnode_import(struct vnode *dir, int dfd);
