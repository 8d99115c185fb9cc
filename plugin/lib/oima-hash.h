/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Hash algorithms as the kernel numbers them (include/uapi/linux/hash_info.h),
 * and streaming digests through OpenSSL EVP.
 */
#pragma once

#include <gio/gio.h>
#include <openssl/evp.h>

G_BEGIN_DECLS

typedef enum
{
  OIMA_HASH_MD4 = 0,
  OIMA_HASH_MD5 = 1,
  OIMA_HASH_SHA1 = 2,
  OIMA_HASH_RIPEMD160 = 3,
  OIMA_HASH_SHA256 = 4,
  OIMA_HASH_SHA384 = 5,
  OIMA_HASH_SHA512 = 6,
  OIMA_HASH_SHA224 = 7,
  OIMA_HASH_SM3_256 = 17,
  OIMA_HASH_STREEBOG_256 = 18,
  OIMA_HASH_STREEBOG_512 = 19,
} OimaHashAlgo;

/* Largest digest any supported algorithm produces. */
#define OIMA_MAX_DIGEST_SIZE 64

gboolean oima_hash_algo_from_name (const char *name, OimaHashAlgo *out_algo, GError **error);
gboolean oima_hash_algo_from_kernel_id (guint id, OimaHashAlgo *out_algo, GError **error);
const char *oima_hash_algo_name (OimaHashAlgo algo);
/* Returns 0 for an algorithm this build of OpenSSL cannot compute. */
gsize oima_hash_algo_digest_size (OimaHashAlgo algo);
/* TRUE for md4, md5, sha1 and ripemd160: the kernel accepts them, but
 * collisions are practical (or close), so signatures over them prove
 * little.  Refused unless a front end explicitly allows them. */
gboolean oima_hash_algo_is_weak (OimaHashAlgo algo);

/* TRUE if OpenSSL can compute (and sign with) this algorithm. */
gboolean oima_hash_algo_is_available (OimaHashAlgo algo);

/* Whether to sign with @algo: an error if OpenSSL lacks it, or
 * (OIMA_ERROR_WEAK_HASH) if it is weak and not @allow_weak. */
gboolean oima_hash_algo_check_signing (OimaHashAlgo algo, gboolean allow_weak, GError **error);

/* The OpenSSL digest for @algo, or NULL if this OpenSSL lacks it. */
EVP_MD *oima_hash_algo_fetch_md (OimaHashAlgo algo);

/* The digest functions below fill @out_digest, which must hold
 * OIMA_MAX_DIGEST_SIZE bytes, and set @out_len to the digest's length. */

/* Reads up to @len bytes into @buf: the count, 0 at the end, -1 with
 * @error set. */
typedef gssize (*OimaHashReadFunc) (gpointer data, guint8 *buf, gsize len,
                                    GCancellable *cancellable, GError **error);
/* Digest of everything @read_func reads from @data. */
gboolean oima_hash_read (OimaHashAlgo algo, OimaHashReadFunc read_func, gpointer data,
                         guint8 *out_digest, gsize *out_len, GCancellable *cancellable,
                         GError **error);
/* Digest of everything readable from @stream (not closed). */
gboolean oima_hash_stream (OimaHashAlgo algo, GInputStream *stream, guint8 *out_digest,
                           gsize *out_len, GCancellable *cancellable, GError **error);
gboolean oima_hash_fd (OimaHashAlgo algo, int fd, guint8 *out_digest, gsize *out_len,
                       GCancellable *cancellable, GError **error);
gboolean oima_hash_buffer (OimaHashAlgo algo, const void *data, gsize len, guint8 *out_digest,
                           gsize *out_len, GError **error);
/* Digest of @n_parts buffers, one after the other. */
gboolean oima_hash_bytes_v (OimaHashAlgo algo, GBytes *const *parts, gsize n_parts,
                            guint8 *out_digest, gsize *out_len, GError **error);

G_END_DECLS
