/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "oima-deployment-check.h"
#include "oima-repo-fsck.h"
#include "oima-tree-scan.h"
#include "oima-util.h"
#include "oima-xattr-codec.h"
#include "oima-xattrs.h"

/* What the commit has at a path. */
typedef struct
{
  char *checksum;
  guint32 uid, gid, mode;
  GBytes *ima;
  GBytes *evm;          /* portable only: inode-bound values never travel in a commit */
  gboolean seen;        /* matched by the same path on disk */
  gboolean config_seen; /* a /usr/etc file matched by its /etc copy */
} Expected;

typedef struct
{
  char *path;
  OimaDeploymentDifferenceKind kind;
  gboolean config;
  gboolean executable;
  char *detail;
} Difference;

typedef struct
{
  OstreeRepo *repo;
  gboolean bare; /* deployed files may be hardlinks of objects */
  GMutex lock;
  GHashTable *expected; /* path -> Expected */
  GPtrArray *differences;
  guint64 n_files, n_hashed;
} Check;

static void
expected_free (Expected *e)
{
  g_free (e->checksum);
  g_clear_pointer (&e->ima, g_bytes_unref);
  g_clear_pointer (&e->evm, g_bytes_unref);
  g_free (e);
}

static void
difference_free (Difference *d)
{
  g_free (d->path);
  g_free (d->detail);
  g_free (d);
}

const char *
oima_deployment_difference_name (OimaDeploymentDifferenceKind kind)
{
  static const char *const names[OIMA_DEPLOYMENT_N_KINDS] = {
    [OIMA_DEPLOYMENT_CONTENT] = "content",
    [OIMA_DEPLOYMENT_METADATA] = "metadata",
    [OIMA_DEPLOYMENT_ADDED] = "added",
    [OIMA_DEPLOYMENT_MISSING] = "missing",
  };
  return (guint)kind < OIMA_DEPLOYMENT_N_KINDS ? names[kind] : "unknown";
}

/* security.evm as far as a commit can carry it. */
static GBytes *
portable_evm (GVariant *xattrs)
{
  g_autoptr (GBytes) evm = oima_xattrs_lookup (xattrs, OIMA_XATTR_EVM);
  if (evm == NULL || oima_evm_is_inode_bound (evm))
    return NULL;
  return g_steal_pointer (&evm);
}

static gboolean
collect_expected (OimaScanFile *f, gpointer user_data, GCancellable *cancellable, GError **error)
{
  Check *check = user_data;
  Expected *e = g_new0 (Expected, 1);
  e->checksum = g_strdup (oima_scan_file_get_checksum (f));
  e->uid = oima_scan_file_get_uid (f);
  e->gid = oima_scan_file_get_gid (f);
  e->mode = oima_scan_file_get_mode (f);
  e->ima = oima_xattrs_lookup (oima_scan_file_get_xattrs (f), OIMA_XATTR_IMA);
  e->evm = portable_evm (oima_scan_file_get_xattrs (f));
  g_mutex_lock (&check->lock);
  g_hash_table_replace (check->expected, g_strdup (oima_scan_file_get_path (f)), e);
  g_mutex_unlock (&check->lock);
  return TRUE;
}

static void
add_difference (Check *check, const char *path, OimaDeploymentDifferenceKind kind, gboolean config,
                guint32 mode, char *detail)
{
  Difference *d = g_new0 (Difference, 1);
  d->path = g_strdup (path);
  d->kind = kind;
  d->config = config;
  d->executable = (mode & 0111) != 0;
  d->detail = detail;
  g_mutex_lock (&check->lock);
  g_ptr_array_add (check->differences, d);
  g_mutex_unlock (&check->lock);
}

static gboolean
same_bytes (GBytes *a, GBytes *b)
{
  return (a == NULL && b == NULL) || (a != NULL && b != NULL && g_bytes_equal (a, b));
}

/* What differs in owner, mode and integrity xattrs, or NULL. */
static char *
metadata_difference (OimaScanFile *f, const Expected *e)
{
  GString *s = g_string_new (NULL);
  if (oima_scan_file_get_uid (f) != e->uid || oima_scan_file_get_gid (f) != e->gid)
    g_string_append_printf (s, "%sowner %u:%u -> %u:%u", s->len ? ", " : "", e->uid, e->gid,
                            oima_scan_file_get_uid (f), oima_scan_file_get_gid (f));
  if ((oima_scan_file_get_mode (f) & 07777) != (e->mode & 07777))
    g_string_append_printf (s, "%smode %04o -> %04o", s->len ? ", " : "", e->mode & 07777,
                            oima_scan_file_get_mode (f) & 07777);
  GVariant *xattrs = oima_scan_file_get_xattrs (f);
  g_autoptr (GBytes) ima = oima_xattrs_lookup (xattrs, OIMA_XATTR_IMA);
  if (!same_bytes (ima, e->ima))
    g_string_append_printf (s, "%ssecurity.ima %s", s->len ? ", " : "",
                            ima == NULL      ? "removed"
                            : e->ima == NULL ? "added"
                                             : "differs");
  g_autoptr (GBytes) evm = portable_evm (xattrs);
  if (!same_bytes (evm, e->evm))
    g_string_append_printf (s, "%sportable security.evm %s", s->len ? ", " : "",
                            evm == NULL      ? "removed"
                            : e->evm == NULL ? "added"
                                             : "differs");
  return s->len ? g_string_free (s, FALSE) : (g_string_free (s, TRUE), NULL);
}

/* Still the object itself (a hardlink into a bare repository)? */
static gboolean
is_object_hardlink (Check *check, OimaScanFile *f, const Expected *e)
{
  if (!check->bare)
    return FALSE;
  g_autofree char *obj = g_strdup_printf ("objects/%.2s/%s.file", e->checksum, e->checksum + 2);
  struct stat obj_st, st;
  return fstatat (ostree_repo_get_dfd (check->repo), obj, &obj_st, AT_SYMLINK_NOFOLLOW) == 0
         && fstatat (oima_scan_file_get_dfd (f), oima_scan_file_get_relpath (f), &st,
                     AT_SYMLINK_NOFOLLOW)
                == 0
         && st.st_dev == obj_st.st_dev && st.st_ino == obj_st.st_ino;
}

static gboolean
same_content (Check *check, OimaScanFile *f, const Expected *e, gboolean *out_same,
              GCancellable *cancellable, GError **error)
{
  if (is_object_hardlink (check, f, e))
    {
      *out_same = TRUE;
      return TRUE;
    }
  g_mutex_lock (&check->lock);
  check->n_hashed++;
  g_mutex_unlock (&check->lock);
  guint8 disk[OIMA_MAX_DIGEST_SIZE], object[OIMA_MAX_DIGEST_SIZE];
  gsize disk_len = 0, object_len = 0;
  g_autoptr (GInputStream) in = NULL;
  if (!oima_scan_file_digest (f, OIMA_HASH_SHA256, disk, &disk_len, cancellable, error)
      || !ostree_repo_load_file (check->repo, e->checksum, &in, NULL, NULL, cancellable, error)
      || !oima_hash_stream (OIMA_HASH_SHA256, in, object, &object_len, cancellable, error))
    return FALSE;
  *out_same = disk_len == object_len && memcmp (disk, object, disk_len) == 0;
  return TRUE;
}

static gboolean
compare_file (OimaScanFile *f, gpointer user_data, GCancellable *cancellable, GError **error)
{
  Check *check = user_data;
  const char *path = oima_scan_file_get_path (f);
  gboolean config = g_str_has_prefix (path, "/etc/");
  g_autofree char *commit_path = config ? g_strconcat ("/usr", path, NULL) : g_strdup (path);
  guint32 mode = oima_scan_file_get_mode (f);
  g_mutex_lock (&check->lock);
  check->n_files++;
  Expected *e = g_hash_table_lookup (check->expected, commit_path);
  if (e && config)
    e->config_seen = TRUE;
  else if (e)
    e->seen = TRUE;
  g_mutex_unlock (&check->lock);
  if (e == NULL)
    {
      add_difference (
          check, path, OIMA_DEPLOYMENT_ADDED, config, mode,
          g_strdup_printf ("not in the commit%s", (mode & 0111) ? " (executable)" : ""));
      return TRUE;
    }
  gboolean same = FALSE;
  if (!same_content (check, f, e, &same, cancellable, error))
    return FALSE;
  if (!same)
    add_difference (check, path, OIMA_DEPLOYMENT_CONTENT, config, mode,
                    g_strdup_printf ("content is not the commit's %s", commit_path));
  char *meta = metadata_difference (f, e);
  if (meta)
    add_difference (check, path, OIMA_DEPLOYMENT_METADATA, config, mode, meta);
  return TRUE;
}

static void
add_missing (Check *check)
{
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, check->expected);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      const char *path = k;
      Expected *e = v;
      if (!e->seen)
        add_difference (check, path, OIMA_DEPLOYMENT_MISSING, FALSE, e->mode,
                        g_strdup ("in the commit, not on disk"));
      if (g_str_has_prefix (path, "/usr/etc/") && !e->config_seen)
        add_difference (check, path + strlen ("/usr"), OIMA_DEPLOYMENT_MISSING, TRUE, e->mode,
                        g_strdup_printf ("the commit's %s is not in the merged /etc", path));
    }
}

static gint
difference_cmp (gconstpointer a, gconstpointer b)
{
  const Difference *da = *(Difference *const *)a, *db = *(Difference *const *)b;
  int r = strcmp (da->path, db->path);
  return r ? r : (int)da->kind - (int)db->kind;
}

static void
report (Check *check, const OimaDeploymentCheckOptions *options, OimaDeploymentCheckStats *stats)
{
  g_ptr_array_sort (check->differences, difference_cmp);
  stats->n_files = check->n_files;
  stats->n_hashed = check->n_hashed;
  for (guint i = 0; i < check->differences->len; i++)
    {
      Difference *d = check->differences->pdata[i];
      if (d->config)
        stats->n_config_differences++;
      else
        stats->n_differences[d->kind]++;
      if (options->func)
        {
          OimaDeploymentDifference diff = { d->path, d->kind, d->config, d->executable, d->detail };
          options->func (&diff, options->user_data);
        }
    }
}

gboolean
oima_deployment_check (OstreeRepo *repo, const char *commit, int deployment_dfd,
                       const OimaDeploymentCheckOptions *options,
                       OimaDeploymentCheckStats *out_stats, GCancellable *cancellable,
                       GError **error)
{
  Check check = { 0 };
  check.repo = repo;
  OstreeRepoMode mode = ostree_repo_get_mode (repo);
  check.bare = mode == OSTREE_REPO_MODE_BARE || mode == OSTREE_REPO_MODE_BARE_USER
               || mode == OSTREE_REPO_MODE_BARE_USER_ONLY;
  g_mutex_init (&check.lock);
  check.expected
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)expected_free);
  check.differences = g_ptr_array_new_with_free_func ((GDestroyNotify)difference_free);
  gboolean ok = oima_tree_scan_commit (repo, commit, NULL, options->n_jobs, collect_expected,
                                       &check, cancellable, error)
                && oima_tree_scan_dir (deployment_dfd, ".", NULL, options->n_jobs, compare_file,
                                       &check, cancellable, error);
  if (ok)
    {
      add_missing (&check);
      OimaDeploymentCheckStats stats = { 0 };
      report (&check, options, &stats);
      if (out_stats)
        *out_stats = stats;
    }
  g_hash_table_unref (check.expected);
  g_ptr_array_unref (check.differences);
  g_mutex_clear (&check.lock);
  return ok;
}
