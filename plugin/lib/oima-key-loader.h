/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Loading keys and certificates: PEM or DER files (private keys optionally
 * encrypted), OpenSSL store URIs, and PKCS#11 URIs.  Internal.
 */
#pragma once

#include <gio/gio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

G_BEGIN_DECLS

/* @out_from_token is set when the key lives in a hardware/soft token.
 * With @refuse_insecure, an unencrypted key file that group or others can
 * read is OIMA_ERROR_INSECURE_KEY. */
EVP_PKEY *oima_key_loader_load_private (const char *key, const char *passphrase,
                                        gboolean refuse_insecure, gboolean *out_from_token,
                                        GError **error);

/* One certificate, PEM or DER. */
X509 *oima_key_loader_load_cert (const char *path, GError **error);

/* Every certificate in a PEM or DER file (a PEM file may hold several). */
GPtrArray *oima_key_loader_load_certs (const char *path, GError **error);

/* The certificate files @path names: itself, or for a directory (a
 * keyring directory such as /etc/keys/ima) its regular files, sorted; a
 * directory without any is an error. */
GPtrArray *oima_key_loader_cert_files (const char *path, GError **error);

/* Why an operator should look at @cert although the kernel would use it
 * (the kernel ignores validity dates and keyUsage): "expired on ...", "not
 * valid before ...", "its keyUsage does not allow digitalSignature"; NULL
 * when there is nothing to say. */
char *oima_cert_describe_problem (X509 *cert);

/* Key id the kernel finds @cert by: the last 4 bytes of its
 * subjectKeyIdentifier.  FALSE if it has none. */
gboolean oima_cert_skid_keyid (X509 *cert, guint32 *out_keyid);

G_END_DECLS
