/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * On-disk helpers: xattrs as canonical a(ayay), the tree walk, opening
 * regular files only.  Uses user.* xattrs (no root needed) on a file
 * system that has them (skips otherwise).
 */

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "oima-disk.h"
#include "oima-xattrs.h"
#include "test-files.h"

typedef struct
{
  char *dir;
  int dfd;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  f->dir = g_dir_make_tmp ("oima-disk-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *sub = g_build_filename (f->dir, "usr/bin", NULL);
  g_assert_cmpint (g_mkdir_with_parents (sub, 0755), ==, 0);
  g_autofree char *file = g_build_filename (sub, "tool", NULL);
  g_assert_true (g_file_set_contents (file, "#!/bin/sh\n", -1, &error));
  g_autofree char *other = g_build_filename (f->dir, "usr/README", NULL);
  g_assert_true (g_file_set_contents (other, "hi\n", -1, &error));
  g_autofree char *link = g_build_filename (f->dir, "usr/link", NULL);
  g_assert_cmpint (symlink ("bin/tool", link), ==, 0);
  f->dfd = open (f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  g_assert_cmpint (f->dfd, >=, 0);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  close (f->dfd);
  remove_tree (f->dir);
  g_free (f->dir);
}

static void
test_xattrs (Fixture *f, gconstpointer data)
{
  g_autofree char *file = g_build_filename (f->dir, "usr/bin/tool", NULL);
  if (setxattr (file, "user.zz", "2", 1, 0) != 0 || setxattr (file, "user.aa", "1", 1, 0) != 0)
    {
      g_test_skip ("no user xattrs on this file system");
      return;
    }
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) xattrs = NULL;
  g_assert_true (oima_disk_read_xattrs (f->dfd, "usr/bin/tool", &xattrs, &error));
  g_assert_no_error (error);
  g_assert_true (oima_xattrs_is_canonical (xattrs));
  g_autoptr (GBytes) aa = oima_xattrs_lookup (xattrs, "user.aa");
  g_assert_nonnull (aa);
  g_assert_cmpmem (g_bytes_get_data (aa, NULL), g_bytes_get_size (aa), "1", 1);

  g_autoptr (GBytes) none = NULL;
  g_assert_true (oima_disk_read_xattr (f->dfd, "usr/README", "user.aa", &none, &error));
  g_assert_null (none);
  g_autoptr (GVariant) empty = NULL;
  g_assert_true (oima_disk_read_xattrs (f->dfd, "usr/README", &empty, &error));
  g_assert_cmpuint (g_variant_n_children (empty), ==, 0);

  g_autoptr (GVariant) missing = NULL;
  g_assert_false (oima_disk_read_xattrs (f->dfd, "usr/nope", &missing, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "usr/nope"));
}

static gboolean
collect (int dfd, const char *relpath, const char *path, const struct stat *st, gpointer user_data,
         GError **error)
{
  g_ptr_array_add (user_data,
                   g_strdup_printf ("%s %s %c", path, relpath, S_ISREG (st->st_mode) ? 'f' : 'l'));
  return TRUE;
}

static void
test_walk (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);
  g_assert_true (oima_disk_walk (f->dfd, ".", "/", collect, seen, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (seen->len, ==, 3);
  gboolean found_tool = FALSE, found_link = FALSE;
  for (guint i = 0; i < seen->len; i++)
    {
      found_tool |= g_str_equal (seen->pdata[i], "/usr/bin/tool usr/bin/tool f");
      found_link |= g_str_equal (seen->pdata[i], "/usr/link usr/link l");
    }
  g_assert_true (found_tool && found_link);

  g_assert_false (oima_disk_walk (f->dfd, "nope", "/nope", collect, seen, NULL, &error));
  g_assert_nonnull (strstr (error->message, "nope"));
}

static void
test_open_regular (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  int fd = -1;
  g_assert_true (oima_disk_open_regular (f->dfd, "usr/README", &fd, &error));
  close (fd);
  g_assert_false (oima_disk_open_regular (f->dfd, "usr/link", &fd, &error));
  g_assert_nonnull (strstr (error->message, "usr/link"));
  g_clear_error (&error);
  g_assert_false (oima_disk_open_regular (f->dfd, "usr/bin", &fd, &error));
  g_assert_nonnull (strstr (error->message, "not a regular file"));
}

static gboolean
has_xattr (const char *path, const char *name, const char *value, gsize len)
{
  char buf[64];
  ssize_t n = getxattr (path, name, buf, sizeof buf);
  return n == (ssize_t)len && memcmp (buf, value, len) == 0;
}

/* A hardlinked file becomes a copy with the same content, mode and xattrs;
 * an inode-bound security.evm stays on the old inode, a portable one is
 * copied.  security.* needs root: without it only user.* is checked. */
static void
test_break_hardlink (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *obj = g_build_filename (f->dir, "usr/README", NULL);
  g_autofree char *hmac_obj = g_build_filename (f->dir, "usr/bin/tool", NULL);
  g_autofree char *dep = g_build_filename (f->dir, "usr/deployed", NULL);
  g_autofree char *hmac_dep = g_build_filename (f->dir, "usr/deployed-hmac", NULL);
  g_assert_cmpint (link (obj, dep), ==, 0);
  g_assert_cmpint (link (hmac_obj, hmac_dep), ==, 0);
  g_assert_cmpint (chmod (obj, 0750), ==, 0);
  if (setxattr (obj, "user.keep", "kept", 4, 0) < 0)
    {
      g_test_skip ("no user.* xattrs here");
      return;
    }
  gboolean security = setxattr (obj, "security.evm", "\x05\x02\x11", 3, 0) == 0
                      && setxattr (hmac_obj, "security.evm", "\x02\xaa\xbb", 3, 0) == 0;

  g_assert_true (oima_disk_break_hardlink (f->dfd, "usr/deployed", &error));
  g_assert_no_error (error);
  g_assert_true (oima_disk_break_hardlink (f->dfd, "usr/deployed-hmac", &error));
  g_assert_no_error (error);
  struct stat so, sd;
  g_assert_cmpint (stat (obj, &so), ==, 0);
  g_assert_cmpint (stat (dep, &sd), ==, 0);
  g_assert_cmpuint (so.st_ino, !=, sd.st_ino);
  g_assert_cmpuint (so.st_nlink, ==, 1);
  g_assert_cmpuint (sd.st_mode, ==, so.st_mode);
  g_autofree char *content = NULL;
  g_assert_true (g_file_get_contents (dep, &content, NULL, &error));
  g_assert_cmpstr (content, ==, "hi\n");
  g_assert_true (has_xattr (dep, "user.keep", "kept", 4));
  if (security)
    {
      g_assert_true (has_xattr (dep, "security.evm", "\x05\x02\x11", 3));
      g_assert_true (getxattr (hmac_dep, "security.evm", NULL, 0) < 0 && errno == ENODATA);
      g_assert_true (has_xattr (hmac_obj, "security.evm", "\x02\xaa\xbb", 3));
    }
  /* One link: nothing to do. */
  g_assert_true (oima_disk_break_hardlink (f->dfd, "usr/deployed", &error));
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/disk/xattrs", Fixture, NULL, setup, test_xattrs, teardown);
  g_test_add ("/disk/walk", Fixture, NULL, setup, test_walk, teardown);
  g_test_add ("/disk/open-regular", Fixture, NULL, setup, test_open_regular, teardown);
  g_test_add ("/disk/break-hardlink", Fixture, NULL, setup, test_break_hardlink, teardown);
  return g_test_run ();
}
