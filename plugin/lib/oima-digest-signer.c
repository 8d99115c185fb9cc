/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "oima-digest-signer.h"
#include "oima-util.h"

struct _OimaDigestSigner
{
  OimaSigningKey *key;
  OimaHashAlgo algo;
  OimaSigReuse *reuse;
  const OimaPathFilter *hash_only;
  gint n_hashed; /* atomic */
  GMutex lock;
  GHashTable *signatures; /* hex digest -> GBytes */
};

OimaDigestSigner *
oima_digest_signer_new (OimaSigningKey *key, OimaHashAlgo algo)
{
  OimaDigestSigner *self = g_new0 (OimaDigestSigner, 1);
  self->key = oima_signing_key_ref (key);
  self->algo = algo;
  g_mutex_init (&self->lock);
  self->signatures
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_bytes_unref);
  return self;
}

void
oima_digest_signer_free (OimaDigestSigner *signer)
{
  oima_signing_key_unref (signer->key);
  g_hash_table_unref (signer->signatures);
  g_mutex_clear (&signer->lock);
  g_free (signer);
}

void
oima_digest_signer_set_reuse (OimaDigestSigner *signer, OimaSigReuse *reuse)
{
  signer->reuse = reuse;
}

void
oima_digest_signer_set_hash_only (OimaDigestSigner *signer, const OimaPathFilter *hash_only)
{
  signer->hash_only = hash_only;
}

guint
oima_digest_signer_get_n_hashed (OimaDigestSigner *signer)
{
  return (guint)g_atomic_int_get (&signer->n_hashed);
}

GBytes *
oima_digest_signer_sign (OimaDigestSigner *signer, const char *path, const guint8 *digest,
                         gsize len, GError **error)
{
  if (signer->hash_only && path && oima_path_filter_matches (signer->hash_only, path))
    {
      g_atomic_int_inc (&signer->n_hashed);
      return oima_xattr_encode_digest (signer->algo, digest, len, error);
    }
  GBytes *reused = oima_sig_reuse_find (signer->reuse, path, digest, len);
  if (reused)
    return reused;
  g_autofree char *hex = oima_hex_encode (digest, len);
  g_mutex_lock (&signer->lock);
  GBytes *cached = g_hash_table_lookup (signer->signatures, hex);
  if (cached)
    g_bytes_ref (cached);
  g_mutex_unlock (&signer->lock);
  if (cached)
    return cached;

  /* Signing happens outside the lock; two threads racing on one digest
   * both sign (the result is the same for RSA) and the first one is kept. */
  GBytes *ima = oima_signing_key_sign_xattr (signer->key, OIMA_XATTR_TYPE_DIGSIG, signer->algo,
                                             digest, len, error);
  if (ima == NULL)
    return NULL;
  g_mutex_lock (&signer->lock);
  GBytes *existing = g_hash_table_lookup (signer->signatures, hex);
  if (existing)
    {
      g_bytes_unref (ima);
      ima = g_bytes_ref (existing);
    }
  else
    g_hash_table_insert (signer->signatures, g_steal_pointer (&hex), g_bytes_ref (ima));
  g_mutex_unlock (&signer->lock);
  return ima;
}

guint
oima_digest_signer_get_n_signed (OimaDigestSigner *signer)
{
  g_mutex_lock (&signer->lock);
  guint n = g_hash_table_size (signer->signatures);
  g_mutex_unlock (&signer->lock);
  return n;
}
