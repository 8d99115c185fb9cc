/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A set of trusted certificates, as a device's _ima keyring would hold them,
 * and verification of security.ima values against file content.
 */
#pragma once

#include <gio/gio.h>

#include "oima-hash.h"
#include "oima-xattr-codec.h"

G_BEGIN_DECLS

typedef struct _OimaTrust OimaTrust;

typedef enum {
  OIMA_VERIFY_VALID,         /* signature v2 by a trusted key over the content */
  OIMA_VERIFY_UNSIGNED,      /* no security.ima */
  OIMA_VERIFY_BAD_SIGNATURE, /* signature does not match content, or malformed */
  OIMA_VERIFY_UNKNOWN_KEY,   /* signed with a key id that no trusted cert has */
  OIMA_VERIFY_DIGEST_ONLY,   /* a hash (0x01/0x04) that matches the content */
  OIMA_VERIFY_DIGEST_MISMATCH, /* a hash that does not match the content */
} OimaVerifyStatus;

const char *oima_verify_status_name (OimaVerifyStatus status);

OimaTrust *oima_trust_new (void);
OimaTrust *oima_trust_ref (OimaTrust *trust);
void oima_trust_unref (OimaTrust *trust);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OimaTrust, oima_trust_unref)

/* Add one certificate (PEM or DER, a PEM file may hold several) or every
 * certificate file in a directory (like /etc/keys/ima). */
gboolean oima_trust_add_path (OimaTrust *trust, const char *path, GError **error);
guint oima_trust_get_n_keys (OimaTrust *trust);

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

G_END_DECLS
