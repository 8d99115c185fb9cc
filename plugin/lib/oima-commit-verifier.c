/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "oima-commit-verifier.h"
#include "oima-tree-walk.h"
#include "oima-xattr-codec.h"
#include "oima-xattrs.h"

typedef struct {
  OimaVerifyStatus status;
  char *detail;
} CachedVerdict;

static void
cached_verdict_free (CachedVerdict *v)
{
  if (v == NULL)
    return;
  g_free (v->detail);
  g_free (v);
}

typedef struct {
  OstreeRepo *repo;
  OimaTrust *trust;
  const OimaPathFilter *filter;
  OimaFileVerdictFunc func;
  gpointer user_data;
  GHashTable *verdicts; /* content checksum -> CachedVerdict (NULL: not regular) */
  OimaCommitVerifyStats stats;
  GCancellable *cancellable;
} VerifyWalk;

static gboolean
verify_object (VerifyWalk *w, const char *checksum, CachedVerdict **out, GError **error)
{
  g_autoptr (GInputStream) in = NULL;
  g_autoptr (GFileInfo) info = NULL;
  g_autoptr (GVariant) xattrs = NULL;
  if (!ostree_repo_load_file (w->repo, checksum, &in, &info, &xattrs, w->cancellable, error))
    return FALSE;
  if (g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
    {
      *out = NULL;
      return TRUE;
    }
  g_autoptr (GBytes) ima = oima_xattrs_lookup (xattrs, OIMA_XATTR_IMA);
  CachedVerdict *v = g_new0 (CachedVerdict, 1);
  if (!oima_trust_verify_ima (w->trust, ima, in, &v->status, &v->detail, w->cancellable, error))
    {
      cached_verdict_free (v);
      return FALSE;
    }
  *out = v;
  return TRUE;
}

static gboolean
verify_file (const char *path, const char *checksum, gpointer user_data, GError **error)
{
  VerifyWalk *w = user_data;
  if (!oima_path_filter_matches (w->filter, path))
    return TRUE;
  CachedVerdict *v = NULL;
  if (!g_hash_table_lookup_extended (w->verdicts, checksum, NULL, (gpointer *)&v))
    {
      if (!verify_object (w, checksum, &v, error))
        {
          g_prefix_error (error, "%s: ", path);
          return FALSE;
        }
      g_hash_table_insert (w->verdicts, g_strdup (checksum), v);
    }
  if (v == NULL)
    return TRUE; /* symlink */
  w->stats.n_files++;
  w->stats.n_status[v->status]++;
  if (w->func)
    {
      OimaFileVerdict verdict = { path, checksum, v->status, v->detail };
      w->func (&verdict, w->user_data);
    }
  return TRUE;
}

gboolean
oima_commit_verify (OstreeRepo *repo, const char *rev, OimaTrust *trust,
                    const OimaPathFilter *filter, OimaFileVerdictFunc func, gpointer user_data,
                    OimaCommitVerifyStats *out_stats, GCancellable *cancellable, GError **error)
{
  g_autofree char *root_tree = NULL;
  if (!oima_resolve_commit (repo, rev, NULL, NULL, &root_tree, error))
    return FALSE;
  VerifyWalk w = { repo, trust, filter, func, user_data, NULL, { 0 }, cancellable };
  w.verdicts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                      (GDestroyNotify)cached_verdict_free);
  gboolean ok = oima_tree_walk (repo, root_tree, verify_file, &w, cancellable, error);
  g_hash_table_unref (w.verdicts);
  if (ok && out_stats)
    *out_stats = w.stats;
  return ok;
}
