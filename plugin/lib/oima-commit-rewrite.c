/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * How a commit is rewritten:
 *  1. Walk the source tree once (calling thread) and collect the distinct
 *     content objects at selected paths.
 *  2. Workers load each object and run the transform; changed objects are
 *     written with their new xattrs.
 *  3. Rebuild the dirtrees bottom-up with the new checksums; commit that
 *     transaction.  Then write the commit object and move the ref in a
 *     second one.
 */

#include <string.h>
#include <unistd.h>

#include "oima-commit-rewrite.h"
#include "oima-tree-walk.h"
#include "oima-util.h"
#include "oima-workers.h"
#include "oima-xattrs.h"

/* Objects up to this size are read once into memory for hashing and
 * writing; larger ones are streamed twice. */
#define SMALL_FILE_MAX (4 * 1024 * 1024)

/* What the rewrite remembers of each distinct selected object for the
 * whole run: one allocation, so memory grows by little more than a path a
 * file.  The checksum comes first: the job is its own hash table key. */
typedef struct
{
  char checksum[OSTREE_SHA256_STRING_LEN + 1];
  gboolean changed;                          /* new_csum is set */
  guint8 new_csum[OSTREE_SHA256_DIGEST_LEN]; /* the object written for it */
  char path[];                               /* first path it was seen at */
} RewriteJob;

/* One object while a worker transforms it. */
struct _OimaRewriteObject
{
  OstreeRepo *repo;
  RewriteJob *job;
  char *new_checksum; /* the result; NULL: object kept as it is */
  GFileInfo *info;
  GVariant *xattrs;
  GInputStream *in; /* unread content, or NULL once consumed */
  GBytes *content;  /* small contents, once read */
  guint64 bytes_hashed;
};

typedef struct
{
  OstreeRepo *repo;
  const OimaCommitRewriteOptions *options;
  GHashTable *jobs; /* set of RewriteJob (by checksum), for selected paths */
  GMutex lock;      /* protects stats and bytes_written during the parallel phase */
  OimaCommitRewriteStats stats;
  guint64 bytes_written; /* content of the objects written */
  guint64 bytes_synced;  /* bytes_written at the last early syncfs */
} Rewrite;

const char *
oima_rewrite_object_get_path (OimaRewriteObject *object)
{
  return object->job->path;
}

OstreeRepo *
oima_rewrite_object_get_repo (OimaRewriteObject *object)
{
  return object->repo;
}

const char *
oima_rewrite_object_get_checksum (OimaRewriteObject *object)
{
  return object->job->checksum;
}

GFileInfo *
oima_rewrite_object_get_info (OimaRewriteObject *object)
{
  return object->info;
}

GVariant *
oima_rewrite_object_get_xattrs (OimaRewriteObject *object)
{
  return object->xattrs;
}

static void
rewrite_object_clear (OimaRewriteObject *object)
{
  g_clear_pointer (&object->new_checksum, g_free);
  g_clear_object (&object->info);
  g_clear_pointer (&object->xattrs, g_variant_unref);
  g_clear_object (&object->in);
  g_clear_pointer (&object->content, g_bytes_unref);
}

static gboolean
read_small_file (GInputStream *in, guint64 size, GBytes **out_bytes, GCancellable *cancellable,
                 GError **error)
{
  g_autofree guint8 *buf = g_malloc (size ? size : 1);
  gsize n = 0;
  if (!oima_input_stream_read_all (in, buf, size, &n, cancellable, error))
    return FALSE;
  if (n != size)
    return oima_throw (error, "Short read: %" G_GSIZE_FORMAT " of %" G_GUINT64_FORMAT " bytes", n,
                       size);
  *out_bytes = g_bytes_new_take (g_steal_pointer (&buf), size);
  return TRUE;
}

/* A small content still unread is read into memory, once, for the hash
 * and the write to share. */
static gboolean
keep_small_content (OimaRewriteObject *object, GCancellable *cancellable, GError **error)
{
  guint64 size = g_file_info_get_size (object->info);
  if (object->content != NULL || object->in == NULL || size > SMALL_FILE_MAX)
    return TRUE;
  if (!read_small_file (object->in, size, &object->content, cancellable, error))
    return FALSE;
  g_clear_object (&object->in);
  return TRUE;
}

gboolean
oima_rewrite_object_hash (OimaRewriteObject *object, OimaHashAlgo algo, guint8 *out_digest,
                          gsize *out_len, GCancellable *cancellable, GError **error)
{
  if (!keep_small_content (object, cancellable, error))
    return FALSE;
  object->bytes_hashed += g_file_info_get_size (object->info);
  if (object->content != NULL)
    {
      gsize len = 0;
      const guint8 *data = g_bytes_get_data (object->content, &len);
      return oima_hash_buffer (algo, data, len, out_digest, out_len, error);
    }
  /* A large object, or hashed before: stream it (again). */
  g_autoptr (GInputStream) in = g_steal_pointer (&object->in);
  if (in == NULL
      && !ostree_repo_load_file (object->repo, object->job->checksum, &in, NULL, NULL, cancellable,
                                 error))
    return FALSE;
  return oima_hash_stream (algo, in, out_digest, out_len, cancellable, error);
}

/* The content for the write: what was kept in memory, the unread stream,
 * or the object loaded again. */
static GInputStream *
take_content (OimaRewriteObject *obj, GCancellable *cancellable, GError **error)
{
  if (obj->content)
    return g_memory_input_stream_new_from_bytes (obj->content);
  if (obj->in)
    return g_steal_pointer (&obj->in);
  g_autoptr (GInputStream) in = NULL;
  if (!ostree_repo_load_file (obj->repo, obj->job->checksum, &in, NULL, NULL, cancellable, error))
    return NULL;
  return g_steal_pointer (&in);
}

/* An object's checksum is sha256 over ostree's content stream: the file
 * header (mode, owner, xattrs) that ostree_raw_file_to_content_stream()
 * writes, then the content.  This computes it with OpenSSL and hands it to
 * ostree_repo_write_content(), which then writes without checksumming (and
 * skips objects it already has).  The libostree that distributions ship
 * checksums with GLib's sha256, several times slower: letting it checksum
 * was a sixth of all the CPU time of `ostree ima sign` on a Debian tree.
 * (tests/cli/repo-modes.sh fscks small, empty and 100 MiB objects written
 * this way in bare, bare-user and archive repositories.) */

/* A content in memory: checksummed and written from the same buffers. */
static gboolean
write_object_from_memory (OimaRewriteObject *obj, GVariant *new_xattrs, GCancellable *cancellable,
                          GError **error)
{
  g_autoptr (GInputStream) header_in = NULL;
  guint64 object_len = 0;
  if (!ostree_raw_file_to_content_stream (NULL, obj->info, new_xattrs, &header_in, &object_len,
                                          cancellable, error))
    return FALSE;
  gsize content_len = g_bytes_get_size (obj->content);
  if (object_len < content_len)
    return oima_throw (error, "Content of %" G_GSIZE_FORMAT " bytes, object of %" G_GUINT64_FORMAT,
                       content_len, object_len);
  gsize header_len = object_len - content_len;
  g_autofree guint8 *header_buf = g_malloc (header_len);
  gsize n = 0;
  if (!g_input_stream_read_all (header_in, header_buf, header_len, &n, cancellable, error))
    return FALSE;
  if (n != header_len)
    return oima_throw (error, "Short object header: %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT, n,
                       header_len);
  g_autoptr (GBytes) header = g_bytes_new_take (g_steal_pointer (&header_buf), header_len);

  GBytes *parts[] = { header, obj->content };
  guint8 digest[OIMA_MAX_DIGEST_SIZE];
  gsize digest_len = 0;
  if (!oima_hash_bytes_v (OIMA_HASH_SHA256, parts, G_N_ELEMENTS (parts), digest, &digest_len,
                          error))
    return FALSE;
  g_autofree char *checksum = ostree_checksum_from_bytes (digest);

  g_autoptr (GInputStream) object_stream = g_memory_input_stream_new ();
  for (gsize i = 0; i < G_N_ELEMENTS (parts); i++)
    g_memory_input_stream_add_bytes (G_MEMORY_INPUT_STREAM (object_stream), parts[i]);
  if (!ostree_repo_write_content (obj->repo, checksum, object_stream, object_len, NULL, cancellable,
                                  error))
    return FALSE;
  obj->new_checksum = g_steal_pointer (&checksum);
  return TRUE;
}

/* @obj's content (streamed) as an object with @new_xattrs. */
static GInputStream *
object_stream_new (OimaRewriteObject *obj, GVariant *new_xattrs, guint64 *out_len,
                   GCancellable *cancellable, GError **error)
{
  g_autoptr (GInputStream) in = take_content (obj, cancellable, error);
  if (in == NULL)
    return NULL;
  g_autoptr (GInputStream) object_stream = NULL;
  if (!ostree_raw_file_to_content_stream (in, obj->info, new_xattrs, &object_stream, out_len,
                                          cancellable, error))
    return NULL;
  return g_steal_pointer (&object_stream);
}

static gboolean
write_new_object (OimaRewriteObject *obj, GVariant *new_xattrs, GCancellable *cancellable,
                  GError **error)
{
  if (!keep_small_content (obj, cancellable, error))
    return FALSE;
  if (obj->content != NULL)
    return write_object_from_memory (obj, new_xattrs, cancellable, error);

  /* A large content: read once more to checksum it, then to write it. */
  guint64 object_len = 0;
  g_autoptr (GInputStream) to_hash
      = object_stream_new (obj, new_xattrs, &object_len, cancellable, error);
  guint8 digest[OIMA_MAX_DIGEST_SIZE];
  gsize digest_len = 0;
  if (to_hash == NULL
      || !oima_hash_stream (OIMA_HASH_SHA256, to_hash, digest, &digest_len, cancellable, error))
    return FALSE;
  g_autofree char *checksum = ostree_checksum_from_bytes (digest);
  g_autoptr (GInputStream) to_write
      = object_stream_new (obj, new_xattrs, &object_len, cancellable, error);
  if (to_write == NULL
      || !ostree_repo_write_content (obj->repo, checksum, to_write, object_len, NULL, cancellable,
                                     error))
    return FALSE;
  obj->new_checksum = g_steal_pointer (&checksum);
  return TRUE;
}

typedef enum
{
  RESULT_KEPT,
  RESULT_CHANGED,
  RESULT_CACHED,
  RESULT_CACHE_REJECTED, /* then changed */
} JobResult;

/* The cache's answer for @job, if it passes the transform's check. */
static gboolean
try_cache (Rewrite *rw, OimaRewriteObject *obj, JobResult *out_result, GCancellable *cancellable,
           GError **error)
{
  const OimaCommitRewriteOptions *opts = rw->options;
  g_autofree char *cached = oima_sign_cache_lookup (opts->cache, obj->job->checksum);
  if (cached == NULL)
    return TRUE;
  gboolean valid = FALSE;
  if (!opts->cache_check (obj, cached, opts->transform_data, &valid, cancellable, error))
    return FALSE;
  if (!valid)
    {
      *out_result = RESULT_CACHE_REJECTED;
      return TRUE;
    }
  obj->new_checksum = g_steal_pointer (&cached);
  *out_result = RESULT_CACHED;
  return TRUE;
}

static gboolean
rewrite_object (Rewrite *rw, OimaRewriteObject *obj, JobResult *out_result,
                GCancellable *cancellable, GError **error)
{
  const OimaCommitRewriteOptions *opts = rw->options;
  *out_result = RESULT_KEPT;
  if (!ostree_repo_load_file (rw->repo, obj->job->checksum, &obj->in, &obj->info, &obj->xattrs,
                              cancellable, error))
    return FALSE;
  if (g_file_info_get_file_type (obj->info) != G_FILE_TYPE_REGULAR)
    return TRUE;
  if (obj->xattrs == NULL)
    obj->xattrs = oima_xattrs_canonicalize (NULL);
  if (opts->cache && !try_cache (rw, obj, out_result, cancellable, error))
    return FALSE;
  if (*out_result == RESULT_CACHED)
    return TRUE;

  g_autoptr (GVariant) new_xattrs = NULL;
  gboolean cacheable = FALSE;
  if (!opts->transform (obj, opts->transform_data, &new_xattrs, &cacheable, cancellable, error))
    return FALSE;
  if (new_xattrs == NULL)
    return TRUE;
  if (!write_new_object (obj, new_xattrs, cancellable, error))
    return FALSE;
  if (opts->cache && cacheable)
    oima_sign_cache_insert (opts->cache, obj->job->checksum, obj->new_checksum);
  if (*out_result != RESULT_CACHE_REJECTED)
    *out_result = RESULT_CHANGED;
  return TRUE;
}

static gboolean
rewrite_worker (gpointer task, gpointer user_data, GCancellable *cancellable, GError **error)
{
  RewriteJob *job = task;
  Rewrite *rw = user_data;
  OimaRewriteObject obj = { .repo = rw->repo, .job = job };
  JobResult result = RESULT_KEPT;
  gboolean ok = rewrite_object (rw, &obj, &result, cancellable, error);
  guint64 hashed = obj.bytes_hashed;
  guint64 size = obj.info ? g_file_info_get_size (obj.info) : 0;
  if (ok && obj.new_checksum)
    {
      ostree_checksum_inplace_to_bytes (obj.new_checksum, job->new_csum);
      job->changed = TRUE;
    }
  rewrite_object_clear (&obj);
  if (!ok)
    {
      g_prefix_error (error, "%s (object %s): ", job->path, job->checksum);
      return FALSE;
    }
  g_mutex_lock (&rw->lock);
  rw->stats.files_done++;
  rw->stats.bytes_hashed += hashed;
  if (result == RESULT_CHANGED || result == RESULT_CACHE_REJECTED)
    rw->bytes_written += size;
  if (result == RESULT_KEPT)
    rw->stats.files_kept++;
  else
    rw->stats.files_changed++;
  if (result == RESULT_CACHED)
    rw->stats.files_cached++;
  if (result == RESULT_CACHE_REJECTED)
    rw->stats.cache_rejected++;
  g_mutex_unlock (&rw->lock);
  return TRUE;
}

static gboolean
collect_job (const char *path, const char *checksum, gpointer user_data, GError **error)
{
  Rewrite *rw = user_data;
  if (!oima_path_filter_matches (rw->options->filter, path))
    {
      rw->stats.files_unselected++;
      return TRUE;
    }
  if (!g_hash_table_contains (rw->jobs, checksum))
    {
      gsize path_len = strlen (path);
      RewriteJob *job = g_malloc0 (sizeof (RewriteJob) + path_len + 1);
      g_strlcpy (job->checksum, checksum, sizeof job->checksum);
      memcpy (job->path, path, path_len + 1);
      g_hash_table_add (rw->jobs, job);
    }
  return TRUE;
}

/* Write the rewritten dirtree for @dirtree_csum at @path; returns its checksum. */
static char *
rewrite_tree (Rewrite *walk, const char *dirtree_csum, const char *path, GCancellable *cancellable,
              GError **error)
{
  /* Loaded again rather than kept from the walk: memory must not grow with
   * the size of the tree. */
  g_autoptr (GVariant) tree = NULL;
  if (!ostree_repo_load_variant (walk->repo, OSTREE_OBJECT_TYPE_DIR_TREE, dirtree_csum, &tree,
                                 error))
    return NULL;
  g_autoptr (GVariant) files = g_variant_get_child_value (tree, 0);
  g_autoptr (GVariant) dirs = g_variant_get_child_value (tree, 1);

  g_auto (GVariantBuilder) files_b = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a(say)"));
  gsize n = g_variant_n_children (files);
  for (gsize i = 0; i < n; i++)
    {
      g_auto (OimaDirtreeEntry) e = { 0 };
      oima_dirtree_entry_get (files, i, path, &e);
      RewriteJob *job = oima_path_filter_matches (walk->options->filter, e.path)
                            ? g_hash_table_lookup (walk->jobs, e.checksum)
                            : NULL;
      GVariant *csum_v = job && job->changed ? g_variant_new_fixed_array (
                             G_VARIANT_TYPE_BYTE, job->new_csum, sizeof job->new_csum, 1)
                                             : e.checksum_v;
      g_variant_builder_add (&files_b, "(s@ay)", e.name, csum_v);
    }

  g_auto (GVariantBuilder) dirs_b = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a(sayay)"));
  n = g_variant_n_children (dirs);
  for (gsize i = 0; i < n; i++)
    {
      g_auto (OimaDirtreeEntry) e = { 0 };
      oima_dirtree_entry_get (dirs, i, path, &e);
      g_autofree char *new_tree = rewrite_tree (walk, e.checksum, e.path, cancellable, error);
      if (new_tree == NULL)
        return NULL;
      g_variant_builder_add (&dirs_b, "(s@ay@ay)", e.name, ostree_checksum_to_bytes_v (new_tree),
                             e.meta_v);
    }

  g_autoptr (GVariant) new_tree_v = g_variant_ref_sink (g_variant_new (
      "(@a(say)@a(sayay))", g_variant_builder_end (&files_b), g_variant_builder_end (&dirs_b)));
  g_autofree guchar *csum = NULL;
  if (!ostree_repo_write_metadata (walk->repo, OSTREE_OBJECT_TYPE_DIR_TREE, NULL, new_tree_v, &csum,
                                   cancellable, error))
    return NULL;
  return ostree_checksum_from_bytes (csum);
}

/* While the workers write objects, the calling thread only waits.  Every
 * WRITEBACK_STEP bytes written it syncs the file system: the transaction's
 * commit syncs it anyway (syncfs) before any object becomes visible, and
 * then finds only the last objects to wait for, not the whole tree.
 * Measured on minbase: the final syncfs took 9 ms instead of 232 ms, and
 * the signing 1.49 s instead of 1.62 s (median of 6, interleaved). */
#define WRITEBACK_STEP (48 * 1024 * 1024)

static void
on_tick (guint64 n_done, guint64 n_pushed, gpointer user_data)
{
  Rewrite *rw = user_data;
  g_mutex_lock (&rw->lock);
  OimaCommitRewriteStats snapshot = rw->stats;
  guint64 written = rw->bytes_written;
  g_mutex_unlock (&rw->lock);
  if (written - rw->bytes_synced >= WRITEBACK_STEP && !ostree_repo_get_disable_fsync (rw->repo))
    {
      (void)syncfs (ostree_repo_get_dfd (rw->repo)); /* a failure is the commit's to report */
      rw->bytes_synced = written;
    }
  if (rw->options->progress)
    rw->options->progress (&snapshot, rw->options->progress_data);
}

static gboolean
run_transform (Rewrite *rw, GCancellable *cancellable, GError **error)
{
  g_autoptr (OimaWorkers) workers = oima_workers_new (rw->options->n_jobs, OIMA_WORKERS_FAIL_FAST,
                                                      rewrite_worker, rw, cancellable, error);
  if (workers == NULL)
    return FALSE;
  rw->stats.files_total = g_hash_table_size (rw->jobs);
  if (rw->stats.files_total == 0)
    return oima_throw_code (error, OIMA_ERROR_EMPTY_SELECTION,
                            rw->stats.files_unselected > 0
                                ? "No file of the commit is selected: nothing to rewrite"
                                : "The commit has no files: nothing to rewrite");
  GHashTableIter it;
  gpointer job;
  g_hash_table_iter_init (&it, rw->jobs);
  while (g_hash_table_iter_next (&it, NULL, &job))
    oima_workers_push (workers, job);
  return oima_workers_wait_all (workers, on_tick, rw, error);
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
  g_ptr_array_sort (bound, oima_strcmp_p);
  g_ptr_array_add (bound, NULL);
  g_autoptr (GVariantDict) dict = g_variant_dict_new (metadata);
  g_variant_dict_insert_value (dict, OSTREE_COMMIT_META_KEY_REF_BINDING,
                               g_variant_new_strv ((const char *const *)bound->pdata, -1));
  return g_variant_ref_sink (g_variant_dict_end (dict));
}

gboolean
oima_repo_check_xattrs (OstreeRepo *repo, GError **error)
{
  switch (ostree_repo_get_mode (repo))
    {
    case OSTREE_REPO_MODE_BARE:
    case OSTREE_REPO_MODE_BARE_USER:
    case OSTREE_REPO_MODE_ARCHIVE:
      return TRUE;
    case OSTREE_REPO_MODE_BARE_USER_ONLY:
      return oima_throw (error, "A bare-user-only repository cannot store xattrs");
    default:
      return oima_throw (error, "Repository mode %d cannot store xattrs",
                         (int)ostree_repo_get_mode (repo));
    }
}

/* The source commit with @new_root as its root tree. */
static GVariant *
new_commit_variant (GVariant *commit, const char *new_root, const char *target_ref)
{
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
  return g_variant_ref_sink (g_variant_builder_end (&b));
}

static gboolean
in_transaction (OstreeRepo *repo, GError **error)
{
  if (ostree_repo_prepare_transaction (repo, NULL, NULL, error))
    return TRUE;
  g_prefix_error (error,
                  "Starting a transaction in %s: ", g_file_peek_path (ostree_repo_get_path (repo)));
  return FALSE;
}

/* Transaction 1: content objects and dirtrees.  Returns the new root. */
static char *
write_trees (Rewrite *rw, const char *root_tree, GCancellable *cancellable, GError **error)
{
  if (!in_transaction (rw->repo, error))
    return NULL;
  g_autofree char *new_root = NULL;
  gboolean ok = oima_tree_walk (rw->repo, root_tree, collect_job, rw, cancellable, error)
                && run_transform (rw, cancellable, error)
                && (new_root = rewrite_tree (rw, root_tree, "/", cancellable, error)) != NULL
                && ostree_repo_commit_transaction (rw->repo, NULL, cancellable, error);
  if (!ok)
    {
      (void)ostree_repo_abort_transaction (rw->repo, NULL, NULL);
      return NULL;
    }
  return g_steal_pointer (&new_root);
}

/* Transaction 2: the commit object, its detached metadata and the ref. */
static gboolean
write_commit (Rewrite *rw, const char *src_commit, GVariant *commit, const char *new_root,
              const char *remote, const char *ref, char **out_commit, GCancellable *cancellable,
              GError **error)
{
  if (!in_transaction (rw->repo, error))
    return FALSE;
  g_autoptr (GVariant) new_commit = new_commit_variant (commit, new_root, ref);
  g_autofree guchar *csum = NULL;
  g_autofree char *new_checksum = NULL;
  gboolean ok
      = ostree_repo_write_metadata (rw->repo, OSTREE_OBJECT_TYPE_COMMIT, NULL, new_commit, &csum,
                                    cancellable, error)
        && (new_checksum = ostree_checksum_from_bytes (csum)) != NULL
        && copy_detached_metadata (rw->repo, src_commit, new_checksum,
                                   &rw->stats.commit_signatures_dropped, cancellable, error);
  if (ok && ref)
    ostree_repo_transaction_set_ref (rw->repo, remote, ref, new_checksum);
  /* The point of no return: once the commit starts, a cancellation must not
   * make it fail after the ref moved. */
  ok = ok && !g_cancellable_set_error_if_cancelled (cancellable, error)
       && ostree_repo_commit_transaction (rw->repo, NULL, NULL, error);
  if (!ok)
    {
      (void)ostree_repo_abort_transaction (rw->repo, NULL, NULL);
      return FALSE;
    }
  *out_commit = g_steal_pointer (&new_checksum);
  return TRUE;
}

gboolean
oima_commit_rewrite (OstreeRepo *repo, const char *src_rev, const char *target_ref,
                     const OimaCommitRewriteOptions *options, char **out_commit,
                     OimaCommitRewriteStats *out_stats, GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (options != NULL && options->transform != NULL, FALSE);
  g_return_val_if_fail (options->cache == NULL || options->cache_check != NULL, FALSE);

  if (!oima_repo_check_xattrs (repo, error))
    return FALSE;
  g_autofree char *remote = NULL;
  g_autofree char *ref = NULL;
  if (target_ref && !ostree_parse_refspec (target_ref, &remote, &ref, error))
    return FALSE;
  g_autofree char *src_commit = NULL;
  g_autoptr (GVariant) commit = NULL;
  g_autofree char *root_tree = NULL;
  if (!oima_resolve_commit (repo, src_rev, &src_commit, &commit, &root_tree, error))
    return FALSE;

  Rewrite rw = { 0 };
  rw.repo = repo;
  rw.options = options;
  /* Key and value are the job; its checksum string is at its start. */
  rw.jobs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_mutex_init (&rw.lock);

  g_autofree char *new_commit = NULL;
  g_autofree char *new_root = write_trees (&rw, root_tree, cancellable, error);
  gboolean ok = new_root != NULL
                && write_commit (&rw, src_commit, commit, new_root, remote, ref, &new_commit,
                                 cancellable, error);
  if (out_stats)
    *out_stats = rw.stats;
  if (ok && out_commit)
    *out_commit = g_steal_pointer (&new_commit);
  g_hash_table_unref (rw.jobs);
  g_mutex_clear (&rw.lock);
  return ok;
}
