/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "oima-disk.h"
#include "oima-repo-fsck.h"
#include "oima-tree-walk.h"
#include "oima-util.h"
#include "oima-xattrs.h"

gboolean
oima_disk_open_regular (int dfd, const char *relpath, int *out_fd, GError **error)
{
  return oima_disk_open_regular_named (dfd, relpath, relpath, out_fd, error);
}

gboolean
oima_disk_open_regular_named (int dfd, const char *relpath, const char *name, int *out_fd,
                              GError **error)
{
  int fd = openat (dfd, relpath, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    return oima_throw_errno (error, name);
  struct stat st;
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      return oima_throw (error, "%s: not a regular file", name);
    }
  *out_fd = fd;
  return TRUE;
}

/* /proc/self/fd/N/relpath would follow a final symlink; the *at variants of
 * the xattr calls do not exist, so go through the path of @dfd. */
static char *
at_path (int dfd, const char *relpath)
{
  if (dfd == AT_FDCWD || relpath[0] == '/')
    return g_strdup (relpath);
  return g_strdup_printf ("/proc/self/fd/%d/%s", dfd, relpath);
}

gboolean
oima_disk_read_xattr (int dfd, const char *relpath, const char *name, GBytes **out_value,
                      GError **error)
{
  g_autofree char *path = at_path (dfd, relpath);
  *out_value = NULL;
  for (;;)
    {
      ssize_t size = lgetxattr (path, name, NULL, 0);
      g_autofree guint8 *buf = NULL;
      if (size >= 0)
        {
          buf = g_malloc (size ? size : 1);
          size = lgetxattr (path, name, buf, size);
          if (size < 0 && errno == ERANGE)
            continue; /* grew meanwhile */
        }
      if (size >= 0)
        {
          *out_value = g_bytes_new_take (g_steal_pointer (&buf), size);
          return TRUE;
        }
      if (errno == ENODATA || errno == ENOTSUP)
        return TRUE;
      return oima_throw_errno (error, relpath);
    }
}

static gboolean
list_xattr_names (const char *path, const char *relpath, char **out_names, gssize *out_len,
                  GError **error)
{
  for (;;)
    {
      ssize_t size = llistxattr (path, NULL, 0);
      if (size < 0 && errno == ENOTSUP)
        size = 0;
      if (size < 0)
        return oima_throw_errno (error, relpath);
      g_autofree char *names = g_malloc (size + 1);
      ssize_t got = size ? llistxattr (path, names, size) : 0;
      if (got < 0 && errno == ERANGE)
        continue;
      if (got < 0)
        return oima_throw_errno (error, relpath);
      *out_names = g_steal_pointer (&names);
      *out_len = got;
      return TRUE;
    }
}

gboolean
oima_disk_read_xattrs (int dfd, const char *relpath, GVariant **out_xattrs, GError **error)
{
  g_autofree char *path = at_path (dfd, relpath);
  g_autofree char *names = NULL;
  gssize len = 0;
  if (!list_xattr_names (path, relpath, &names, &len, error))
    return FALSE;
  g_autoptr (GVariant) xattrs = NULL;
  for (gssize off = 0; off < len; off += strlen (names + off) + 1)
    {
      g_autoptr (GBytes) value = NULL;
      if (!oima_disk_read_xattr (dfd, relpath, names + off, &value, error))
        return FALSE;
      if (value == NULL)
        continue; /* removed meanwhile */
      GVariant *next = oima_xattrs_set (xattrs, names + off, value);
      g_clear_pointer (&xattrs, g_variant_unref);
      xattrs = next;
    }
  *out_xattrs = xattrs ? g_steal_pointer (&xattrs) : oima_xattrs_canonicalize (NULL);
  return TRUE;
}

static gboolean
walk_dir (int dfd, const char *relpath, const char *path, OimaDiskWalkFunc func, gpointer user_data,
          GCancellable *cancellable, GError **error)
{
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  int fd = openat (dfd, relpath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return oima_throw_errno (error, relpath);
  DIR *d = fdopendir (fd);
  if (d == NULL)
    {
      close (fd);
      return oima_throw_errno (error, relpath);
    }
  gboolean ok = TRUE;
  struct dirent *dent;
  while (ok && (errno = 0, dent = readdir (d)) != NULL)
    {
      if (strcmp (dent->d_name, ".") == 0 || strcmp (dent->d_name, "..") == 0)
        continue;
      g_autofree char *child_rel = strcmp (relpath, ".") == 0
                                       ? g_strdup (dent->d_name)
                                       : g_strconcat (relpath, "/", dent->d_name, NULL);
      g_autofree char *child_path = oima_tree_child_path (path, dent->d_name);
      struct stat st;
      if (fstatat (dfd, child_rel, &st, AT_SYMLINK_NOFOLLOW) != 0)
        ok = oima_throw_errno (error, child_rel);
      else if (S_ISDIR (st.st_mode))
        ok = walk_dir (dfd, child_rel, child_path, func, user_data, cancellable, error);
      else
        ok = func (dfd, child_rel, child_path, &st, user_data, error);
    }
  if (ok && errno != 0)
    ok = oima_throw_errno (error, relpath);
  closedir (d);
  return ok;
}

gboolean
oima_disk_walk (int dfd, const char *relpath, const char *root_path, OimaDiskWalkFunc func,
                gpointer user_data, GCancellable *cancellable, GError **error)
{
  return walk_dir (dfd, relpath, root_path, func, user_data, cancellable, error);
}

/* Copy every xattr of @src_path (not following a symlink) onto @fd, less
 * an inode-bound security.evm: it describes the old inode, never a copy
 * (and a kernel with EVM refuses to have one set from userspace). */
static gboolean
copy_xattrs (int dfd, const char *relpath, int fd, GError **error)
{
  g_autoptr (GVariant) xattrs = NULL;
  if (!oima_disk_read_xattrs (dfd, relpath, &xattrs, error))
    return FALSE;
  g_autoptr (GBytes) evm = oima_xattrs_lookup (xattrs, OIMA_XATTR_EVM);
  if (oima_evm_is_inode_bound (evm))
    {
      GVariant *portable = oima_xattrs_filter_out (xattrs, OIMA_XATTR_EVM);
      g_variant_unref (xattrs);
      xattrs = portable;
    }
  gsize n = g_variant_n_children (xattrs);
  for (gsize i = 0; i < n; i++)
    {
      const char *name = NULL;
      g_autoptr (GVariant) value = NULL;
      g_variant_get_child (xattrs, i, "(^&ay@ay)", &name, &value);
      gsize len = 0;
      const guint8 *data = g_variant_get_fixed_array (value, &len, 1);
      if (fsetxattr (fd, name, data, len, 0) < 0)
        return oima_throw_errno (error, name);
    }
  return TRUE;
}

gboolean
oima_disk_break_hardlink (int dfd, const char *relpath, GError **error)
{
  struct stat st;
  if (fstatat (dfd, relpath, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return oima_throw_errno (error, relpath);
  if (!S_ISREG (st.st_mode))
    return oima_throw (error, "%s: not a regular file", relpath);
  if (st.st_nlink <= 1)
    return TRUE;
  oima_autofd int src = -1;
  if (!oima_disk_open_regular (dfd, relpath, &src, error))
    return FALSE;
  g_autofree char *dir = g_path_get_dirname (relpath);
  g_autofree char *base = g_path_get_basename (relpath);
  g_autofree char *tmp = g_strdup_printf ("%s/.%s.oima-XXXXXX", dir, base);
  /* mkstemp needs a path it can open: go through the dfd's path. */
  g_autofree char *tmp_path = at_path (dfd, tmp);
  oima_autofd int fd = g_mkstemp_full (tmp_path, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    return oima_throw_errno (error, relpath);
  char buf[65536];
  ssize_t n;
  gboolean ok = TRUE;
  while (ok && (n = read (src, buf, sizeof buf)) != 0)
    {
      if (n < 0 && errno == EINTR)
        continue;
      ok = n > 0 && write (fd, buf, n) == n;
    }
  ok = ok && fchown (fd, st.st_uid, st.st_gid) == 0 && fchmod (fd, st.st_mode & 07777) == 0;
  if (!ok)
    oima_throw_errno (error, relpath);
  ok = ok && copy_xattrs (dfd, relpath, fd, error);
  /* The new inode takes the path; the object keeps its own. */
  g_autofree char *tmp_rel = g_strdup (tmp_path + strlen (tmp_path) - strlen (tmp));
  if (ok && renameat (dfd, tmp_rel, dfd, relpath) < 0)
    ok = oima_throw_errno (error, relpath);
  if (!ok)
    (void)unlink (tmp_path);
  return ok;
}
