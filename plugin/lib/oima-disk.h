/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Files on disk as the core sees them: a regular file opened for hashing,
 * the xattrs of a file as ostree's canonical a(ayay), and a depth-first
 * walk of a directory tree (checkouts, deployments, `commit dir=` trees).
 * Symlinks are never followed.
 *
 *   g_autoptr(GVariant) xattrs = NULL;
 *   oima_disk_read_xattrs (dfd, "usr/bin/sh", &xattrs, &error);
 *   oima_disk_walk (dfd, ".", "/", visit_file, &ctx, cancellable, &error);
 */
#pragma once

#include <sys/stat.h>

#include <gio/gio.h>

G_BEGIN_DECLS

/* Open @relpath under @dfd read-only, without following a symlink and
 * without blocking on a FIFO; anything but a regular file is an error. */
gboolean oima_disk_open_regular (int dfd, const char *relpath, int *out_fd, GError **error);
/* The same, with errors naming the file @name (e.g. its path in a tree). */
gboolean oima_disk_open_regular_named (int dfd, const char *relpath, const char *name, int *out_fd,
                                       GError **error);

/* The value of xattr @name of @relpath under @dfd (a symlink itself, not its
 * target): TRUE with *@out_value NULL when it has none. */
gboolean oima_disk_read_xattr (int dfd, const char *relpath, const char *name, GBytes **out_value,
                               GError **error);

/* Every xattr of @relpath under @dfd as a canonical a(ayay): sorted,
 * NUL-terminated names.  A file system without xattrs gives an empty list. */
gboolean oima_disk_read_xattrs (int dfd, const char *relpath, GVariant **out_xattrs,
                                GError **error);

/* Make @relpath under @dfd a file of its own if it is a hardlink (a
 * deployed file shares its inode with the repository's object): a copy
 * with the same content, owner, mode and every xattr takes its place, so
 * that changing it leaves the object alone.  An inode-bound security.evm
 * (HMAC or non-portable signature) stays with the old inode, as in
 * libostree's ostree_break_hardlink().  A file with one link is left as it
 * is. */
gboolean oima_disk_break_hardlink (int dfd, const char *relpath, GError **error);

/* Called for every entry that is not a directory.  @relpath is relative to
 * the walk's dfd, @path the absolute path the tree gives it ("/usr/bin/sh"). */
typedef gboolean (*OimaDiskWalkFunc) (int dfd, const char *relpath, const char *path,
                                      const struct stat *st, gpointer user_data, GError **error);

/* Walk the tree at @relpath under @dfd depth-first, in readdir order (the
 * order `ostree commit` reads a tree in).  @root_path is the absolute path
 * of @relpath in the tree.  Unreadable directories are errors. */
gboolean oima_disk_walk (int dfd, const char *relpath, const char *root_path, OimaDiskWalkFunc func,
                         gpointer user_data, GCancellable *cancellable, GError **error);

G_END_DECLS
