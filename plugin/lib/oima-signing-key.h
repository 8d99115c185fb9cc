/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A private key that signs IMA digests, with the 4-byte key id the kernel
 * uses to find the matching certificate.  Immutable once loaded: one key may
 * be used from many threads at once.
 */
#pragma once

#include <gio/gio.h>
#include <openssl/evp.h>

#include "oima-hash.h"
#include "oima-xattr-codec.h"

G_BEGIN_DECLS

typedef struct _OimaSigningKey OimaSigningKey;

/* Load a private key from a PEM or DER file (optionally encrypted), or from
 * an OpenSSL store URI such as "pkcs11:...".  The key id is computed from the
 * public key as evmctl does.  Errors never contain key material or the
 * passphrase. */
OimaSigningKey *oima_signing_key_load (const char *key, const char *passphrase, GError **error);

typedef enum
{
  /* An unencrypted key file readable by group or others is
   * OIMA_ERROR_INSECURE_KEY. */
  OIMA_KEY_LOAD_REFUSE_INSECURE = 1 << 0,
} OimaKeyLoadFlags;

OimaSigningKey *oima_signing_key_load_full (const char *key, const char *passphrase,
                                            OimaKeyLoadFlags flags, GError **error);

OimaSigningKey *oima_signing_key_ref (OimaSigningKey *key);
void oima_signing_key_unref (OimaSigningKey *key);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OimaSigningKey, oima_signing_key_unref)

/* Take the key id from @cert_path (PEM or DER): last 4 bytes of its
 * subjectKeyIdentifier.  Fails if the certificate's public key is not the
 * signing key's. */
gboolean oima_signing_key_use_cert (OimaSigningKey *key, const char *cert_path, GError **error);
/* Parse "0x1234abcd" or "1234abcd". */
/* What oima_cert_describe_problem says of the certificate given to
 * oima_signing_key_use_cert (expired, keyUsage, ...), or NULL. */
const char *oima_signing_key_get_cert_problem (OimaSigningKey *key);

gboolean oima_signing_key_set_keyid_hex (OimaSigningKey *key, const char *hex, GError **error);

guint32 oima_signing_key_get_keyid (OimaSigningKey *key);
/* "RSA-2048", "EC-P-256" */
const char *oima_signing_key_describe (OimaSigningKey *key);
EVP_PKEY *oima_signing_key_get_pkey (OimaSigningKey *key);
/* SHA-256 of the DER SubjectPublicKeyInfo, hex; identifies the key in caches. */
const char *oima_signing_key_get_fingerprint (OimaSigningKey *key);

/* Raw signature over a precomputed @digest (PKCS#1 v1.5 with DigestInfo for
 * RSA, DER for ECDSA). */
GBytes *oima_signing_key_sign_digest (OimaSigningKey *key, OimaHashAlgo algo, const guint8 *digest,
                                      gsize digest_len, GError **error);

/* A complete signature v2 xattr value of @type (0x03 for security.ima,
 * 0x05 for a portable security.evm) over @digest. */
GBytes *oima_signing_key_sign_xattr (OimaSigningKey *key, OimaXattrType type, OimaHashAlgo algo,
                                     const guint8 *digest, gsize digest_len, GError **error);

/* TRUE if @sig is a valid signature by @pkey's public half over @digest
 * (PKCS#1 v1.5 with DigestInfo for RSA, DER for ECDSA). */
gboolean oima_pkey_verify_digest (EVP_PKEY *pkey, OimaHashAlgo algo, const guint8 *digest,
                                  gsize digest_len, const guint8 *sig, gsize sig_len);

/* TRUE if @value is a signature v2 of @type by this key (its key id and
 * public half), in @algo, over @digest: a signature this key made. */
gboolean oima_signing_key_made (OimaSigningKey *key, GBytes *value, OimaXattrType type,
                                OimaHashAlgo algo, const guint8 *digest, gsize digest_len);

/* Key id of a public key as evmctl computes it: SHA-1 over the
 * subjectPublicKey BIT STRING contents, bytes 16..19. */
gboolean oima_keyid_from_pkey (EVP_PKEY *pkey, guint32 *out_keyid, GError **error);

G_END_DECLS
