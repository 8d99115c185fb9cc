/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <gio/gfiledescriptorbased.h>
#include <openssl/evp.h>

#include "oima-hash.h"
#include "oima-util.h"

typedef struct
{
  OimaHashAlgo algo;
  const char *name;         /* kernel / evmctl name */
  const char *openssl_name; /* EVP_MD_fetch name */
} HashAlgoInfo;

static const HashAlgoInfo hash_algos[] = {
  { OIMA_HASH_MD4, "md4", "MD4" },
  { OIMA_HASH_MD5, "md5", "MD5" },
  { OIMA_HASH_SHA1, "sha1", "SHA1" },
  { OIMA_HASH_RIPEMD160, "rmd160", "RIPEMD160" },
  { OIMA_HASH_SHA256, "sha256", "SHA256" },
  { OIMA_HASH_SHA384, "sha384", "SHA384" },
  { OIMA_HASH_SHA512, "sha512", "SHA512" },
  { OIMA_HASH_SHA224, "sha224", "SHA224" },
  { OIMA_HASH_SM3_256, "sm3", "SM3" },
  { OIMA_HASH_STREEBOG_256, "streebog256", "streebog256" },
  { OIMA_HASH_STREEBOG_512, "streebog512", "streebog512" },
};

static const HashAlgoInfo *
lookup_info (OimaHashAlgo algo)
{
  for (gsize i = 0; i < G_N_ELEMENTS (hash_algos); i++)
    if (hash_algos[i].algo == algo)
      return &hash_algos[i];
  return NULL;
}

gboolean
oima_hash_algo_from_name (const char *name, OimaHashAlgo *out_algo, GError **error)
{
  for (gsize i = 0; i < G_N_ELEMENTS (hash_algos); i++)
    {
      const HashAlgoInfo *info = &hash_algos[i];
      if (g_ascii_strcasecmp (name, info->name) == 0
          || g_ascii_strcasecmp (name, info->openssl_name) == 0
          || (info->algo == OIMA_HASH_SM3_256 && g_ascii_strcasecmp (name, "sm3-256") == 0))
        {
          if (!oima_hash_algo_is_available (info->algo))
            return oima_throw (error, "Hash algorithm %s is not available in this OpenSSL",
                               info->name);
          *out_algo = info->algo;
          return TRUE;
        }
    }
  return oima_throw (error,
                     "Unknown hash algorithm '%s' (expected one of md5, sha1, sha224, "
                     "sha256, sha384, sha512)",
                     name);
}

gboolean
oima_hash_algo_from_kernel_id (guint id, OimaHashAlgo *out_algo, GError **error)
{
  const HashAlgoInfo *info = lookup_info ((OimaHashAlgo)id);
  if (info == NULL)
    return oima_throw (error, "Unknown hash algorithm id %u", id);
  *out_algo = info->algo;
  return TRUE;
}

const char *
oima_hash_algo_name (OimaHashAlgo algo)
{
  const HashAlgoInfo *info = lookup_info (algo);
  return info ? info->name : "unknown";
}

/* Fetching is thread-safe and cached by OpenSSL; the caller frees. */
EVP_MD *
oima_hash_algo_fetch_md (OimaHashAlgo algo)
{
  const HashAlgoInfo *info = lookup_info (algo);
  if (info == NULL)
    return NULL;
  EVP_MD *md = EVP_MD_fetch (NULL, info->openssl_name, NULL);
  ERR_clear_error ();
  return md;
}

gsize
oima_hash_algo_digest_size (OimaHashAlgo algo)
{
  g_autoptr (EVP_MD) md = oima_hash_algo_fetch_md (algo);
  return md ? (gsize)EVP_MD_get_size (md) : 0;
}

gboolean
oima_hash_algo_is_weak (OimaHashAlgo algo)
{
  return algo == OIMA_HASH_MD4 || algo == OIMA_HASH_MD5 || algo == OIMA_HASH_SHA1
         || algo == OIMA_HASH_RIPEMD160;
}

gboolean
oima_hash_algo_is_available (OimaHashAlgo algo)
{
  g_autoptr (EVP_MD) md = oima_hash_algo_fetch_md (algo);
  return md != NULL;
}

gboolean
oima_hash_algo_check_signing (OimaHashAlgo algo, gboolean allow_weak, GError **error)
{
  if (!oima_hash_algo_is_available (algo))
    return oima_throw (error, "%s is not available in this OpenSSL", oima_hash_algo_name (algo));
  if (oima_hash_algo_is_weak (algo) && !allow_weak)
    return oima_throw_code (error, OIMA_ERROR_WEAK_HASH,
                            "%s is too weak to sign with: the kernel accepts it, but collisions "
                            "are practical, so a signature over it proves little",
                            oima_hash_algo_name (algo));
  return TRUE;
}

static EVP_MD_CTX *
digest_begin (OimaHashAlgo algo, GError **error)
{
  g_autoptr (EVP_MD) md = oima_hash_algo_fetch_md (algo);
  if (md == NULL)
    return oima_null_throw (error, "Hash algorithm %s is not available in this OpenSSL",
                            oima_hash_algo_name (algo));
  g_autoptr (EVP_MD_CTX) ctx = EVP_MD_CTX_new ();
  if (ctx == NULL || !EVP_DigestInit_ex2 (ctx, md, NULL))
    return oima_null_throw_openssl (error, "Initializing digest");
  return g_steal_pointer (&ctx);
}

static gboolean
digest_end (EVP_MD_CTX *ctx, guint8 *out_digest, gsize *out_len, GError **error)
{
  unsigned int len = 0;
  if (!EVP_DigestFinal_ex (ctx, out_digest, &len))
    return oima_throw_openssl (error, "Finishing digest");
  *out_len = len;
  return TRUE;
}

#define HASH_BUFSIZE (256 * 1024)

static gssize
stream_read (gpointer data, guint8 *buf, gsize len, GCancellable *cancellable, GError **error)
{
  return g_input_stream_read (data, buf, len, cancellable, error);
}

/* read(2) directly: a GUnixInputStream costs three syscalls a file to probe
 * whether the fd can be polled (epoll_create1, epoll_ctl, close). */
static gssize
fd_read (gpointer data, guint8 *buf, gsize len, GCancellable *cancellable, GError **error)
{
  return oima_fd_read (GPOINTER_TO_INT (data), buf, len, cancellable, error);
}

gboolean
oima_hash_read (OimaHashAlgo algo, OimaHashReadFunc read_func, gpointer data, guint8 *out_digest,
                gsize *out_len, GCancellable *cancellable, GError **error)
{
  g_autoptr (EVP_MD_CTX) ctx = digest_begin (algo, error);
  if (ctx == NULL)
    return FALSE;
  g_autofree guint8 *buf = g_malloc (HASH_BUFSIZE);
  for (;;)
    {
      gssize n = read_func (data, buf, HASH_BUFSIZE, cancellable, error);
      if (n < 0)
        return FALSE;
      if (n == 0)
        break;
      if (!EVP_DigestUpdate (ctx, buf, (size_t)n))
        return oima_throw_openssl (error, "Updating digest");
    }
  return digest_end (ctx, out_digest, out_len, error);
}

gboolean
oima_hash_stream (OimaHashAlgo algo, GInputStream *stream, guint8 *out_digest, gsize *out_len,
                  GCancellable *cancellable, GError **error)
{
  /* (GUnixInputStream polls before every read.) */
  if (G_IS_FILE_DESCRIPTOR_BASED (stream))
    return oima_hash_fd (algo, g_file_descriptor_based_get_fd (G_FILE_DESCRIPTOR_BASED (stream)),
                         out_digest, out_len, cancellable, error);
  return oima_hash_read (algo, stream_read, stream, out_digest, out_len, cancellable, error);
}

gboolean
oima_hash_fd (OimaHashAlgo algo, int fd, guint8 *out_digest, gsize *out_len,
              GCancellable *cancellable, GError **error)
{
  return oima_hash_read (algo, fd_read, GINT_TO_POINTER (fd), out_digest, out_len, cancellable,
                         error);
}

gboolean
oima_hash_buffer (OimaHashAlgo algo, const void *data, gsize len, guint8 *out_digest,
                  gsize *out_len, GError **error)
{
  g_autoptr (EVP_MD_CTX) ctx = digest_begin (algo, error);
  if (ctx == NULL)
    return FALSE;
  if (!EVP_DigestUpdate (ctx, data, len))
    return oima_throw_openssl (error, "Updating digest");
  return digest_end (ctx, out_digest, out_len, error);
}

gboolean
oima_hash_bytes_v (OimaHashAlgo algo, GBytes *const *parts, gsize n_parts, guint8 *out_digest,
                   gsize *out_len, GError **error)
{
  g_autoptr (EVP_MD_CTX) ctx = digest_begin (algo, error);
  if (ctx == NULL)
    return FALSE;
  for (gsize i = 0; i < n_parts; i++)
    {
      gsize len = 0;
      const void *data = g_bytes_get_data (parts[i], &len);
      if (len > 0 && !EVP_DigestUpdate (ctx, data, len))
        return oima_throw_openssl (error, "Updating digest");
    }
  return digest_end (ctx, out_digest, out_len, error);
}
