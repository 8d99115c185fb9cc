/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Rewrite a commit into a new one through a per-object transform: the
 * backbone of IMA signing, EVM signing, repair of non-canonical xattrs and
 * any other pass that changes the xattrs of a commit's regular files.
 *
 *   static gboolean
 *   add_label (OimaRewriteObject *obj, gpointer data, GVariant **out_xattrs,
 *              gboolean *out_cacheable, GCancellable *c, GError **error)
 *   {
 *     *out_xattrs = oima_xattrs_set (oima_rewrite_object_get_xattrs (obj), "user.x", value);
 *     return TRUE;
 *   }
 *   OimaCommitRewriteOptions opts = { .transform = add_label };
 *   oima_commit_rewrite (repo, "main", "main-labelled", &opts, &commit, &stats, c, &error);
 *
 * The transform runs on worker threads, once per distinct content object
 * that is a regular file at a selected path.  It sees the object's final
 * metadata (uid, gid, mode, xattrs) and can digest its content; it returns
 * the object's new xattrs, or NULL to keep the object as it is.  A new
 * object is written with the same content; dirtrees are rebuilt bottom-up.
 *
 * The new commit keeps every field of the source commit but its root: the
 * parent, subject, body, timestamp and metadata.  One change to metadata: if
 * it binds the commit to refs (ostree.ref-binding), the target ref is
 * added, or the commit could not be pulled by it.  Detached metadata is
 * copied except commit signatures (GPG, ostree sign), which cannot be valid
 * for the new commit.
 *
 * Crash safety: content objects and dirtrees are written and committed in a
 * first transaction, the commit object and the ref in a second, so no kill
 * can leave a commit object whose trees are missing; the ref moves only when
 * everything succeeded.  Objects of a failed run stay unreferenced until
 * `ostree prune`.
 */
#pragma once

#include <ostree.h>

#include "oima-hash.h"
#include "oima-path-filter.h"
#include "oima-sign-cache.h"

G_BEGIN_DECLS

typedef struct _OimaRewriteObject OimaRewriteObject;

/* The first path the object was found at (for messages). */
const char *oima_rewrite_object_get_path (OimaRewriteObject *object);
/* The repository being rewritten. */
OstreeRepo *oima_rewrite_object_get_repo (OimaRewriteObject *object);
/* The source content object. */
const char *oima_rewrite_object_get_checksum (OimaRewriteObject *object);
/* uid, gid, mode, size (GFileInfo "unix::" attributes as ostree sets them). */
GFileInfo *oima_rewrite_object_get_info (OimaRewriteObject *object);
/* The object's xattrs, a(ayay); never NULL. */
GVariant *oima_rewrite_object_get_xattrs (OimaRewriteObject *object);

/* Digest of the object's content.  Content of small objects is kept for
 * the write, so it is read once. @out_digest holds OIMA_MAX_DIGEST_SIZE. */
gboolean oima_rewrite_object_hash (OimaRewriteObject *object, OimaHashAlgo algo, guint8 *out_digest,
                                   gsize *out_len, GCancellable *cancellable, GError **error);

/* Set *@out_xattrs to the new xattrs (canonical a(ayay), see oima-xattrs.h)
 * or leave it NULL to keep the object.  Set *@out_cacheable when the result
 * depends only on the source object (then it is remembered in the cache). */
typedef gboolean (*OimaRewriteFunc) (OimaRewriteObject *object, gpointer user_data,
                                     GVariant **out_xattrs, gboolean *out_cacheable,
                                     GCancellable *cancellable, GError **error);

/* A cache entry says @object became @cached_checksum: set *@out_valid if
 * that object really is what the transform makes of @object (same
 * content, the expected metadata).  A cache must never change content. */
typedef gboolean (*OimaRewriteCacheCheckFunc) (OimaRewriteObject *object,
                                               const char *cached_checksum, gpointer user_data,
                                               gboolean *out_valid, GCancellable *cancellable,
                                               GError **error);

typedef struct
{
  guint64 files_total; /* distinct content objects at selected paths */
  guint64 files_done;
  guint64 files_changed;    /* written as new objects (or found in the cache) */
  guint64 files_cached;     /* of those, taken from the cache */
  guint64 cache_rejected;   /* cache entries that failed the check (then redone) */
  guint64 files_kept;       /* symlinks, or kept by the transform */
  guint64 files_unselected; /* paths not selected by the filter */
  guint64 bytes_hashed;
  guint commit_signatures_dropped; /* detached GPG/ostree-sign signatures not copied */
} OimaCommitRewriteStats;

typedef void (*OimaCommitRewriteProgressFunc) (const OimaCommitRewriteStats *stats,
                                               gpointer user_data);

typedef struct
{
  OimaRewriteFunc transform; /* required */
  gpointer transform_data;
  const OimaPathFilter *filter; /* NULL = every regular file */
  guint n_jobs;                 /* 0 = number of CPUs */
  OimaSignCache *cache;         /* NULL = none; source object -> result of this transform */
  OimaRewriteCacheCheckFunc cache_check; /* required with a cache */
  /* Called on the calling thread, at most a few times per second. */
  OimaCommitRewriteProgressFunc progress;
  gpointer progress_data;
} OimaCommitRewriteOptions;

/* FALSE unless @repo can store xattrs (bare, bare-user, archive). */
gboolean oima_repo_check_xattrs (OstreeRepo *repo, GError **error);

/* Rewrite @src_rev into a new commit (a commit without a selected file is
 * OIMA_ERROR_EMPTY_SELECTION); set @target_ref (a local ref or
 * "remote:ref"; NULL = none) to it.  The repository must be able to store
 * xattrs (bare, bare-user, archive). */
gboolean oima_commit_rewrite (OstreeRepo *repo, const char *src_rev, const char *target_ref,
                              const OimaCommitRewriteOptions *options, char **out_commit,
                              OimaCommitRewriteStats *out_stats, GCancellable *cancellable,
                              GError **error);

G_END_DECLS
