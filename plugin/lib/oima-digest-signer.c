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
  GBytes *ima; /* NULL while a thread is signing it */
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
  GCond signed_cond; /* a pending entry got its value or went */
  guint n_waiting;   /* threads waiting on signed_cond */
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
  g_clear_pointer (&e->ima, g_bytes_unref);
  g_free (e);
}

/* With the lock held: a pending entry for @probe's digest, after making
 * room by forgetting the oldest signatures (never a pending one: its
 * signer will fill it in). */
static MemoEntry *
memo_insert_pending (OimaDigestSigner *signer, const MemoEntry *probe)
{
  guint n_pending_seen = 0;
  while (g_queue_get_length (&signer->memo_order) >= OIMA_DIGEST_SIGNER_MEMO_SIZE
         && n_pending_seen < g_queue_get_length (&signer->memo_order))
    {
      MemoEntry *oldest = g_queue_pop_head (&signer->memo_order);
      if (oldest->ima == NULL)
        {
          g_queue_push_tail (&signer->memo_order, oldest);
          n_pending_seen++;
          continue;
        }
      g_hash_table_remove (signer->memo, oldest);
      memo_entry_free (oldest);
    }
  MemoEntry *e = g_memdup2 (probe, sizeof *probe);
  e->ima = NULL;
  g_hash_table_add (signer->memo, e);
  g_queue_push_tail (&signer->memo_order, e);
  return e;
}

OimaDigestSigner *
oima_digest_signer_new (OimaSigningKey *key, OimaHashAlgo algo)
{
  OimaDigestSigner *self = g_new0 (OimaDigestSigner, 1);
  self->key = oima_signing_key_ref (key);
  self->algo = algo;
  g_mutex_init (&self->lock);
  g_cond_init (&self->signed_cond);
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
  g_cond_clear (&signer->signed_cond);
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
  MemoEntry *hit;
  /* Another thread signing this digest: wait for its value (it may fail:
   * then the entry is gone and this thread signs). */
  while ((hit = g_hash_table_lookup (signer->memo, &probe)) && hit->ima == NULL)
    {
      signer->n_waiting++;
      g_cond_wait (&signer->signed_cond, &signer->lock);
      signer->n_waiting--;
    }
  if (hit)
    {
      GBytes *cached = g_bytes_ref (hit->ima);
      g_mutex_unlock (&signer->lock);
      return cached;
    }
  MemoEntry *e = memo_insert_pending (signer, &probe);
  g_mutex_unlock (&signer->lock);

  /* Signing happens outside the lock. */
  GBytes *ima = oima_signing_key_sign_xattr (signer->key, OIMA_XATTR_TYPE_DIGSIG, signer->algo,
                                             digest, len, error);
  g_mutex_lock (&signer->lock);
  if (ima)
    {
      e->ima = g_bytes_ref (ima);
      signer->n_signed++;
    }
  else
    {
      g_hash_table_remove (signer->memo, e);
      g_queue_remove (&signer->memo_order, e);
      memo_entry_free (e);
    }
  /* (A broadcast is a system call even when nobody waits.) */
  if (signer->n_waiting > 0)
    g_cond_broadcast (&signer->signed_cond);
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
