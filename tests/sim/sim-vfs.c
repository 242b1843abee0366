/*
 * sim-vfs.c - the in-memory tree passd-sim serves.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim-vfs.h"

/* ---- inode numbers: a chained hash, grown at load 1 -------------------------------------- */

static struct vnode **ino_hash;
static size_t ino_buckets, ino_count;
static uint64_t ino_next = 1; /* the first node made (passd-sim's root) gets FUSE_ROOT_ID */
static vnode_change_fn change_hook;

void vnode_set_change_hook(vnode_change_fn fn)
{
	change_hook = fn;
}

static size_t ino_slot(uint64_t ino, size_t buckets)
{
	return (size_t)((ino * UINT64_C(0x9e3779b97f4a7c15)) >> 17) & (buckets - 1);
}

static int ino_insert(struct vnode *n)
{
	if (ino_count >= ino_buckets) {
		size_t nb = ino_buckets ? ino_buckets * 2 : 1024;
		struct vnode **h = calloc(nb, sizeof(*h));

		if (!h)
			return -ENOMEM;
		for (size_t i = 0; i < ino_buckets; i++)
			for (struct vnode *x = ino_hash[i], *next; x; x = next) {
				size_t k = ino_slot(x->ino, nb);

				next = x->hnext;
				x->hnext = h[k];
				h[k] = x;
			}
		free(ino_hash);
		ino_hash = h;
		ino_buckets = nb;
	}
	{
		size_t k = ino_slot(n->ino, ino_buckets);

		n->hnext = ino_hash[k];
		ino_hash[k] = n;
	}
	ino_count++;
	return 0;
}

static void ino_erase(struct vnode *n)
{
	struct vnode **pp;

	if (!ino_buckets)
		return;
	for (pp = &ino_hash[ino_slot(n->ino, ino_buckets)]; *pp; pp = &(*pp)->hnext)
		if (*pp == n) {
			*pp = n->hnext;
			ino_count--;
			break;
		}
	if (ino_count == 0) {
		free(ino_hash);
		ino_hash = NULL;
		ino_buckets = 0;
	}
}

struct vnode *vnode_by_ino(uint64_t ino)
{
	if (!ino_buckets)
		return NULL;
	for (struct vnode *x = ino_hash[ino_slot(ino, ino_buckets)]; x; x = x->hnext)
		if (x->ino == ino)
			return x;
	return NULL;
}

bool vnode_attached(const struct vnode *n, const struct vnode *root)
{
	while (n && n != root)
		n = n->parent;
	return n == root;
}

struct vnode *vnode_new(const char *name, enum vnode_type type, mode_t mode)
{
	struct vnode *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->name = strdup(name);
	if (!n->name) {
		free(n);
		return NULL;
	}
	n->type = type;
	n->mode = mode & 07777;
	n->ino = ino_next++;
	if (ino_insert(n) < 0) {
		free(n->name);
		free(n);
		return NULL;
	}
	return n;
}

void vnode_free(struct vnode *n)
{
	if (!n)
		return;
	ino_erase(n);
	for (size_t i = 0; i < n->n_kids; i++) {
		n->kids[i]->parent = NULL;
		vnode_free(n->kids[i]);
	}
	free(n->kids);
	free(n->data);
	free(n->name);
	free(n);
}

/* index of the first child whose name is >= (name, len) */
static size_t find_pos(const struct vnode *dir, const char *name, size_t len, bool *found)
{
	size_t lo = 0, hi = dir->n_kids;

	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *k = dir->kids[mid]->name;
		int c = strncmp(k, name, len);

		if (c == 0 && k[len] != '\0')
			c = 1; /* k is longer: it sorts after */
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct vnode *vnode_child_n(const struct vnode *dir, const char *name, size_t len)
{
	bool found;
	size_t i;

	if (!dir || dir->type != VNODE_DIR)
		return NULL;
	i = find_pos(dir, name, len, &found);
	return found ? dir->kids[i] : NULL;
}

struct vnode *vnode_child(const struct vnode *dir, const char *name)
{
	return vnode_child_n(dir, name, strlen(name));
}

int vnode_add(struct vnode *dir, struct vnode *kid)
{
	bool found;
	size_t i = find_pos(dir, kid->name, strlen(kid->name), &found);

	if (found)
		return -EEXIST;
	if (dir->n_kids == dir->alloc_kids) {
		size_t na = dir->alloc_kids ? dir->alloc_kids * 2 : 8;
		struct vnode **k = realloc(dir->kids, na * sizeof(*k));

		if (!k)
			return -ENOMEM;
		dir->kids = k;
		dir->alloc_kids = na;
	}
	memmove(dir->kids + i + 1, dir->kids + i, (dir->n_kids - i) * sizeof(*dir->kids));
	dir->kids[i] = kid;
	dir->n_kids++;
	kid->parent = dir;
	if (dir->known && change_hook)
		change_hook(dir, kid->name, kid);
	return 0;
}

void vnode_detach(struct vnode *n)
{
	struct vnode *dir = n->parent;
	bool found;
	size_t i;

	if (!dir)
		return;
	i = find_pos(dir, n->name, strlen(n->name), &found);
	if (found && dir->kids[i] == n) {
		memmove(dir->kids + i, dir->kids + i + 1, (dir->n_kids - i - 1) * sizeof(*dir->kids));
		dir->n_kids--;
		if (dir->known && change_hook)
			change_hook(dir, n->name, NULL);
	}
	n->parent = NULL;
}

void vnode_remove(struct vnode *n)
{
	if (!n)
		return;
	vnode_detach(n);
	vnode_free(n);
}

struct vnode *vnode_lookup(struct vnode *root, const char *path)
{
	struct vnode *n = root;
	const char *s = path;

	for (;;) {
		size_t len;

		while (*s == '/')
			s++;
		if (!*s)
			return n;
		len = strcspn(s, "/");
		n = vnode_child_n(n, s, len);
		if (!n)
			return NULL;
		s += len;
	}
}

struct vnode *vnode_mkdirs(struct vnode *root, const char *path)
{
	struct vnode *n = root;
	const char *s = path;

	for (;;) {
		struct vnode *k;
		size_t len;

		while (*s == '/')
			s++;
		if (!*s)
			return n;
		len = strcspn(s, "/");
		k = vnode_child_n(n, s, len);
		if (!k) {
			char *name = strndup(s, len);

			if (!name)
				return NULL;
			k = vnode_new(name, VNODE_DIR, 0755);
			free(name);
			if (!k)
				return NULL;
			if (vnode_add(n, k) < 0) {
				vnode_free(k);
				return NULL;
			}
		}
		if (k->type != VNODE_DIR)
			return NULL;
		n = k;
		s += len;
	}
}

int vnode_set_data(struct vnode *n, const void *data, size_t len)
{
	char *p = malloc(len + 1);

	if (!p)
		return -ENOMEM;
	if (len)
		memcpy(p, data, len);
	p[len] = '\0';
	free(n->data);
	n->data = p;
	n->len = len;
	if (n->type == VNODE_LINK && n->known && change_hook)
		change_hook(NULL, n->name, n);
	return 0;
}

static struct vnode *put(struct vnode *dir, const char *name, enum vnode_type type, mode_t mode,
			 const void *data, size_t len)
{
	struct vnode *n = vnode_child(dir, name);

	if (n && n->type != type) {
		vnode_remove(n);
		n = NULL;
	}
	if (!n) {
		n = vnode_new(name, type, mode);
		if (!n)
			return NULL;
		if (vnode_add(dir, n) < 0) {
			vnode_free(n);
			return NULL;
		}
	}
	n->mode = mode & 07777;
	if (vnode_set_data(n, data, len) < 0)
		return NULL;
	return n;
}

struct vnode *vnode_put_file(struct vnode *dir, const char *name, mode_t mode, const void *data,
			     size_t len)
{
	return put(dir, name, VNODE_FILE, mode, data, len);
}

struct vnode *vnode_put_link(struct vnode *dir, const char *name, const char *target)
{
	return put(dir, name, VNODE_LINK, 0777, target, strlen(target));
}

char *vnode_path(const struct vnode *n)
{
	size_t len = 0, pos;
	char *p;

	for (const struct vnode *x = n; x && x->parent; x = x->parent)
		len += strlen(x->name) + 1;
	p = malloc(len + 1);
	if (!p)
		return NULL;
	pos = len;
	p[pos] = '\0';
	for (const struct vnode *x = n; x && x->parent; x = x->parent) {
		size_t l = strlen(x->name);

		pos -= l;
		memcpy(p + pos, x->name, l);
		if (pos > 0)
			p[--pos] = '/';
	}
	/* every component was written with a slash in front: drop the first one */
	if (len > 0)
		memmove(p, p + 1, len);
	return p;
}

static int read_all(int dfd, const char *name, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, alloc = 0;

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		if (alloc - len < 4096) {
			char *b = realloc(buf, alloc + 8192);

			if (!b)
				return -ENOMEM;
			buf = b;
			alloc += 8192;
		}
		n = read(fd, buf + len, alloc - len);
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

int vnode_import(struct vnode *dir, int dfd)
{
	DIR *d;
	struct dirent *de;
	int fd, r = 0;

	fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		r = -errno;
		close(fd);
		return r;
	}
	while (r >= 0 && (de = readdir(d))) {
		struct stat st;

		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = -errno;
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			struct vnode *k = vnode_child(dir, de->d_name);
			_cleanup_close_ int sub = -1;

			if (k && k->type != VNODE_DIR) {
				vnode_remove(k);
				k = NULL;
			}
			if (!k) {
				k = vnode_new(de->d_name, VNODE_DIR, st.st_mode);
				if (!k || vnode_add(dir, k) < 0) {
					vnode_free(k);
					r = -ENOMEM;
					break;
				}
			}
			sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (sub < 0) {
				r = -errno;
				break;
			}
			r = vnode_import(k, sub);
		} else if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t n = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1);

			if (n < 0) {
				r = -errno;
				break;
			}
			target[n] = '\0';
			if (!vnode_put_link(dir, de->d_name, target))
				r = -ENOMEM;
		} else if (S_ISREG(st.st_mode)) {
			_cleanup_free_ char *buf = NULL;
			size_t len = 0;

			r = read_all(dirfd(d), de->d_name, &buf, &len);
			if (r >= 0 && !vnode_put_file(dir, de->d_name, st.st_mode, buf, len))
				r = -ENOMEM;
		}
	}
	closedir(d);
	return r;
}
