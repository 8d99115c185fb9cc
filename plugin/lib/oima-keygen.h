/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A signing key and a self-signed X.509 certificate that the kernel accepts
 * in its _ima / _evm keyrings: subjectKeyIdentifier=hash,
 * keyUsage=digitalSignature, basicConstraints=CA:FALSE.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum
{
  OIMA_KEY_TYPE_RSA,
  OIMA_KEY_TYPE_EC_P256,
  OIMA_KEY_TYPE_EC_P384,
} OimaKeyType;

typedef struct
{
  OimaKeyType type;
  guint rsa_bits;      /* 0 = 3072 */
  guint days;          /* 0 = 3650 */
  const char *subject; /* common name; NULL = "ostree-ima signing key" */
} OimaKeygenOptions;

/* Write @dir/ima-key.pem (mode 0600, written via a temp file), and
 * @dir/ima-cert.pem and @dir/ima-cert.der.  Refuses to overwrite an existing
 * key. @out_keyid gets the key id signatures will carry. */
gboolean oima_keygen (const char *dir, const OimaKeygenOptions *options, guint32 *out_keyid,
                      GError **error);

G_END_DECLS
