/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <string.h>
#include <unistd.h>

#include <gio/gunixinputstream.h>

#include "oima-disk.h"
#include "oima-tree-scan.h"
#include "oima-tree-walk.h"
#include "oima-util.h"
#include "oima-workers.h"
#include "oima-xattrs.h"

typedef struct
{
  OstreeRepo *repo; /* commit scans */
  int dfd;          /* directory scans */
  const OimaPathFilter *filter;
  OimaScanFunc func;
  gpointer user_data;
  GPtrArray *files; /* OimaScanFile, owned */
  GMutex lock;
  GHashTable *digests; /* "content-key/algo" -> GBytes */
} Scan;

struct _OimaScanFile
{
  Scan *scan;
  char *path;
  char *relpath;  /* directory scans */
  char *checksum; /* commit scans */
  char *content_key;
  guint32 uid, gid, mode;
  guint64 size;
  GVariant *xattrs;
};

static void
scan_file_free (OimaScanFile *f)
{
  g_free (f->path);
  g_free (f->relpath);
  g_free (f->checksum);
  g_free (f->content_key);
  g_clear_pointer (&f->xattrs, g_variant_unref);
  g_free (f);
}

const char *
oima_scan_file_get_path (OimaScanFile *file)
{
  return file->path;
}

guint32
oima_scan_file_get_uid (OimaScanFile *file)
{
  return file->uid;
}

guint32
oima_scan_file_get_gid (OimaScanFile *file)
{
  return file->gid;
}

guint32
oima_scan_file_get_mode (OimaScanFile *file)
{
  return file->mode;
}

guint64
oima_scan_file_get_size (OimaScanFile *file)
{
  return file->size;
}

GVariant *
oima_scan_file_get_xattrs (OimaScanFile *file)
{
  return file->xattrs;
}

const char *
oima_scan_file_get_checksum (OimaScanFile *file)
{
  return file->checksum;
}

int
oima_scan_file_get_dfd (OimaScanFile *file)
{
  return file->scan->repo ? -1 : file->scan->dfd;
}

const char *
oima_scan_file_get_relpath (OimaScanFile *file)
{
  return file->relpath;
}

/* The content as a stream: the object, or the file opened afresh.  Errors
 * name the file by its path in the tree, once. */
static GInputStream *
open_content (OimaScanFile *f, GCancellable *cancellable, GError **error)
{
  if (f->scan->repo)
    {
      g_autoptr (GInputStream) in = NULL;
      if (!ostree_repo_load_file (f->scan->repo, f->checksum, &in, NULL, NULL, cancellable, error))
        {
          oima_prefix_error (error, "%s", f->path);
          return NULL;
        }
      return g_steal_pointer (&in);
    }
  int fd = -1;
  if (!oima_disk_open_regular_named (f->scan->dfd, f->relpath, f->path, &fd, error))
    return NULL;
  return g_unix_input_stream_new (fd, TRUE);
}

gboolean
oima_scan_file_digest (OimaScanFile *file, OimaHashAlgo algo, guint8 *out_digest, gsize *out_len,
                       GCancellable *cancellable, GError **error)
{
  Scan *scan = file->scan;
  g_autofree char *key = g_strdup_printf ("%s/%d", file->content_key, (int)algo);
  g_mutex_lock (&scan->lock);
  GBytes *cached = g_hash_table_lookup (scan->digests, key);
  if (cached)
    {
      *out_len = g_bytes_get_size (cached);
      memcpy (out_digest, g_bytes_get_data (cached, NULL), *out_len);
    }
  g_mutex_unlock (&scan->lock);
  if (cached)
    return TRUE;

  /* Two files with one content may both get here: both hash it, the
   * result is the same. */
  g_autoptr (GInputStream) in = open_content (file, cancellable, error);
  if (in == NULL)
    return FALSE;
  if (!oima_hash_stream (algo, in, out_digest, out_len, cancellable, error))
    {
      oima_prefix_error (error, "%s", file->path);
      return FALSE;
    }
  g_mutex_lock (&scan->lock);
  g_hash_table_replace (scan->digests, g_steal_pointer (&key), g_bytes_new (out_digest, *out_len));
  g_mutex_unlock (&scan->lock);
  return TRUE;
}

gboolean
oima_scan_file_is_elf (OimaScanFile *file, gboolean *out_is_elf, GCancellable *cancellable,
                       GError **error)
{
  static const guint8 elf_magic[4] = { 0x7f, 'E', 'L', 'F' };
  *out_is_elf = FALSE;
  if (file->size < sizeof elf_magic)
    return TRUE;
  g_autoptr (GInputStream) in = open_content (file, cancellable, error);
  if (in == NULL)
    return FALSE;
  guint8 head[sizeof elf_magic];
  gsize n = 0;
  if (!g_input_stream_read_all (in, head, sizeof head, &n, cancellable, error))
    {
      oima_prefix_error (error, "%s", file->path);
      return FALSE;
    }
  *out_is_elf = n == sizeof head && memcmp (head, elf_magic, sizeof head) == 0;
  return TRUE;
}

/* Worker: complete the facts of one file, then hand it over. */
static gboolean
scan_one (gpointer task, gpointer user_data, GCancellable *cancellable, GError **error)
{
  OimaScanFile *f = task;
  Scan *scan = user_data;
  if (scan->repo)
    {
      g_autoptr (GFileInfo) info = NULL;
      if (!ostree_repo_load_file (scan->repo, f->checksum, NULL, &info, &f->xattrs, cancellable,
                                  error))
        {
          oima_prefix_error (error, "%s", f->path);
          return FALSE;
        }
      if (g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
        return TRUE;
      f->uid = g_file_info_get_attribute_uint32 (info, "unix::uid");
      f->gid = g_file_info_get_attribute_uint32 (info, "unix::gid");
      f->mode = g_file_info_get_attribute_uint32 (info, "unix::mode");
      f->size = g_file_info_get_size (info);
    }
  else if (!oima_disk_read_xattrs (scan->dfd, f->relpath, &f->xattrs, error))
    return FALSE;
  if (f->xattrs == NULL)
    f->xattrs = oima_xattrs_canonicalize (NULL);
  return scan->func (f, scan->user_data, cancellable, error);
}

static gboolean
run (Scan *scan, guint n_jobs, GCancellable *cancellable, GError **error)
{
  g_autoptr (OimaWorkers) workers
      = oima_workers_new (n_jobs, OIMA_WORKERS_FAIL_FAST, scan_one, scan, cancellable, error);
  if (workers == NULL)
    return FALSE;
  for (guint i = 0; i < scan->files->len; i++)
    oima_workers_push (workers, scan->files->pdata[i]);
  return oima_workers_wait_all (workers, NULL, NULL, error);
}

static void
scan_init (Scan *scan, const OimaPathFilter *filter, OimaScanFunc func, gpointer user_data)
{
  scan->filter = filter;
  scan->func = func;
  scan->user_data = user_data;
  scan->files = g_ptr_array_new_with_free_func ((GDestroyNotify)scan_file_free);
  g_mutex_init (&scan->lock);
  scan->digests
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_bytes_unref);
}

static void
scan_clear (Scan *scan)
{
  g_ptr_array_unref (scan->files);
  g_hash_table_unref (scan->digests);
  g_mutex_clear (&scan->lock);
}

static OimaScanFile *
add_file (Scan *scan, const char *path)
{
  OimaScanFile *f = g_new0 (OimaScanFile, 1);
  f->scan = scan;
  f->path = g_strdup (path);
  g_ptr_array_add (scan->files, f);
  return f;
}

static gboolean
collect_object (const char *path, const char *checksum, gpointer user_data, GError **error)
{
  Scan *scan = user_data;
  if (!oima_path_filter_matches (scan->filter, path))
    return TRUE;
  OimaScanFile *f = add_file (scan, path);
  f->checksum = g_strdup (checksum);
  f->content_key = g_strdup (checksum);
  return TRUE;
}

gboolean
oima_tree_scan_commit (OstreeRepo *repo, const char *rev, const OimaPathFilter *filter,
                       guint n_jobs, OimaScanFunc func, gpointer user_data,
                       GCancellable *cancellable, GError **error)
{
  /* A commit being pulled is still marked partial when the pull hook runs:
   * its objects are all there; a missing one is an error below. */
  g_autofree char *commit = NULL;
  g_autoptr (GVariant) commit_v = NULL;
  if (!ostree_repo_resolve_rev (repo, rev, FALSE, &commit, error)
      || !ostree_repo_load_variant (repo, OSTREE_OBJECT_TYPE_COMMIT, commit, &commit_v, error))
    return FALSE;
  g_autoptr (GVariant) root_v = g_variant_get_child_value (commit_v, 6);
  g_autofree char *root_tree = ostree_checksum_from_bytes_v (root_v);
  Scan scan = { 0 };
  scan_init (&scan, filter, func, user_data);
  scan.repo = repo;
  scan.dfd = -1;
  gboolean ok = oima_tree_walk (repo, root_tree, collect_object, &scan, cancellable, error)
                && run (&scan, n_jobs, cancellable, error);
  scan_clear (&scan);
  return ok;
}

static gboolean
collect_disk_file (int dfd, const char *relpath, const char *path, const struct stat *st,
                   gpointer user_data, GError **error)
{
  Scan *scan = user_data;
  if (!S_ISREG (st->st_mode) || !oima_path_filter_matches (scan->filter, path))
    return TRUE;
  OimaScanFile *f = add_file (scan, path);
  f->relpath = g_strdup (relpath);
  f->content_key = g_strdup_printf ("%ju:%ju", (uintmax_t)st->st_dev, (uintmax_t)st->st_ino);
  f->uid = st->st_uid;
  f->gid = st->st_gid;
  f->mode = st->st_mode;
  f->size = st->st_size;
  return TRUE;
}

gboolean
oima_tree_scan_dir (int dfd, const char *relpath, const OimaPathFilter *filter, guint n_jobs,
                    OimaScanFunc func, gpointer user_data, GCancellable *cancellable,
                    GError **error)
{
  Scan scan = { 0 };
  scan_init (&scan, filter, func, user_data);
  scan.dfd = dfd;
  gboolean ok = oima_disk_walk (dfd, relpath, "/", collect_disk_file, &scan, cancellable, error)
                && run (&scan, n_jobs, cancellable, error);
  scan_clear (&scan);
  return ok;
}
