/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <string.h>

#include "oima-digest-signer.h"
#include "oima-util.h"

/* Signatures of the most recent distinct digests, so a digest seen again
 * (the same bytes at another path, or in another object) is not signed
 * again, and with ECDSA gets the same value.  Bounded: an OS tree repeats
 * content within a package, and memory must not grow with the tree
 * (OIMA_DIGEST_SIGNER_MEMO_SIZE). */
typedef struct
{
  guint8 digest[OIMA_MAX_DIGEST_SIZE];
  gsize len;
  GBytes *ima;
} MemoEntry;

struct _OimaDigestSigner
{
  OimaSigningKey *key;
  OimaHashAlgo algo;
  OimaSigReuse *reuse;
  const OimaPathFilter *hash_only;
  gint n_hashed;     /* atomic */
  GMutex lock;       /* protects the fields below */
  GHashTable *memo;  /* MemoEntry (key and value, owned by memo_order) */
  GQueue memo_order; /* oldest first */
  guint n_signed;
};

static guint
memo_entry_hash (gconstpointer p)
{
  const MemoEntry *e = p;
  guint h = 0;
  memcpy (&h, e->digest, sizeof h); /* a digest is uniform already */
  return h;
}

static gboolean
memo_entry_equal (gconstpointer a, gconstpointer b)
{
  const MemoEntry *x = a, *y = b;
  return x->len == y->len && memcmp (x->digest, y->digest, x->len) == 0;
}

static void
memo_entry_free (MemoEntry *e)
{
  g_bytes_unref (e->ima);
  g_free (e);
}

OimaDigestSigner *
oima_digest_signer_new (OimaSigningKey *key, OimaHashAlgo algo)
{
  OimaDigestSigner *self = g_new0 (OimaDigestSigner, 1);
  self->key = oima_signing_key_ref (key);
  self->algo = algo;
  g_mutex_init (&self->lock);
  self->memo = g_hash_table_new (memo_entry_hash, memo_entry_equal);
  g_queue_init (&self->memo_order);
  return self;
}

void
oima_digest_signer_free (OimaDigestSigner *signer)
{
  oima_signing_key_unref (signer->key);
  g_hash_table_unref (signer->memo);
  g_queue_clear_full (&signer->memo_order, (GDestroyNotify)memo_entry_free);
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
oima_digest_signer_sign (OimaDigestSigner *signer, const char *path, const char *source_checksum,
                         const guint8 *digest, gsize len, GError **error)
{
  if (signer->hash_only && path && oima_path_filter_matches (signer->hash_only, path))
    {
      g_atomic_int_inc (&signer->n_hashed);
      return oima_xattr_encode_digest (signer->algo, digest, len, error);
    }
  GBytes *reused = oima_sig_reuse_find (signer->reuse, path, source_checksum, digest, len);
  if (reused)
    return reused;
  if (len > OIMA_MAX_DIGEST_SIZE)
    return oima_null_throw (error, "Digest of %" G_GSIZE_FORMAT " bytes is too long", len);
  MemoEntry probe = { .len = len };
  memcpy (probe.digest, digest, len);
  g_mutex_lock (&signer->lock);
  MemoEntry *hit = g_hash_table_lookup (signer->memo, &probe);
  GBytes *cached = hit ? g_bytes_ref (hit->ima) : NULL;
  g_mutex_unlock (&signer->lock);
  if (cached)
    return cached;

  /* Signing happens outside the lock; two threads racing on one digest
   * both sign and the first value is kept (ECDSA values differ). */
  GBytes *ima = oima_signing_key_sign_xattr (signer->key, OIMA_XATTR_TYPE_DIGSIG, signer->algo,
                                             digest, len, error);
  if (ima == NULL)
    return NULL;
  g_mutex_lock (&signer->lock);
  hit = g_hash_table_lookup (signer->memo, &probe);
  if (hit)
    {
      g_bytes_unref (ima);
      ima = g_bytes_ref (hit->ima);
    }
  else
    {
      if (g_queue_get_length (&signer->memo_order) >= OIMA_DIGEST_SIGNER_MEMO_SIZE)
        {
          MemoEntry *oldest = g_queue_pop_head (&signer->memo_order);
          g_hash_table_remove (signer->memo, oldest);
          memo_entry_free (oldest);
        }
      MemoEntry *e = g_memdup2 (&probe, sizeof probe);
      e->ima = g_bytes_ref (ima);
      g_hash_table_add (signer->memo, e);
      g_queue_push_tail (&signer->memo_order, e);
      signer->n_signed++;
    }
  g_mutex_unlock (&signer->lock);
  return ima;
}

guint
oima_digest_signer_get_n_signed (OimaDigestSigner *signer)
{
  g_mutex_lock (&signer->lock);
  guint n = signer->n_signed;
  g_mutex_unlock (&signer->lock);
  return n;
}
