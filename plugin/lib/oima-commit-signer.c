/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * How a commit is re-signed:
 *  1. Walk the source tree once (main thread) and collect the distinct
 *     content objects at selected paths.
 *  2. Worker threads load each object, hash its content, sign the digest
 *     (one signature per distinct digest), and write a new content object
 *     with security.ima added to its xattrs.
 *  3. Rebuild the dirtree objects bottom-up with the new checksums, write a
 *     commit that keeps every field of the source commit but its root, and
 *     move the target ref, all in one transaction.
 */

#include <string.h>

#include "oima-commit-signer.h"
#include "oima-digest-signer.h"
#include "oima-tree-walk.h"
#include "oima-util.h"
#include "oima-xattrs.h"

/* Files up to this size are read once into memory for hashing and writing;
 * larger ones are streamed twice. */
#define SMALL_FILE_MAX (4 * 1024 * 1024)

typedef struct {
  char *src_checksum;
  char *path;         /* first path it was seen at, for messages */
  char *new_checksum; /* NULL: object kept as it is */
} SignJob;

typedef struct {
  OstreeRepo *repo;
  const OimaCommitSignOptions *options;
  GCancellable *cancellable; /* cancelled by the caller or on first error */
  OimaSignCache *cache;      /* NULL: no cache */
  OimaDigestSigner *signer;

  GMutex lock; /* protects everything below */
  GCond done_cond;
  guint pending;
  GError *error;
  OimaCommitSignProgress progress;
} SignContext;

static void
sign_job_free (SignJob *job)
{
  g_free (job->src_checksum);
  g_free (job->path);
  g_free (job->new_checksum);
  g_free (job);
}

static gboolean
read_small_file (GInputStream *in, guint64 size, GBytes **out_bytes, GCancellable *cancellable,
                 GError **error)
{
  g_autofree guint8 *buf = g_malloc (size ? size : 1);
  gsize n = 0;
  if (!g_input_stream_read_all (in, buf, size, &n, cancellable, error))
    return FALSE;
  if (n != size)
    return oima_throw (error, "Short read: %" G_GSIZE_FORMAT " of %" G_GUINT64_FORMAT " bytes", n,
                       size);
  *out_bytes = g_bytes_new_take (g_steal_pointer (&buf), size);
  return TRUE;
}

/* Sign one content object.  Leaves job->new_checksum NULL when the object
 * is kept (not a regular file, or already signed). */
static gboolean
sign_object (SignContext *ctx, SignJob *job, GError **error)
{
  OstreeRepo *repo = ctx->repo;
  GCancellable *cancellable = ctx->cancellable;
  const OimaCommitSignOptions *opts = ctx->options;
  g_autoptr (GInputStream) in = NULL;
  g_autoptr (GFileInfo) info = NULL;
  g_autoptr (GVariant) xattrs = NULL;

  if (ctx->cache)
    {
      job->new_checksum = oima_sign_cache_lookup (ctx->cache, job->src_checksum);
      if (job->new_checksum)
        {
          g_mutex_lock (&ctx->lock);
          ctx->progress.files_signed++;
          ctx->progress.files_cached++;
          g_mutex_unlock (&ctx->lock);
          return TRUE;
        }
    }

  if (!ostree_repo_load_file (repo, job->src_checksum, &in, &info, &xattrs, cancellable, error))
    return FALSE;
  if (g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
    {
      g_mutex_lock (&ctx->lock);
      ctx->progress.files_skipped++;
      g_mutex_unlock (&ctx->lock);
      return TRUE;
    }

  g_autoptr (GBytes) old_ima = oima_xattrs_lookup (xattrs, OIMA_XATTR_IMA);
  if (old_ima != NULL && !opts->overwrite)
    {
      OimaXattrValue v;
      gsize len = 0;
      const guint8 *data = g_bytes_get_data (old_ima, &len);
      if (!oima_xattr_decode (data, len, &v, error))
        {
          oima_prefix_error (error, "Invalid security.ima (use --overwrite to replace it)");
          return FALSE;
        }
      g_mutex_lock (&ctx->lock);
      ctx->progress.files_skipped++;
      g_mutex_unlock (&ctx->lock);
      return TRUE;
    }

  guint64 size = g_file_info_get_size (info);
  g_autoptr (GBytes) content = NULL;
  guint8 digest[OIMA_MAX_DIGEST_SIZE];
  gsize digest_len = 0;
  if (size <= SMALL_FILE_MAX)
    {
      if (!read_small_file (in, size, &content, cancellable, error))
        return FALSE;
      gsize clen = 0;
      const guint8 *cdata = g_bytes_get_data (content, &clen);
      if (!oima_hash_buffer (opts->algo, cdata, clen, digest, &digest_len, error))
        return FALSE;
    }
  else
    {
      if (!oima_hash_stream (opts->algo, in, digest, &digest_len, cancellable, error))
        return FALSE;
      g_clear_object (&in);
      /* Second pass for the write. */
      if (!ostree_repo_load_file (repo, job->src_checksum, &in, NULL, NULL, cancellable, error))
        return FALSE;
    }

  g_autoptr (GBytes) ima = oima_digest_signer_sign (ctx->signer, digest, digest_len, error);
  if (ima == NULL)
    return FALSE;
  g_autoptr (GVariant) new_xattrs = oima_xattrs_set (xattrs, OIMA_XATTR_IMA, ima);
  /* A security.evm covers security.ima: the old one cannot be valid now. */
  g_autoptr (GBytes) old_evm = oima_xattrs_lookup (new_xattrs, OIMA_XATTR_EVM);
  if (old_evm != NULL)
    {
      GVariant *stripped = oima_xattrs_set (new_xattrs, OIMA_XATTR_EVM, NULL);
      g_variant_unref (new_xattrs);
      new_xattrs = stripped;
      g_mutex_lock (&ctx->lock);
      ctx->progress.evm_removed++;
      g_mutex_unlock (&ctx->lock);
    }

  if (content != NULL)
    {
      g_clear_object (&in);
      in = g_memory_input_stream_new_from_bytes (content);
    }
  g_autoptr (GInputStream) object_stream = NULL;
  guint64 object_len = 0;
  if (!ostree_raw_file_to_content_stream (in, info, new_xattrs, &object_stream, &object_len,
                                          cancellable, error))
    return FALSE;
  g_autofree guchar *csum = NULL;
  if (!ostree_repo_write_content (repo, NULL, object_stream, object_len, &csum, cancellable,
                                  error))
    return FALSE;
  job->new_checksum = ostree_checksum_from_bytes (csum);
  /* Only objects that had no security.ima: for them the result is the same
   * with and without --overwrite. */
  if (ctx->cache && old_ima == NULL)
    oima_sign_cache_insert (ctx->cache, job->src_checksum, job->new_checksum);

  g_mutex_lock (&ctx->lock);
  ctx->progress.files_signed++;
  ctx->progress.bytes_hashed += size;
  g_mutex_unlock (&ctx->lock);
  return TRUE;
}

static void
sign_worker (gpointer data, gpointer user_data)
{
  SignJob *job = data;
  SignContext *ctx = user_data;
  g_autoptr (GError) local_error = NULL;

  if (!g_cancellable_is_cancelled (ctx->cancellable) && !sign_object (ctx, job, &local_error))
    {
      g_prefix_error (&local_error, "%s (object %s): ", job->path, job->src_checksum);
      g_mutex_lock (&ctx->lock);
      if (ctx->error == NULL)
        ctx->error = g_steal_pointer (&local_error);
      g_mutex_unlock (&ctx->lock);
      g_cancellable_cancel (ctx->cancellable);
    }

  g_mutex_lock (&ctx->lock);
  ctx->progress.files_done++;
  ctx->pending--;
  g_cond_signal (&ctx->done_cond);
  g_mutex_unlock (&ctx->lock);
}

/* Tree walking */

typedef struct {
  OstreeRepo *repo;
  const OimaPathFilter *filter;
  GHashTable *jobs;     /* src checksum -> SignJob, for selected paths */
  GHashTable *dirtrees; /* checksum -> GVariant, loaded once */
  guint64 n_files;
  guint64 n_unselected;
} TreeWalk;

static gboolean
collect_job (const char *path, const char *checksum, gpointer user_data, GError **error)
{
  TreeWalk *walk = user_data;
  walk->n_files++;
  if (!oima_path_filter_matches (walk->filter, path))
    {
      walk->n_unselected++;
      return TRUE;
    }
  if (!g_hash_table_contains (walk->jobs, checksum))
    {
      SignJob *job = g_new0 (SignJob, 1);
      job->src_checksum = g_strdup (checksum);
      job->path = g_strdup (path);
      g_hash_table_insert (walk->jobs, job->src_checksum, job);
    }
  return TRUE;
}

/* Write the rewritten dirtree for @dirtree_csum at @path; returns its checksum. */
static char *
rewrite_tree (TreeWalk *walk, const char *dirtree_csum, const char *path,
              GCancellable *cancellable, GError **error)
{
  GVariant *tree = oima_dirtree_cache_load (walk->repo, walk->dirtrees, dirtree_csum, error);
  if (tree == NULL)
    return NULL;
  g_autoptr (GVariant) files = g_variant_get_child_value (tree, 0);
  g_autoptr (GVariant) dirs = g_variant_get_child_value (tree, 1);

  g_auto (GVariantBuilder) files_b = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a(say)"));
  gsize n = g_variant_n_children (files);
  for (gsize i = 0; i < n; i++)
    {
      const char *name;
      g_autoptr (GVariant) csum_v = NULL;
      g_variant_get_child (files, i, "(&s@ay)", &name, &csum_v);
      g_autofree char *fpath = oima_tree_child_path (path, name);
      g_autofree char *csum = ostree_checksum_from_bytes_v (csum_v);
      SignJob *job = oima_path_filter_matches (walk->filter, fpath)
                         ? g_hash_table_lookup (walk->jobs, csum)
                         : NULL;
      if (job && job->new_checksum)
        g_variant_builder_add (&files_b, "(s@ay)", name,
                               ostree_checksum_to_bytes_v (job->new_checksum));
      else
        g_variant_builder_add (&files_b, "(s@ay)", name, csum_v);
    }

  g_auto (GVariantBuilder) dirs_b = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a(sayay)"));
  n = g_variant_n_children (dirs);
  for (gsize i = 0; i < n; i++)
    {
      const char *name;
      g_autoptr (GVariant) tree_v = NULL;
      g_autoptr (GVariant) meta_v = NULL;
      g_variant_get_child (dirs, i, "(&s@ay@ay)", &name, &tree_v, &meta_v);
      g_autofree char *tree_csum = ostree_checksum_from_bytes_v (tree_v);
      g_autofree char *dpath = oima_tree_child_path (path, name);
      g_autofree char *new_tree = rewrite_tree (walk, tree_csum, dpath, cancellable, error);
      if (new_tree == NULL)
        return NULL;
      g_variant_builder_add (&dirs_b, "(s@ay@ay)", name, ostree_checksum_to_bytes_v (new_tree),
                             meta_v);
    }

  g_autoptr (GVariant) new_tree_v
      = g_variant_ref_sink (g_variant_new ("(@a(say)@a(sayay))", g_variant_builder_end (&files_b),
                                           g_variant_builder_end (&dirs_b)));
  g_autofree guchar *csum = NULL;
  if (!ostree_repo_write_metadata (walk->repo, OSTREE_OBJECT_TYPE_DIR_TREE, NULL, new_tree_v,
                                   &csum, cancellable, error))
    return NULL;
  return ostree_checksum_from_bytes (csum);
}

static gboolean
run_workers (SignContext *ctx, GHashTable *jobs, guint n_jobs, GError **error)
{
  const OimaCommitSignOptions *opts = ctx->options;
  GThreadPool *pool = g_thread_pool_new (sign_worker, ctx, n_jobs, TRUE, error);
  if (pool == NULL)
    return FALSE;

  guint total = g_hash_table_size (jobs);
  g_mutex_lock (&ctx->lock);
  ctx->pending = total;
  ctx->progress.files_total = total;
  g_mutex_unlock (&ctx->lock);
  GHashTableIter it;
  gpointer value;
  guint pushed = 0;
  gboolean push_failed = FALSE;
  g_hash_table_iter_init (&it, jobs);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      if (!g_thread_pool_push (pool, value, error))
        {
          /* Jobs never pushed never finish: stop waiting for them. */
          g_cancellable_cancel (ctx->cancellable);
          g_mutex_lock (&ctx->lock);
          ctx->pending -= total - pushed;
          g_mutex_unlock (&ctx->lock);
          push_failed = TRUE;
          break;
        }
      pushed++;
    }

  const gint64 interval = 250 * G_TIME_SPAN_MILLISECOND;
  gint64 next_report = g_get_monotonic_time () + interval;
  g_mutex_lock (&ctx->lock);
  while (ctx->pending > 0)
    {
      g_cond_wait_until (&ctx->done_cond, &ctx->lock, next_report);
      gint64 now = g_get_monotonic_time ();
      if (now < next_report)
        continue;
      /* Always move the deadline on: a deadline in the past would turn the
       * wait into a spin that starves the workers of the lock. */
      next_report = now + interval;
      if (opts->progress)
        {
          OimaCommitSignProgress snapshot = ctx->progress;
          g_mutex_unlock (&ctx->lock);
          opts->progress (&snapshot, opts->progress_data);
          g_mutex_lock (&ctx->lock);
        }
    }
  g_mutex_unlock (&ctx->lock);
  /* Wait for the threads themselves. */
  g_thread_pool_free (pool, FALSE, TRUE);
  return !push_failed;
}

static gboolean
is_commit_signature_key (const char *key)
{
  return g_str_equal (key, "ostree.gpgsigs") || g_str_has_prefix (key, "ostree.sign.");
}

/* Give @new_commit the source commit's detached metadata, except the
 * signatures over the source (they cannot be valid for the new commit).
 * Whatever @new_commit already has (its own signatures, from an earlier
 * run that produced the same commit) is kept.  Returns how many source
 * signatures were not copied. */
static gboolean
copy_detached_metadata (OstreeRepo *repo, const char *src_commit, const char *new_commit,
                        guint *out_dropped, GCancellable *cancellable, GError **error)
{
  *out_dropped = 0;
  if (g_str_equal (src_commit, new_commit))
    return TRUE; /* nothing changed: the source keeps its signatures */
  g_autoptr (GVariant) src = NULL;
  if (!ostree_repo_read_commit_detached_metadata (repo, src_commit, &src, cancellable, error))
    return FALSE;
  if (src == NULL)
    return TRUE;
  g_autoptr (GVariant) existing = NULL;
  if (!ostree_repo_read_commit_detached_metadata (repo, new_commit, &existing, cancellable, error))
    return FALSE;
  g_autoptr (GVariantDict) dict = g_variant_dict_new (existing);
  gboolean changed = FALSE;
  GVariantIter it;
  const char *key;
  GVariant *value;
  g_variant_iter_init (&it, src);
  while (g_variant_iter_loop (&it, "{&sv}", &key, &value))
    {
      if (is_commit_signature_key (key))
        (*out_dropped)++;
      else if (!g_variant_dict_contains (dict, key))
        {
          g_variant_dict_insert_value (dict, key, value);
          changed = TRUE;
        }
    }
  if (!changed)
    return TRUE;
  g_autoptr (GVariant) merged = g_variant_ref_sink (g_variant_dict_end (dict));
  return ostree_repo_write_commit_detached_metadata (repo, new_commit, merged, cancellable, error);
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

/* The source's metadata; if it binds the commit to refs
 * (ostree.ref-binding, which `ostree commit -b` writes), @target_ref is
 * added, or pulling the signed commit by that ref would fail. */
static GVariant *
signed_commit_metadata (GVariant *metadata, const char *target_ref)
{
  g_autofree const char **refs = NULL;
  if (target_ref == NULL
      || !g_variant_lookup (metadata, OSTREE_COMMIT_META_KEY_REF_BINDING, "^a&s", &refs)
      || g_strv_contains (refs, target_ref))
    return g_variant_ref (metadata);
  g_autoptr (GPtrArray) bound = g_ptr_array_new ();
  for (const char **r = refs; *r; r++)
    g_ptr_array_add (bound, (char *)*r);
  g_ptr_array_add (bound, (char *)target_ref);
  g_ptr_array_sort (bound, compare_strings);
  g_ptr_array_add (bound, NULL);
  g_autoptr (GVariantDict) dict = g_variant_dict_new (metadata);
  g_variant_dict_insert_value (dict, OSTREE_COMMIT_META_KEY_REF_BINDING,
                               g_variant_new_strv ((const char *const *)bound->pdata, -1));
  return g_variant_ref_sink (g_variant_dict_end (dict));
}

static gboolean
check_repo_mode (OstreeRepo *repo, GError **error)
{
  switch (ostree_repo_get_mode (repo))
    {
    case OSTREE_REPO_MODE_BARE:
    case OSTREE_REPO_MODE_BARE_USER:
    case OSTREE_REPO_MODE_ARCHIVE:
      return TRUE;
    default:
      return oima_throw (error, "Repository mode is not bare, bare-user or archive: it cannot "
                                "store security.ima (bare-user-only drops xattrs)");
    }
}

static gboolean
write_signed_commit (OstreeRepo *repo, const char *src_commit, GVariant *commit,
                     const char *target_ref, TreeWalk *walk, SignContext *ctx, guint n_jobs, char **out_commit,
                     GCancellable *cancellable, GError **error)
{
  g_autoptr (GVariant) root_tree_v = g_variant_get_child_value (commit, 6);
  g_autofree char *root_tree = ostree_checksum_from_bytes_v (root_tree_v);

  /* Both passes (collect, rewrite) read each dirtree once. */
  if (!oima_tree_walk_cached (repo, root_tree, walk->dirtrees, collect_job, walk, cancellable,
                              error))
    return FALSE;
  if (!run_workers (ctx, walk->jobs, n_jobs, error))
    return FALSE;
  if (ctx->error)
    {
      g_propagate_error (error, g_steal_pointer (&ctx->error));
      return FALSE;
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  ctx->progress.files_unselected = walk->n_unselected;

  g_autofree char *new_root = rewrite_tree (walk, root_tree, "/", cancellable, error);
  if (new_root == NULL)
    return FALSE;

  /* Every field of the source commit but the root contents checksum (and
   * the ref binding, see signed_commit_metadata). */
  g_auto (GVariantBuilder) b = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("(a{sv}aya(say)sstayay)"));
  for (gsize i = 0; i < 8; i++)
    {
      g_autoptr (GVariant) child = g_variant_get_child_value (commit, i);
      if (i == 0)
        {
          g_autoptr (GVariant) metadata = signed_commit_metadata (child, target_ref);
          g_variant_builder_add_value (&b, metadata);
        }
      else if (i == 6)
        g_variant_builder_add_value (&b, ostree_checksum_to_bytes_v (new_root));
      else
        g_variant_builder_add_value (&b, child);
    }
  g_autoptr (GVariant) new_commit = g_variant_ref_sink (g_variant_builder_end (&b));
  g_autofree guchar *csum = NULL;
  if (!ostree_repo_write_metadata (repo, OSTREE_OBJECT_TYPE_COMMIT, NULL, new_commit, &csum,
                                   cancellable, error))
    return FALSE;
  g_autofree char *new_commit_csum = ostree_checksum_from_bytes (csum);

  if (!copy_detached_metadata (repo, src_commit, new_commit_csum,
                               &ctx->progress.commit_signatures_dropped, cancellable, error))
    return FALSE;

  *out_commit = g_steal_pointer (&new_commit_csum);
  return TRUE;
}

static void
cancel_on_cancel (GCancellable *source, GCancellable *target)
{
  g_cancellable_cancel (target);
}

gboolean
oima_commit_sign (OstreeRepo *repo, const char *src_rev, const char *target_ref,
                  const OimaCommitSignOptions *options, char **out_commit,
                  OimaCommitSignProgress *out_stats, GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (options != NULL && options->key != NULL, FALSE);

  if (!check_repo_mode (repo, error))
    return FALSE;

  g_autofree char *remote = NULL;
  g_autofree char *ref = NULL;
  if (target_ref && !ostree_parse_refspec (target_ref, &remote, &ref, error))
    return FALSE;

  g_autofree char *src_commit = NULL;
  g_autoptr (GVariant) commit = NULL;
  if (!oima_resolve_commit (repo, src_rev, &src_commit, &commit, NULL, error))
    return FALSE;

  guint n_jobs = options->n_jobs ? options->n_jobs : g_get_num_processors ();
  g_autoptr (GCancellable) internal_cancel = g_cancellable_new ();
  gulong cancel_id = 0;
  if (cancellable)
    cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (cancel_on_cancel),
                                       g_object_ref (internal_cancel), g_object_unref);

  SignContext ctx = { 0 };
  ctx.repo = repo;
  ctx.options = options;
  ctx.cancellable = internal_cancel;
  if (!options->no_cache)
    ctx.cache = oima_sign_cache_load (repo, options->key, options->algo);
  g_mutex_init (&ctx.lock);
  g_cond_init (&ctx.done_cond);
  ctx.signer = oima_digest_signer_new (options->key, options->algo);
  TreeWalk walk = { 0 };
  walk.repo = repo;
  walk.filter = options->filter;
  walk.jobs = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify)sign_job_free);
  walk.dirtrees = oima_dirtree_cache_new ();

  gboolean ok = FALSE;
  g_autofree char *new_commit = NULL;
  if (!ostree_repo_prepare_transaction (repo, NULL, cancellable, error))
    g_prefix_error (error, "Starting a transaction in %s: ",
                    g_file_peek_path (ostree_repo_get_path (repo)));
  else
    {
      ok = write_signed_commit (repo, src_commit, commit, ref, &walk, &ctx, n_jobs, &new_commit,
                                cancellable, error);
      if (ok && ref)
        ostree_repo_transaction_set_ref (repo, remote, ref, new_commit);
      /* The point of no return: once the commit starts, Ctrl-C must not
       * make it fail after the ref moved. */
      if (ok)
        ok = !g_cancellable_set_error_if_cancelled (cancellable, error)
             && ostree_repo_commit_transaction (repo, NULL, NULL, error);
      if (!ok)
        (void)ostree_repo_abort_transaction (repo, NULL, NULL);
    }

  ctx.progress.signatures_made = oima_digest_signer_get_n_signed (ctx.signer);
  if (out_stats)
    *out_stats = ctx.progress;
  if (ok && ctx.cache)
    {
      g_autoptr (GError) cache_error = NULL;
      if (!oima_sign_cache_save (ctx.cache, cancellable, &cache_error))
        g_debug ("Not saving the signing cache: %s", cache_error->message);
    }
  g_clear_pointer (&ctx.cache, oima_sign_cache_free);
  if (ok && out_commit)
    *out_commit = g_steal_pointer (&new_commit);

  if (cancel_id)
    g_cancellable_disconnect (cancellable, cancel_id);
  g_clear_error (&ctx.error);
  oima_digest_signer_free (ctx.signer);
  g_hash_table_unref (walk.jobs);
  g_hash_table_unref (walk.dirtrees);
  g_mutex_clear (&ctx.lock);
  g_cond_clear (&ctx.done_cond);
  return ok;
}
