/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Internal helpers: GError shortcuts in the style of libglnx, and g_autoptr
 * support for the OpenSSL types the library uses.  Not installed.
 */
#pragma once

#include <errno.h>
#include <unistd.h>

#include <gio/gio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/store.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "oima-error.h"
#include "oima-hash.h"

G_BEGIN_DECLS

/* Set a G_IO_ERROR_FAILED error and return FALSE. */
gboolean oima_throw (GError **error, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
#define oima_null_throw(error, ...) (oima_throw (error, __VA_ARGS__), NULL)

/* Prefix @what to strerror(errno), keeping the GIOErrorEnum code. */
gboolean oima_throw_errno (GError **error, const char *what);

/* Message plus the reason of the most recent OpenSSL error (the queue is
 * cleared).  OpenSSL reasons never contain key material. */
gboolean oima_throw_openssl (GError **error, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
#define oima_null_throw_openssl(error, ...) (oima_throw_openssl (error, __VA_ARGS__), NULL)

/* Prepend "@prefix: " to an existing error message. */
void oima_prefix_error (GError **error, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

/* The big-endian u32 at @p (key ids in signatures, SKIDs, issuer names). */
static inline guint32
oima_read_be32 (const guint8 *p)
{
  return ((guint32)p[0] << 24) | ((guint32)p[1] << 16) | ((guint32)p[2] << 8) | p[3];
}

/* strcmp for g_ptr_array_sort over C strings. */
gint oima_strcmp_p (gconstpointer a, gconstpointer b);

/* Close on scope exit: `oima_autofd int fd = -1;` */
static inline void
oima_close_fdp (int *fdp)
{
  if (*fdp >= 0)
    {
      int errsv = errno;
      (void)close (*fdp);
      errno = errsv;
    }
}
#define oima_autofd __attribute__ ((cleanup (oima_close_fdp)))

/* One read(2) of up to @len bytes, retried on EINTR: the count, 0 at the
 * end, -1 with @error set. */
gssize oima_fd_read (int fd, void *buf, gsize len, GCancellable *cancellable, GError **error);

/* g_input_stream_read_all(), but a stream over a file descriptor is read
 * with read(2) directly: GUnixInputStream polls before every read. */
gboolean oima_input_stream_read_all (GInputStream *in, void *buf, gsize len, gsize *out_n,
                                     GCancellable *cancellable, GError **error);

/* Hex without separators, lower case. */
char *oima_hex_encode (const guint8 *data, gsize len);

/* Append @s to @out as a JSON string (quoted, escaped).  File names need
 * not be UTF-8: invalid bytes become U+FFFD, so the output stays JSON. */
void oima_json_append_string (GString *out, const char *s);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_MD, EVP_MD_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_MD_CTX, EVP_MD_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_PKEY, EVP_PKEY_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_PKEY_CTX, EVP_PKEY_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509, X509_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509_PUBKEY, X509_PUBKEY_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509_NAME, X509_NAME_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509_EXTENSION, X509_EXTENSION_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ASN1_OCTET_STRING, ASN1_OCTET_STRING_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BIO, BIO_free_all)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OSSL_STORE_CTX, OSSL_STORE_close)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OSSL_STORE_INFO, OSSL_STORE_INFO_free)

G_END_DECLS
