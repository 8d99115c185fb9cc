/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * PKCS#11 private keys through libp11's OpenSSL engine: the one place the
 * deprecated ENGINE API is used (Debian 12 has no pkcs11 provider).
 * Internal: use oima_signing_key_load() with a "pkcs11:" URI.
 */
#pragma once

#include <gio/gio.h>
#include <openssl/evp.h>

G_BEGIN_DECLS

/* Log in with @pin (may be NULL) and load the key @uri names.  Errors never
 * echo the URI or the PIN; OIMA_ERROR_PASSPHRASE_NEEDED / _WRONG for a failed
 * login. */
EVP_PKEY *oima_key_engine_load_pkcs11 (const char *uri, const char *pin, GError **error);

G_END_DECLS
