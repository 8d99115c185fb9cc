/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * IMA signing as a transform on the commit-rewrite pipeline
 * (oima-commit-rewrite.h): each selected regular file gets security.ima, a
 * signature over its content digest, each distinct digest signed once.
 */

#include "oima-commit-rewrite.h"
#include "oima-commit-signer.h"
#include "oima-digest-signer.h"
#include "oima-evm.h"
#include "oima-util.h"
#include "oima-xattrs.h"

typedef struct
{
  const OimaCommitSignOptions *options;
  OimaDigestSigner *signer;
  gint evm_removed; /* atomic */
  gint reencoded;   /* atomic */
  gint evm_signed;  /* atomic */
} ImaTransform;

typedef enum
{
  EXISTING_NONE,
  EXISTING_SIGNATURE, /* a well-formed file signature: kept without overwrite */
  EXISTING_HASH,      /* a hash (0x01, 0x04): replaced by a signature */
} ExistingIma;

/* What an existing security.ima is.  "Already signed" means a well-formed
 * signature the kernel verifies; anything else that is not a hash is an
 * error (OIMA_ERROR_EXISTING_VALUE) unless it is overwritten. */
static gboolean
classify_existing (GBytes *ima, ExistingIma *out, GError **error)
{
  *out = EXISTING_NONE;
  if (ima == NULL)
    return TRUE;
  OimaXattrValue v;
  g_autoptr (GError) local_error = NULL;
  if (!oima_xattr_decode_bytes (ima, &v, &local_error))
    return oima_throw_code (error, OIMA_ERROR_EXISTING_VALUE, "Invalid security.ima: %s",
                            local_error->message);
  switch (v.type)
    {
    case OIMA_XATTR_TYPE_DIGSIG:
      if (v.version != 2)
        return oima_throw_code (error, OIMA_ERROR_EXISTING_VALUE,
                                "security.ima is a signature v1, which is deprecated");
      *out = EXISTING_SIGNATURE;
      return TRUE;
    case OIMA_XATTR_TYPE_IMA_VERITY_DIGSIG:
      *out = EXISTING_SIGNATURE;
      return TRUE;
    case OIMA_XATTR_TYPE_IMA_DIGEST:
    case OIMA_XATTR_TYPE_IMA_DIGEST_NG:
      *out = EXISTING_HASH;
      return TRUE;
    case OIMA_XATTR_TYPE_EVM_HMAC:
    case OIMA_XATTR_TYPE_EVM_PORTABLE_DIGSIG:
    default:
      return oima_throw_code (error, OIMA_ERROR_EXISTING_VALUE,
                              "security.ima holds %s, not a file signature",
                              oima_xattr_type_name (v.type));
    }
}

/* Add a portable EVM signature over the final xattrs, owner and mode
 * (replacing any security.evm: an inode-bound one never belongs in a
 * commit, an old portable one covered other values). */
static gboolean
add_evm (ImaTransform *t, OimaRewriteObject *object, GVariant **inout_xattrs, GError **error)
{
  GFileInfo *info = oima_rewrite_object_get_info (object);
  g_autoptr (GVariant) without = oima_xattrs_set (*inout_xattrs, OIMA_XATTR_EVM, NULL);
  g_autoptr (GBytes) evm
      = oima_evm_sign_portable (t->options->key, t->options->algo, without,
                                g_file_info_get_attribute_uint32 (info, "unix::uid"),
                                g_file_info_get_attribute_uint32 (info, "unix::gid"),
                                g_file_info_get_attribute_uint32 (info, "unix::mode"), error);
  if (evm == NULL)
    return FALSE;
  GVariant *with = oima_xattrs_set (without, OIMA_XATTR_EVM, evm);
  g_variant_unref (*inout_xattrs);
  *inout_xattrs = with;
  g_atomic_int_inc (&t->evm_signed);
  return TRUE;
}

static gboolean
sign_ima (OimaRewriteObject *object, gpointer user_data, GVariant **out_xattrs,
          gboolean *out_cacheable, GCancellable *cancellable, GError **error)
{
  ImaTransform *t = user_data;
  GVariant *xattrs = oima_rewrite_object_get_xattrs (object);
  g_autoptr (GBytes) old_ima = oima_xattrs_lookup (xattrs, OIMA_XATTR_IMA);
  if (t->options->repair_only)
    {
      if (!oima_xattrs_is_canonical (xattrs))
        {
          *out_xattrs = oima_xattrs_canonicalize (xattrs);
          g_atomic_int_inc (&t->reencoded);
        }
      return TRUE;
    }
  ExistingIma existing = EXISTING_NONE;
  if (!t->options->overwrite && !classify_existing (old_ima, &existing, error))
    return FALSE;
  if (existing == EXISTING_SIGNATURE)
    {
      /* Kept byte for byte; a list ostree cannot check out (unsorted,
       * duplicates, names without NUL) is re-encoded. */
      g_autoptr (GVariant) kept = oima_xattrs_canonicalize (xattrs);
      if (!oima_xattrs_is_canonical (xattrs))
        g_atomic_int_inc (&t->reencoded);
      if (t->options->evm && !add_evm (t, object, &kept, error))
        return FALSE;
      if (!g_variant_equal (kept, xattrs))
        *out_xattrs = g_steal_pointer (&kept);
      return TRUE;
    }

  guint8 digest[OIMA_MAX_DIGEST_SIZE];
  gsize digest_len = 0;
  if (!oima_rewrite_object_hash (object, t->options->algo, digest, &digest_len, cancellable, error))
    return FALSE;
  g_autoptr (GBytes) ima = oima_digest_signer_sign (
      t->signer, oima_rewrite_object_get_path (object), NULL, digest, digest_len, error);
  if (ima == NULL)
    return FALSE;
  g_autoptr (GVariant) signed_xattrs = oima_xattrs_set (xattrs, OIMA_XATTR_IMA, ima);
  /* A security.evm covers security.ima: the old one cannot be valid now. */
  g_autoptr (GBytes) old_evm = oima_xattrs_lookup (signed_xattrs, OIMA_XATTR_EVM);
  if (old_evm != NULL)
    {
      GVariant *stripped = oima_xattrs_set (signed_xattrs, OIMA_XATTR_EVM, NULL);
      g_variant_unref (signed_xattrs);
      signed_xattrs = stripped;
      if (!t->options->evm)
        g_atomic_int_inc (&t->evm_removed);
    }
  if (t->options->evm && !add_evm (t, object, &signed_xattrs, error))
    return FALSE;
  *out_xattrs = g_steal_pointer (&signed_xattrs);
  /* Objects that had no security.ima give the same result with and without
   * overwrite: only those are remembered. */
  *out_cacheable = old_ima == NULL && t->options->hash_only == NULL;
  return TRUE;
}

static gboolean
same_owner_and_mode (GFileInfo *a, GFileInfo *b)
{
  static const char *const attrs[] = { "unix::uid", "unix::gid", "unix::mode" };
  for (guint i = 0; i < G_N_ELEMENTS (attrs); i++)
    if (g_file_info_get_attribute_uint32 (a, attrs[i])
        != g_file_info_get_attribute_uint32 (b, attrs[i]))
      return FALSE;
  return g_file_info_get_size (a) == g_file_info_get_size (b);
}

/* The xattrs of an object but its IMA and EVM values, canonical. */
static GVariant *
xattrs_but_integrity (GVariant *xattrs)
{
  g_autoptr (GVariant) no_ima = oima_xattrs_set (xattrs, OIMA_XATTR_IMA, NULL);
  return oima_xattrs_set (no_ima, OIMA_XATTR_EVM, NULL);
}

/* A cached object is what signing @object gives only if it has the same
 * metadata and its security.ima is this key's signature over @object's
 * content.  Anything else (an edited cache, a reused object name) is
 * redone: the cache never changes content. */
static gboolean
check_cached (OimaRewriteObject *object, const char *cached_checksum, gpointer user_data,
              gboolean *out_valid, GCancellable *cancellable, GError **error)
{
  ImaTransform *t = user_data;
  *out_valid = FALSE;
  g_autoptr (GFileInfo) info = NULL;
  g_autoptr (GVariant) xattrs = NULL;
  if (!ostree_repo_load_file (oima_rewrite_object_get_repo (object), cached_checksum, NULL, &info,
                              &xattrs, cancellable, error))
    return FALSE;
  if (!same_owner_and_mode (info, oima_rewrite_object_get_info (object)))
    return TRUE;
  g_autoptr (GVariant) expected = xattrs_but_integrity (oima_rewrite_object_get_xattrs (object));
  g_autoptr (GVariant) actual = xattrs_but_integrity (xattrs);
  g_autoptr (GBytes) evm = oima_xattrs_lookup (xattrs, OIMA_XATTR_EVM);
  if (evm != NULL || !g_variant_equal (expected, actual))
    return TRUE;
  guint8 digest[OIMA_MAX_DIGEST_SIZE];
  gsize digest_len = 0;
  if (!oima_rewrite_object_hash (object, t->options->algo, digest, &digest_len, cancellable, error))
    return FALSE;
  g_autoptr (GBytes) ima = oima_xattrs_lookup (xattrs, OIMA_XATTR_IMA);
  *out_valid = oima_signing_key_made (t->options->key, ima, OIMA_XATTR_TYPE_DIGSIG,
                                      t->options->algo, digest, digest_len);
  return TRUE;
}

typedef struct
{
  const OimaCommitSignOptions *options;
  ImaTransform *transform;
} ProgressRelay;

static void
fill_progress (const OimaCommitRewriteStats *rs, ImaTransform *t, OimaCommitSignProgress *out)
{
  out->files = *rs;
  out->evm_removed = g_atomic_int_get (&t->evm_removed);
  out->reencoded = g_atomic_int_get (&t->reencoded);
  out->evm_signed = g_atomic_int_get (&t->evm_signed);
  out->hashed = t->signer ? oima_digest_signer_get_n_hashed (t->signer) : 0;
  out->signatures_made = t->signer ? oima_digest_signer_get_n_signed (t->signer) : 0;
  out->signatures_reused = oima_sig_reuse_get_n_reused (t->options->reuse);
}

static void
relay_progress (const OimaCommitRewriteStats *stats, gpointer user_data)
{
  ProgressRelay *relay = user_data;
  OimaCommitSignProgress progress = { 0 };
  fill_progress (stats, relay->transform, &progress);
  relay->options->progress (&progress, relay->options->progress_data);
}

gboolean
oima_commit_sign (OstreeRepo *repo, const char *src_rev, const char *target_ref,
                  const OimaCommitSignOptions *options, char **out_commit,
                  OimaCommitSignProgress *out_stats, GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (options != NULL && (options->key != NULL || options->repair_only), FALSE);

  if (!options->repair_only
      && !oima_hash_algo_check_signing (options->algo, options->allow_weak_hash, error))
    return FALSE;

  ImaTransform t = { options, NULL, 0, 0, 0 };
  g_autoptr (OimaSignCache) cache = NULL;
  if (!options->repair_only)
    {
      t.signer = oima_digest_signer_new (options->key, options->algo);
      oima_digest_signer_set_reuse (t.signer, options->reuse);
      oima_digest_signer_set_hash_only (t.signer, options->hash_only);
    }
  /* The cache maps an object to its signed self: hash-only runs skip it. */
  if (!options->no_cache && !options->repair_only && options->hash_only == NULL && !options->evm)
    cache = oima_sign_cache_load (repo, options->key, options->algo);
  ProgressRelay relay = { options, &t };
  OimaCommitRewriteOptions rewrite_opts = {
    .transform = sign_ima,
    .transform_data = &t,
    .filter = options->filter,
    .n_jobs = options->n_jobs,
    .cache = cache,
    .cache_check = check_cached,
    .progress = options->progress ? relay_progress : NULL,
    .progress_data = &relay,
  };
  OimaCommitRewriteStats stats = { 0 };
  gboolean ok = oima_commit_rewrite (repo, src_rev, target_ref, &rewrite_opts, out_commit, &stats,
                                     cancellable, error);
  if (out_stats)
    fill_progress (&stats, &t, out_stats);
  if (ok && cache)
    {
      g_autoptr (GError) cache_error = NULL;
      if (!oima_sign_cache_save (cache, cancellable, &cache_error))
        g_debug ("Not saving the signing cache: %s", cache_error->message);
    }
  g_clear_pointer (&t.signer, oima_digest_signer_free);
  return ok;
}
