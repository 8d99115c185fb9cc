/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A set of trusted certificates, as a device's _ima keyring would hold them,
 * and verification of security.ima values against file content.
 *
 *   g_autoptr(OimaTrust) trust = oima_trust_new ();
 *   oima_trust_add_path (trust, "/etc/keys/ima", &error);
 *   oima_trust_verify_ima_digest (trust, ima, OIMA_HASH_SHA256, digest, len,
 *                                 &status, &detail, &error);
 *
 * Once shared between threads a trust is read-only: add every certificate
 * first.
 */
#pragma once

#include <gio/gio.h>

#include "oima-hash.h"
#include "oima-verdict.h"
#include "oima-xattr-codec.h"

G_BEGIN_DECLS

typedef struct _OimaTrust OimaTrust;

OimaTrust *oima_trust_new (void);
OimaTrust *oima_trust_ref (OimaTrust *trust);
void oima_trust_unref (OimaTrust *trust);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OimaTrust, oima_trust_unref)

/* Add one certificate (PEM or DER, a PEM file may hold several) or every
 * certificate file in a directory (like /etc/keys/ima). */
gboolean oima_trust_add_path (OimaTrust *trust, const char *path, GError **error);
guint oima_trust_get_n_keys (OimaTrust *trust);

/* What an operator should know about the certificates added (expired, not
 * yet valid, keyUsage without digitalSignature: the kernel uses them all
 * the same): strings, one line each, owned by @trust. */
GPtrArray *oima_trust_get_problems (OimaTrust *trust);

/* Verify @ima (may be NULL: unsigned) against the content readable from
 * @content.  @out_detail gets a one-line human explanation for anything but
 * VALID.  Returns FALSE only on I/O errors. Thread-safe. */
gboolean oima_trust_verify_ima (OimaTrust *trust, GBytes *ima, GInputStream *content,
                                OimaVerifyStatus *out_status, char **out_detail,
                                GCancellable *cancellable, GError **error);

/* Same, with a precomputed content digest in the signature's algorithm
 * (@digest_algo must equal the value's algorithm; else BAD_SIGNATURE). */
gboolean oima_trust_verify_ima_digest (OimaTrust *trust, GBytes *ima, OimaHashAlgo digest_algo,
                                       const guint8 *digest, gsize digest_len,
                                       OimaVerifyStatus *out_status, char **out_detail,
                                       GError **error);

/* Check a decoded signature v2 value (security.ima type 0x03 or a portable
 * security.evm, type 0x05) over @digest, computed with the value's own
 * algorithm: VALID, UNKNOWN_KEY (no trusted key has its key id) or
 * BAD_SIGNATURE. */
void oima_trust_verify_signature (OimaTrust *trust, const OimaXattrValue *value,
                                  const guint8 *digest, gsize digest_len,
                                  OimaVerifyStatus *out_status, char **out_detail);

G_END_DECLS
