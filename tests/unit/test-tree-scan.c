/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The tree scan over a commit (archive repo: no root needed) and over the
 * same tree checked out on disk: the same files, owners, modes and
 * digests, ELF detection, digests shared by hardlinks and identical
 * objects, filters, errors.
 */

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "oima-tree-scan.h"
#include "test-files.h"

typedef struct
{
  GMutex lock;
  GHashTable *seen; /* path -> "mode size elf digest" */
  const char *fail_at;
} Collect;

static gboolean
collect (OimaScanFile *f, gpointer data, GCancellable *c, GError **error)
{
  Collect *col = data;
  const char *path = oima_scan_file_get_path (f);
  if (col->fail_at && g_str_equal (path, col->fail_at))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "stop at %s", path);
      return FALSE;
    }
  guint8 d[OIMA_MAX_DIGEST_SIZE];
  gsize len = 0;
  gboolean elf = FALSE;
  if (!oima_scan_file_digest (f, OIMA_HASH_SHA256, d, &len, c, error)
      || !oima_scan_file_is_elf (f, &elf, c, error))
    return FALSE;
  GString *digest = g_string_new (NULL);
  for (gsize i = 0; i < len; i++)
    g_string_append_printf (digest, "%02x", d[i]);
  g_assert_nonnull (oima_scan_file_get_xattrs (f));
  char *desc
      = g_strdup_printf ("%o %" G_GUINT64_FORMAT " %d %s", oima_scan_file_get_mode (f) & 07777,
                         oima_scan_file_get_size (f), elf, digest->str);
  g_string_free (digest, TRUE);
  g_mutex_lock (&col->lock);
  g_hash_table_replace (col->seen, g_strdup (path), desc);
  g_mutex_unlock (&col->lock);
  return TRUE;
}

static void
test_commit_and_dir (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("oima-scan-XXXXXX", &error);
  g_autofree char *tree = g_build_filename (dir, "tree", NULL);
  write_file (tree, "usr/bin/prog",
              "\x7f"
              "ELF\x02\x01\x01",
              7, 0755);
  write_file (tree, "usr/bin/script", "#!/bin/sh\n", 10, 0755);
  write_file (tree, "etc/conf", "a=1\n", 4, 0644);
  write_file (tree, "etc/same", "a=1\n", 4, 0600);
  g_autofree char *link = g_build_filename (tree, "usr/bin/link", NULL);
  g_assert_cmpint (symlink ("prog", link), ==, 0);

  g_autofree char *repo_path = g_build_filename (dir, "repo", NULL);
  g_autofree char *cmd
      = g_strdup_printf ("ostree --repo=%s init --mode=archive && ostree --repo=%s commit -b main "
                         "--tree=dir=%s --owner-uid=0 --owner-gid=0 >/dev/null",
                         repo_path, repo_path, tree);
  g_assert_cmpint (system (cmd), ==, 0);
  g_autoptr (GFile) repo_file = g_file_new_for_path (repo_path);
  g_autoptr (OstreeRepo) repo = ostree_repo_new (repo_file);
  g_assert_true (ostree_repo_open (repo, NULL, &error));

  Collect from_commit = { .seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free) };
  g_mutex_init (&from_commit.lock);
  g_assert_true (
      oima_tree_scan_commit (repo, "main", NULL, 2, collect, &from_commit, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (from_commit.seen), ==, 4); /* not the symlink */
  g_assert_true (
      g_str_has_prefix (g_hash_table_lookup (from_commit.seen, "/usr/bin/prog"), "755 7 1 "));
  g_assert_true (
      g_str_has_prefix (g_hash_table_lookup (from_commit.seen, "/usr/bin/script"), "755 10 0 "));
  /* sha256("a=1\n") */
  g_autofree char *expect = g_compute_checksum_for_string (G_CHECKSUM_SHA256, "a=1\n", -1);
  g_autofree char *conf = g_strdup_printf ("644 4 0 %s", expect);
  g_assert_cmpstr (g_hash_table_lookup (from_commit.seen, "/etc/conf"), ==, conf);

  int dfd = open (tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  Collect from_dir = { .seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free) };
  g_mutex_init (&from_dir.lock);
  g_assert_true (oima_tree_scan_dir (dfd, ".", NULL, 2, collect, &from_dir, NULL, &error));
  g_assert_no_error (error);
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, from_commit.seen);
  while (g_hash_table_iter_next (&it, &k, &v))
    g_assert_cmpstr (g_hash_table_lookup (from_dir.seen, k), ==, v);

  /* Filters, and a failing function stops the scan with its error. */
  g_autoptr (OimaPathFilter) filter
      = oima_path_filter_new ((const char *[]){ "/etc/*", NULL }, NULL, &error);
  Collect some = { .seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free),
                   .fail_at = "/etc/same" };
  g_mutex_init (&some.lock);
  g_assert_false (oima_tree_scan_dir (dfd, ".", filter, 1, collect, &some, NULL, &error));
  g_assert_cmpstr (error->message, ==, "stop at /etc/same");
  g_clear_error (&error);
  g_assert_false (
      oima_tree_scan_commit (repo, "no-such-ref", NULL, 1, collect, &some, NULL, &error));
  g_assert_nonnull (error);

  close (dfd);
  g_hash_table_unref (from_commit.seen);
  g_hash_table_unref (from_dir.seen);
  g_hash_table_unref (some.seen);
  g_free (cmd);
  cmd = g_strdup_printf ("rm -rf '%s'", dir);
  g_assert_cmpint (system (cmd), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tree-scan/commit-and-dir", test_commit_and_dir);
  return g_test_run ();
}
