/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <string.h>

#include <openssl/rsa.h>

#include "oima-key-loader.h"
#include "oima-signing-key.h"
#include "oima-trust.h"
#include "oima-util.h"

/* The kernel finds a key by "id:%08x" against the tail of either of its
 * x509 ids: the subjectKeyIdentifier, or serial || issuer (so the last 4
 * bytes of the issuer's DER name). */
typedef struct
{
  guint32 keyids[2];
  guint n_keyids;
  EVP_PKEY *pkey;
  char *source;
} TrustedKey;

struct _OimaTrust
{
  gint refcount;
  GPtrArray *problems; /* "CERT: expired on ...", for front ends to report */
  GArray *keys;        /* TrustedKey; only appended to before the trust is shared */
};

static void
trusted_key_clear (gpointer p)
{
  TrustedKey *k = p;
  EVP_PKEY_free (k->pkey);
  g_free (k->source);
}

OimaTrust *
oima_trust_new (void)
{
  OimaTrust *self = g_new0 (OimaTrust, 1);
  self->refcount = 1;
  self->keys = g_array_new (FALSE, TRUE, sizeof (TrustedKey));
  self->problems = g_ptr_array_new_with_free_func (g_free);
  g_array_set_clear_func (self->keys, trusted_key_clear);
  return self;
}

OimaTrust *
oima_trust_ref (OimaTrust *trust)
{
  g_atomic_int_inc (&trust->refcount);
  return trust;
}

void
oima_trust_unref (OimaTrust *trust)
{
  if (!g_atomic_int_dec_and_test (&trust->refcount))
    return;
  g_array_unref (trust->keys);
  g_ptr_array_unref (trust->problems);
  g_free (trust);
}

static gboolean
cert_keyids (X509 *cert, TrustedKey *k, GError **error)
{
  k->n_keyids = 0;
  if (oima_cert_skid_keyid (cert, &k->keyids[0]))
    k->n_keyids++;
  unsigned char *der = NULL;
  int len = i2d_X509_NAME (X509_get_issuer_name (cert), &der);
  if (len < 4)
    {
      OPENSSL_free (der);
      return oima_throw_openssl (error, "Certificate %s: cannot encode its issuer", k->source);
    }
  const unsigned char *p = der + len - 4;
  k->keyids[k->n_keyids++] = oima_read_be32 (p);
  OPENSSL_free (der);
  return TRUE;
}

static gboolean
trusted_key_has_id (const TrustedKey *k, guint32 keyid)
{
  for (guint i = 0; i < k->n_keyids; i++)
    if (k->keyids[i] == keyid)
      return TRUE;
  return FALSE;
}

static gboolean
add_cert_file (OimaTrust *trust, const char *path, GError **error)
{
  g_autoptr (GPtrArray) certs = oima_key_loader_load_certs (path, error);
  if (certs == NULL)
    return FALSE;
  for (guint i = 0; i < certs->len; i++)
    {
      X509 *cert = certs->pdata[i];
      EVP_PKEY *pkey = X509_get0_pubkey (cert);
      if (pkey == NULL)
        return oima_throw_openssl (error, "Certificate %s: cannot read its public key", path);
      TrustedKey k = { { 0 }, 0, NULL, g_strdup (path) };
      if (!cert_keyids (cert, &k, error))
        {
          g_free (k.source);
          return FALSE;
        }
      EVP_PKEY_up_ref (pkey);
      k.pkey = pkey;
      g_autofree char *problem = oima_cert_describe_problem (cert);
      if (problem)
        g_ptr_array_add (trust->problems, g_strdup_printf ("certificate %s: %s", path, problem));
      g_array_append_val (trust->keys, k);
    }
  return TRUE;
}

gboolean
oima_trust_add_path (OimaTrust *trust, const char *path, GError **error)
{
  g_autoptr (GPtrArray) names = oima_key_loader_cert_files (path, error);
  if (names == NULL)
    return FALSE;
  for (guint i = 0; i < names->len; i++)
    if (!add_cert_file (trust, names->pdata[i], error))
      return FALSE;
  return TRUE;
}

GPtrArray *
oima_trust_get_problems (OimaTrust *trust)
{
  return trust->problems;
}

guint
oima_trust_get_n_keys (OimaTrust *trust)
{
  return trust->keys->len;
}

static void
set_result (OimaVerifyStatus *out_status, char **out_detail, OimaVerifyStatus status, char *detail)
{
  *out_status = status;
  if (out_detail)
    *out_detail = detail;
  else
    g_free (detail);
}

gboolean
oima_trust_verify_ima_digest (OimaTrust *trust, GBytes *ima, OimaHashAlgo digest_algo,
                              const guint8 *digest, gsize digest_len, OimaVerifyStatus *out_status,
                              char **out_detail, GError **error)
{
  if (out_detail)
    *out_detail = NULL;
  if (ima == NULL)
    {
      set_result (out_status, out_detail, OIMA_VERIFY_UNSIGNED, g_strdup ("no security.ima"));
      return TRUE;
    }
  OimaXattrValue v;
  g_autoptr (GError) local_error = NULL;
  if (!oima_xattr_decode_bytes (ima, &v, &local_error))
    {
      set_result (out_status, out_detail, OIMA_VERIFY_BAD_SIGNATURE,
                  g_strdup_printf ("malformed security.ima: %s", local_error->message));
      return TRUE;
    }
  if (v.algo != digest_algo)
    return oima_throw (error, "Internal error: content hashed with %s, value uses %s",
                       oima_hash_algo_name (digest_algo), oima_hash_algo_name (v.algo));

  switch (v.type)
    {
    case OIMA_XATTR_TYPE_IMA_DIGEST:
    case OIMA_XATTR_TYPE_IMA_DIGEST_NG:
      if (v.digest_len == digest_len && memcmp (v.digest, digest, digest_len) == 0)
        set_result (out_status, out_detail, OIMA_VERIFY_DIGEST_ONLY,
                    g_strdup_printf ("%s hash, no signature", oima_hash_algo_name (v.algo)));
      else
        set_result (
            out_status, out_detail, OIMA_VERIFY_DIGEST_MISMATCH,
            g_strdup_printf ("%s hash does not match the content", oima_hash_algo_name (v.algo)));
      return TRUE;
    case OIMA_XATTR_TYPE_DIGSIG:
      break;
    default:
      set_result (
          out_status, out_detail, OIMA_VERIFY_BAD_SIGNATURE,
          g_strdup_printf ("%s is not an IMA file signature", oima_xattr_type_name (v.type)));
      return TRUE;
    }
  if (v.version != 2)
    {
      set_result (out_status, out_detail, OIMA_VERIFY_BAD_SIGNATURE,
                  g_strdup ("signature v1 is deprecated and not verified"));
      return TRUE;
    }

  oima_trust_verify_signature (trust, &v, digest, digest_len, out_status, out_detail);
  return TRUE;
}

void
oima_trust_verify_signature (OimaTrust *trust, const OimaXattrValue *v, const guint8 *digest,
                             gsize digest_len, OimaVerifyStatus *out_status, char **out_detail)
{
  if (out_detail)
    *out_detail = NULL;
  gboolean key_found = FALSE;
  for (guint i = 0; i < trust->keys->len; i++)
    {
      TrustedKey *k = &g_array_index (trust->keys, TrustedKey, i);
      if (!trusted_key_has_id (k, v->keyid))
        continue;
      key_found = TRUE;
      if (oima_pkey_verify_digest (k->pkey, v->algo, digest, digest_len, v->sig, v->sig_len))
        {
          set_result (out_status, out_detail, OIMA_VERIFY_VALID, NULL);
          return;
        }
    }
  if (!key_found)
    set_result (out_status, out_detail, OIMA_VERIFY_UNKNOWN_KEY,
                g_strdup_printf ("no trusted certificate has key id %08x", v->keyid));
  else
    set_result (out_status, out_detail, OIMA_VERIFY_BAD_SIGNATURE,
                g_strdup_printf ("%s signature by key %08x does not match the content",
                                 oima_hash_algo_name (v->algo), v->keyid));
}

gboolean
oima_trust_verify_ima (OimaTrust *trust, GBytes *ima, GInputStream *content,
                       OimaVerifyStatus *out_status, char **out_detail, GCancellable *cancellable,
                       GError **error)
{
  OimaHashAlgo algo = oima_xattr_value_algo (ima, OIMA_HASH_SHA256);
  if (ima != NULL && !oima_hash_algo_is_available (algo))
    {
      set_result (out_status, out_detail, OIMA_VERIFY_BAD_SIGNATURE,
                  g_strdup_printf ("hash algorithm %s is not available to verify",
                                   oima_hash_algo_name (algo)));
      return TRUE;
    }
  guint8 digest[OIMA_MAX_DIGEST_SIZE];
  gsize digest_len = 0;
  if (ima != NULL && !oima_hash_stream (algo, content, digest, &digest_len, cancellable, error))
    return FALSE;
  return oima_trust_verify_ima_digest (trust, ima, algo, digest, digest_len, out_status, out_detail,
                                       error);
}
