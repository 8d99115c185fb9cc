/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/ui.h>

#include "oima-key-loader.h"
#include "oima-signing-key.h"
#include "oima-util.h"

struct _OimaSigningKey
{
  gint refcount;
  EVP_PKEY *pkey;
  guint32 keyid;
  char *description;
  char *fingerprint;
  char *cert_problem; /* of the certificate given with use_cert */
  /* Keys that live in a token go through an engine that we do not trust to
   * sign from several threads at once: serialize them.  Per key, no globals. */
  gboolean serialize;
  GMutex sign_lock;
};

gboolean
oima_pkey_verify_digest (EVP_PKEY *pkey, OimaHashAlgo algo, const guint8 *digest, gsize digest_len,
                         const guint8 *sig, gsize sig_len)
{
  g_autoptr (EVP_MD) md = oima_hash_algo_fetch_md (algo);
  g_autoptr (EVP_PKEY_CTX) ctx = EVP_PKEY_CTX_new (pkey, NULL);
  gboolean ok = md != NULL && ctx != NULL && EVP_PKEY_verify_init (ctx) > 0
                && (!EVP_PKEY_is_a (pkey, "RSA")
                    || EVP_PKEY_CTX_set_rsa_padding (ctx, RSA_PKCS1_PADDING) > 0)
                && EVP_PKEY_CTX_set_signature_md (ctx, md) > 0
                && EVP_PKEY_verify (ctx, sig, sig_len, digest, digest_len) == 1;
  ERR_clear_error ();
  return ok;
}

gboolean
oima_signing_key_made (OimaSigningKey *key, GBytes *value, OimaXattrType type, OimaHashAlgo algo,
                       const guint8 *digest, gsize digest_len)
{
  OimaXattrValue v;
  if (!oima_xattr_decode_bytes (value, &v, NULL))
    return FALSE;
  return v.type == type && v.version == 2 && v.algo == algo && v.keyid == key->keyid
         && oima_pkey_verify_digest (key->pkey, algo, digest, digest_len, v.sig, v.sig_len);
}

gboolean
oima_keyid_from_pkey (EVP_PKEY *pkey, guint32 *out_keyid, GError **error)
{
  X509_PUBKEY *xpk_raw = NULL;
  if (!X509_PUBKEY_set (&xpk_raw, pkey))
    return oima_throw_openssl (error, "Encoding public key");
  g_autoptr (X509_PUBKEY) xpk = xpk_raw;
  const unsigned char *pk = NULL;
  int pklen = 0;
  if (!X509_PUBKEY_get0_param (NULL, &pk, &pklen, NULL, xpk))
    return oima_throw_openssl (error, "Reading public key");
  guint8 sha1[20];
  gsize sha1_len = 0;
  if (!oima_hash_buffer (OIMA_HASH_SHA1, pk, pklen, sha1, &sha1_len, error))
    return FALSE;
  *out_keyid = oima_read_be32 (sha1 + 16);
  return TRUE;
}

static char *
describe_pkey (EVP_PKEY *pkey)
{
  if (EVP_PKEY_is_a (pkey, "RSA"))
    return g_strdup_printf ("RSA-%d", EVP_PKEY_get_bits (pkey));
  if (EVP_PKEY_is_a (pkey, "EC"))
    {
      char group[64] = "";
      size_t len = 0;
      if (!EVP_PKEY_get_utf8_string_param (pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof (group),
                                           &len))
        {
          ERR_clear_error ();
          /* Engine-backed keys may not expose parameters; size tells. */
          return g_strdup_printf ("EC-%d", EVP_PKEY_get_bits (pkey));
        }
      if (g_str_equal (group, "prime256v1") || g_str_equal (group, "P-256"))
        return g_strdup ("EC-P-256");
      if (g_str_equal (group, "secp384r1") || g_str_equal (group, "P-384"))
        return g_strdup ("EC-P-384");
      return g_strdup_printf ("EC-%s", group);
    }
  const char *name = EVP_PKEY_get0_type_name (pkey);
  return g_strdup (name ? name : "unknown");
}

static gboolean
check_supported (EVP_PKEY *pkey, const char *description, GError **error)
{
  if (EVP_PKEY_is_a (pkey, "RSA"))
    {
      /* The kernel's rsa_check_key_length() (FIPS-safe sizes). */
      int bits = EVP_PKEY_get_bits (pkey);
      if (bits != 2048 && bits != 3072 && bits != 4096)
        return oima_throw (error,
                           "Unsupported key %s: the kernel verifies RSA keys of 2048, 3072 or "
                           "4096 bits",
                           description);
      return TRUE;
    }
  if (EVP_PKEY_is_a (pkey, "EC"))
    {
      if (!g_str_equal (description, "EC-P-256") && !g_str_equal (description, "EC-P-384"))
        return oima_throw (error,
                           "Unsupported key %s: the kernel verifies ECDSA on NIST P-256 and "
                           "P-384 only",
                           description);
      return TRUE;
    }
  return oima_throw (error, "Unsupported key type %s: use RSA or ECDSA (P-256, P-384)",
                     description);
}

static char *
fingerprint_pkey (EVP_PKEY *pkey, GError **error)
{
  unsigned char *der = NULL;
  int len = i2d_PUBKEY (pkey, &der);
  if (len <= 0)
    return oima_null_throw_openssl (error, "Encoding public key");
  guint8 digest[OIMA_MAX_DIGEST_SIZE];
  gsize digest_len = 0;
  gboolean ok = oima_hash_buffer (OIMA_HASH_SHA256, der, len, digest, &digest_len, error);
  OPENSSL_free (der);
  if (!ok)
    return NULL;
  return oima_hex_encode (digest, digest_len);
}

OimaSigningKey *
oima_signing_key_load (const char *key, const char *passphrase, GError **error)
{
  return oima_signing_key_load_full (key, passphrase, 0, error);
}

OimaSigningKey *
oima_signing_key_load_full (const char *key, const char *passphrase, OimaKeyLoadFlags flags,
                            GError **error)
{
  gboolean from_token = FALSE;
  g_autoptr (EVP_PKEY) pkey = oima_key_loader_load_private (
      key, passphrase, (flags & OIMA_KEY_LOAD_REFUSE_INSECURE) != 0, &from_token, error);
  if (pkey == NULL)
    return NULL;

  g_autofree char *description = describe_pkey (pkey);
  if (!check_supported (pkey, description, error))
    return NULL;
  guint32 keyid = 0;
  if (!oima_keyid_from_pkey (pkey, &keyid, error))
    return NULL;
  g_autofree char *fingerprint = fingerprint_pkey (pkey, error);
  if (fingerprint == NULL)
    return NULL;

  OimaSigningKey *self = g_new0 (OimaSigningKey, 1);
  self->refcount = 1;
  self->pkey = g_steal_pointer (&pkey);
  self->keyid = keyid;
  self->description = g_steal_pointer (&description);
  self->fingerprint = g_steal_pointer (&fingerprint);
  self->serialize = from_token;
  g_mutex_init (&self->sign_lock);
  return self;
}

OimaSigningKey *
oima_signing_key_ref (OimaSigningKey *key)
{
  g_atomic_int_inc (&key->refcount);
  return key;
}

void
oima_signing_key_unref (OimaSigningKey *key)
{
  if (!g_atomic_int_dec_and_test (&key->refcount))
    return;
  EVP_PKEY_free (key->pkey);
  g_free (key->description);
  g_free (key->fingerprint);
  g_free (key->cert_problem);
  g_mutex_clear (&key->sign_lock);
  g_free (key);
}

gboolean
oima_signing_key_use_cert (OimaSigningKey *key, const char *cert_path, GError **error)
{
  g_autoptr (X509) cert = oima_key_loader_load_cert (cert_path, error);
  if (cert == NULL)
    return FALSE;
  EVP_PKEY *cert_pkey = X509_get0_pubkey (cert);
  if (cert_pkey == NULL)
    return oima_throw_openssl (error, "Certificate %s: cannot read its public key", cert_path);
  if (EVP_PKEY_eq (cert_pkey, key->pkey) != 1)
    {
      ERR_clear_error ();
      return oima_throw (error, "Certificate %s does not match the signing key", cert_path);
    }
  g_free (key->cert_problem);
  key->cert_problem = oima_cert_describe_problem (cert);
  if (!oima_cert_skid_keyid (cert, &key->keyid))
    return oima_throw (error,
                       "Certificate %s has no subjectKeyIdentifier: the kernel could not find "
                       "it by key id (create it with subjectKeyIdentifier=hash)",
                       cert_path);
  return TRUE;
}

const char *
oima_signing_key_get_cert_problem (OimaSigningKey *key)
{
  return key->cert_problem;
}

gboolean
oima_signing_key_set_keyid_hex (OimaSigningKey *key, const char *hex, GError **error)
{
  const char *p = hex;
  if (g_str_has_prefix (p, "0x") || g_str_has_prefix (p, "0X"))
    p += 2;
  gsize n = strlen (p);
  if (n == 0 || n > 8)
    return oima_throw (error, "Invalid key id '%s': expected up to 8 hex digits", hex);
  guint32 v = 0;
  for (gsize i = 0; i < n; i++)
    {
      int d = g_ascii_xdigit_value (p[i]);
      if (d < 0)
        return oima_throw (error, "Invalid key id '%s': expected up to 8 hex digits", hex);
      v = (v << 4) | (guint32)d;
    }
  key->keyid = v;
  return TRUE;
}

guint32
oima_signing_key_get_keyid (OimaSigningKey *key)
{
  return key->keyid;
}

const char *
oima_signing_key_describe (OimaSigningKey *key)
{
  return key->description;
}

EVP_PKEY *
oima_signing_key_get_pkey (OimaSigningKey *key)
{
  return key->pkey;
}

const char *
oima_signing_key_get_fingerprint (OimaSigningKey *key)
{
  return key->fingerprint;
}

static GBytes *
sign_digest_unlocked (OimaSigningKey *key, OimaHashAlgo algo, const guint8 *digest,
                      gsize digest_len, GError **error)
{
  g_autoptr (EVP_MD) md = oima_hash_algo_fetch_md (algo);
  if (md == NULL)
    return oima_null_throw (error, "Hash algorithm %s is not available in this OpenSSL",
                            oima_hash_algo_name (algo));
  if ((gsize)EVP_MD_get_size (md) != digest_len)
    return oima_null_throw (error, "Digest of %" G_GSIZE_FORMAT " bytes is not a %s digest",
                            digest_len, oima_hash_algo_name (algo));
  g_autoptr (EVP_PKEY_CTX) ctx = EVP_PKEY_CTX_new (key->pkey, NULL);
  if (ctx == NULL || EVP_PKEY_sign_init (ctx) <= 0)
    return oima_null_throw_openssl (error, "Initializing signature with %s", key->description);
  if (EVP_PKEY_is_a (key->pkey, "RSA")
      && EVP_PKEY_CTX_set_rsa_padding (ctx, RSA_PKCS1_PADDING) <= 0)
    return oima_null_throw_openssl (error, "Setting RSA PKCS#1 v1.5 padding");
  if (EVP_PKEY_CTX_set_signature_md (ctx, md) <= 0)
    return oima_null_throw_openssl (error, "Setting signature hash %s", oima_hash_algo_name (algo));
  size_t sig_len = 0;
  if (EVP_PKEY_sign (ctx, NULL, &sig_len, digest, digest_len) <= 0)
    return oima_null_throw_openssl (error, "Signing with %s", key->description);
  g_autofree guint8 *sig = g_malloc (sig_len);
  if (EVP_PKEY_sign (ctx, sig, &sig_len, digest, digest_len) <= 0)
    return oima_null_throw_openssl (error, "Signing with %s", key->description);
  return g_bytes_new_take (g_steal_pointer (&sig), sig_len);
}

GBytes *
oima_signing_key_sign_digest (OimaSigningKey *key, OimaHashAlgo algo, const guint8 *digest,
                              gsize digest_len, GError **error)
{
  if (!key->serialize)
    return sign_digest_unlocked (key, algo, digest, digest_len, error);
  g_mutex_lock (&key->sign_lock);
  GBytes *ret = sign_digest_unlocked (key, algo, digest, digest_len, error);
  g_mutex_unlock (&key->sign_lock);
  return ret;
}

GBytes *
oima_signing_key_sign_xattr (OimaSigningKey *key, OimaXattrType type, OimaHashAlgo algo,
                             const guint8 *digest, gsize digest_len, GError **error)
{
  g_autoptr (GBytes) sig = oima_signing_key_sign_digest (key, algo, digest, digest_len, error);
  if (sig == NULL)
    return NULL;
  gsize sig_len = 0;
  const guint8 *sig_data = g_bytes_get_data (sig, &sig_len);
  return oima_xattr_encode_sig_v2 (type, algo, key->keyid, sig_data, sig_len, error);
}
