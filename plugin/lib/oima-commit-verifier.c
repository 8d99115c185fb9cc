/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "oima-commit-verifier.h"
#include "oima-tree-walk.h"
#include "oima-util.h"
#include "oima-workers.h"
#include "oima-xattr-codec.h"
#include "oima-xattrs.h"

/* One distinct content object; filled by a worker. */
typedef struct
{
  char *checksum;
  gboolean regular;
  OimaVerifyStatus status;
  char *detail;
  OimaHashAlgo algo;
  guint8 digest[OIMA_MAX_DIGEST_SIZE];
  gsize digest_len;
} ObjectVerdict;

typedef struct
{
  char *path;
  ObjectVerdict *object; /* owned by the objects table */
} PathEntry;

typedef struct
{
  OstreeRepo *repo;
  const OimaCommitVerifyOptions *options;
  GHashTable *objects; /* checksum -> ObjectVerdict */
  GArray *paths;       /* PathEntry, in tree order */
} Verify;

static void
object_verdict_free (ObjectVerdict *v)
{
  g_free (v->checksum);
  g_free (v->detail);
  g_free (v);
}

static void
path_entry_clear (gpointer p)
{
  g_free (((PathEntry *)p)->path);
}

/* The algorithm to digest the content with: the signature's, if usable. */
static OimaHashAlgo
digest_algo_for (GBytes *ima, OimaHashAlgo fallback)
{
  OimaHashAlgo algo = oima_xattr_value_algo (ima, fallback);
  if (oima_hash_algo_is_available (algo))
    return algo;
  return fallback;
}

static gboolean
verify_object (gpointer task, gpointer user_data, GCancellable *cancellable, GError **error)
{
  ObjectVerdict *v = task;
  Verify *w = user_data;
  g_autoptr (GInputStream) in = NULL;
  g_autoptr (GFileInfo) info = NULL;
  g_autoptr (GVariant) xattrs = NULL;
  if (!ostree_repo_load_file (w->repo, v->checksum, &in, &info, &xattrs, cancellable, error))
    {
      g_prefix_error (error, "Object %s: ", v->checksum);
      return FALSE;
    }
  v->regular = g_file_info_get_file_type (info) == G_FILE_TYPE_REGULAR;
  if (!v->regular)
    return TRUE;
  g_autoptr (GBytes) ima = oima_xattrs_lookup (xattrs, OIMA_XATTR_IMA);
  OimaHashAlgo fallback = w->options->digest_algo ? w->options->digest_algo : OIMA_HASH_SHA256;
  v->algo = digest_algo_for (ima, fallback);
  if (!oima_hash_stream (v->algo, in, v->digest, &v->digest_len, cancellable, error))
    {
      g_prefix_error (error, "Object %s: ", v->checksum);
      return FALSE;
    }
  OimaXattrValue decoded;
  if (oima_xattr_decode_bytes (ima, &decoded, NULL) && decoded.algo != v->algo)
    {
      /* The value's algorithm cannot be computed here. */
      v->status = OIMA_VERIFY_BAD_SIGNATURE;
      v->detail = g_strdup_printf ("hash algorithm %s is not available to verify",
                                   oima_hash_algo_name (decoded.algo));
      return TRUE;
    }
  if (!oima_trust_verify_ima_digest (w->options->trust, ima, v->algo, v->digest, v->digest_len,
                                     &v->status, &v->detail, error))
    return FALSE;
  if (v->status == OIMA_VERIFY_VALID && oima_hash_algo_is_weak (v->algo)
      && !w->options->allow_weak_hash)
    {
      v->status = OIMA_VERIFY_WEAK_HASH;
      v->detail = g_strdup_printf ("a %s signature: collisions are practical, so it proves "
                                   "little",
                                   oima_hash_algo_name (v->algo));
    }
  /* A list that checkout would fail on outweighs any signature in it. */
  g_autofree char *problem = oima_xattrs_describe_problem (xattrs);
  if (problem)
    {
      v->status = OIMA_VERIFY_BAD_ENCODING;
      g_free (v->detail);
      v->detail = g_steal_pointer (&problem);
    }
  return TRUE;
}

static gboolean
collect_path (const char *path, const char *checksum, gpointer user_data, GError **error)
{
  Verify *w = user_data;
  if (!oima_path_filter_matches (w->options->filter, path))
    return TRUE;
  ObjectVerdict *v = g_hash_table_lookup (w->objects, checksum);
  if (v == NULL)
    {
      v = g_new0 (ObjectVerdict, 1);
      v->checksum = g_strdup (checksum);
      g_hash_table_insert (w->objects, v->checksum, v);
    }
  PathEntry e = { g_strdup (path), v };
  g_array_append_val (w->paths, e);
  return TRUE;
}

static gboolean
verify_objects (Verify *w, GCancellable *cancellable, GError **error)
{
  g_autoptr (OimaWorkers) workers = oima_workers_new (w->options->n_jobs, OIMA_WORKERS_FAIL_FAST,
                                                      verify_object, w, cancellable, error);
  if (workers == NULL)
    return FALSE;
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, w->objects);
  while (g_hash_table_iter_next (&it, NULL, &v))
    oima_workers_push (workers, v);
  return oima_workers_wait_all (workers, NULL, NULL, error);
}

static void
report (Verify *w, OimaCommitVerifyStats *stats)
{
  for (guint i = 0; i < w->paths->len; i++)
    {
      PathEntry *e = &g_array_index (w->paths, PathEntry, i);
      ObjectVerdict *v = e->object;
      if (!v->regular)
        continue; /* symlink */
      oima_verdict_counts_add (stats, v->status);
      if (w->options->func)
        {
          OimaFileVerdict verdict
              = { e->path, v->checksum, v->status, v->detail, v->algo, v->digest, v->digest_len };
          w->options->func (&verdict, w->options->user_data);
        }
    }
}

gboolean
oima_commit_verify (OstreeRepo *repo, const char *rev, const OimaCommitVerifyOptions *options,
                    OimaCommitVerifyStats *out_stats, GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (options != NULL && options->trust != NULL, FALSE);
  g_autofree char *root_tree = NULL;
  if (!oima_resolve_commit (repo, rev, NULL, NULL, &root_tree, error))
    return FALSE;
  Verify w = { repo, options, NULL, NULL };
  w.objects
      = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify)object_verdict_free);
  w.paths = g_array_new (FALSE, FALSE, sizeof (PathEntry));
  g_array_set_clear_func (w.paths, path_entry_clear);
  OimaCommitVerifyStats stats = { 0 };
  gboolean ok = oima_tree_walk (repo, root_tree, collect_path, &w, cancellable, error)
                && verify_objects (&w, cancellable, error);
  if (ok)
    report (&w, &stats);
  if (ok && stats.n_files == 0)
    ok = oima_throw_code (error, OIMA_ERROR_EMPTY_SELECTION,
                          "No regular file of %s is selected: nothing was checked", rev);
  g_hash_table_unref (w.objects);
  g_array_unref (w.paths);
  if (ok && out_stats)
    *out_stats = stats;
  return ok;
}
