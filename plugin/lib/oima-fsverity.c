/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The Merkle tree and descriptor of Documentation/filesystems/fsverity.rst:
 * data blocks are hashed into the lowest tree level; every level is a run
 * of blocks packed with the hashes of the level below (the last block
 * zero-padded), up to a single block whose hash is the root hash.  A file
 * of one block has no tree (its block hash is the root), an empty file an
 * all-zero root.  The file digest is the hash of the 256-byte descriptor.
 */

#include <string.h>

#include "oima-fsverity.h"
#include "oima-util.h"
#include "oima-xattr-codec.h"

#define BLOCK_SIZE 4096
#define LOG_BLOCK_SIZE 12
/* A tree over 2^64 bytes with 64 hashes per block has 11 levels. */
#define MAX_LEVELS 12

/* struct fsverity_descriptor (include/uapi/linux/fsverity.h, version 1) */
#define DESC_SIZE 256
#define DESC_ROOT_HASH_OFFSET 16
#define DESC_ROOT_HASH_SIZE 64

/* FS_VERITY_HASH_ALG_* */
static guint8
verity_algo_id (OimaHashAlgo algo)
{
  switch (algo)
    {
    case OIMA_HASH_SHA256:
      return 1;
    case OIMA_HASH_SHA512:
      return 2;
    default:
      return 0;
    }
}

typedef struct
{
  const EVP_MD *md;
  EVP_MD_CTX *ctx;
  gsize digest_size;
  /* levels[i]: the block of level i being filled with hashes; levels[n]
   * after the last push into it holds the root hash. */
  guint8 *levels[MAX_LEVELS + 1];
  gsize filled[MAX_LEVELS + 1];
} Tree;

static gboolean
hash_block (Tree *t, const guint8 *block, guint8 *out, GError **error)
{
  unsigned int len = 0;
  if (!EVP_DigestInit_ex (t->ctx, t->md, NULL) || !EVP_DigestUpdate (t->ctx, block, BLOCK_SIZE)
      || !EVP_DigestFinal_ex (t->ctx, out, &len))
    return oima_throw_openssl (error, "Computing an fs-verity tree hash");
  return TRUE;
}

/* Append @hash to @level, hashing the level's block into the next level
 * once it is full. */
static gboolean
push_hash (Tree *t, guint level, const guint8 *hash, GError **error)
{
  if (level > MAX_LEVELS)
    return oima_throw (error, "fs-verity tree too deep");
  memcpy (t->levels[level] + t->filled[level], hash, t->digest_size);
  t->filled[level] += t->digest_size;
  if (t->filled[level] + t->digest_size > BLOCK_SIZE)
    {
      guint8 next[EVP_MAX_MD_SIZE];
      memset (t->levels[level] + t->filled[level], 0, BLOCK_SIZE - t->filled[level]);
      if (!hash_block (t, t->levels[level], next, error))
        return FALSE;
      t->filled[level] = 0;
      return push_hash (t, level + 1, next, error);
    }
  return TRUE;
}

gboolean
oima_fsverity_digest_stream (OimaHashAlgo algo, GInputStream *stream, guint8 *out_digest,
                             gsize *out_len, GCancellable *cancellable, GError **error)
{
  guint8 algo_id = verity_algo_id (algo);
  if (algo_id == 0)
    return oima_throw (error, "fs-verity has no %s digests (only sha256 and sha512)",
                       oima_hash_algo_name (algo));
  g_autoptr (EVP_MD) md = oima_hash_algo_fetch_md (algo);
  if (md == NULL)
    return oima_throw_openssl (error, "Hash algorithm %s is not available",
                               oima_hash_algo_name (algo));
  g_autoptr (EVP_MD_CTX) ctx = EVP_MD_CTX_new ();
  if (ctx == NULL)
    return oima_throw_openssl (error, "Allocating a digest context");

  Tree t = { .md = md, .ctx = ctx, .digest_size = EVP_MD_get_size (md) };
  g_autofree guint8 *storage = g_malloc0 ((MAX_LEVELS + 1) * BLOCK_SIZE);
  for (guint i = 0; i <= MAX_LEVELS; i++)
    t.levels[i] = storage + (gsize)i * BLOCK_SIZE;

  /* Data blocks into level 0. */
  g_autofree guint8 *block = g_malloc (BLOCK_SIZE);
  guint64 data_size = 0, n_blocks = 0;
  gboolean eof = FALSE;
  while (!eof)
    {
      gsize got = 0;
      while (got < BLOCK_SIZE)
        {
          gssize n
              = g_input_stream_read (stream, block + got, BLOCK_SIZE - got, cancellable, error);
          if (n < 0)
            return FALSE;
          if (n == 0)
            {
              eof = TRUE;
              break;
            }
          got += n;
        }
      if (got == 0)
        break;
      memset (block + got, 0, BLOCK_SIZE - got);
      guint8 hash[EVP_MAX_MD_SIZE];
      if (!hash_block (&t, block, hash, error) || !push_hash (&t, 0, hash, error))
        return FALSE;
      data_size += got;
      n_blocks++;
    }

  /* The number of tree levels: one block needs none. */
  guint n_levels = 0;
  guint64 hashes_per_block = BLOCK_SIZE / t.digest_size;
  for (guint64 b = n_blocks; b > 1; b = (b + hashes_per_block - 1) / hashes_per_block)
    n_levels++;

  guint8 desc[DESC_SIZE] = { 0 };
  if (n_blocks > 0)
    {
      /* Pad and hash every partly filled block up to the top level. */
      for (guint level = 0; level < n_levels; level++)
        if (t.filled[level] > 0)
          {
            guint8 next[EVP_MAX_MD_SIZE];
            memset (t.levels[level] + t.filled[level], 0, BLOCK_SIZE - t.filled[level]);
            if (!hash_block (&t, t.levels[level], next, error))
              return FALSE;
            t.filled[level] = 0;
            if (!push_hash (&t, level + 1, next, error))
              return FALSE;
          }
      if (t.filled[n_levels] != t.digest_size)
        return oima_throw (error, "fs-verity tree of %" G_GUINT64_FORMAT " blocks has no root",
                           n_blocks); /* not reached */
      memcpy (desc + DESC_ROOT_HASH_OFFSET, t.levels[n_levels], t.digest_size);
    }
  desc[0] = 1; /* version */
  desc[1] = algo_id;
  desc[2] = LOG_BLOCK_SIZE;
  desc[3] = 0; /* salt size */
  /* bytes 4..7: sig_size, 0; 8..15: data size, little endian */
  for (guint i = 0; i < 8; i++)
    desc[8 + i] = (guint8)(data_size >> (8 * i));
  G_STATIC_ASSERT (DESC_ROOT_HASH_OFFSET + DESC_ROOT_HASH_SIZE <= DESC_SIZE);
  return oima_hash_buffer (algo, desc, sizeof desc, out_digest, out_len, error);
}

gboolean
oima_fsverity_sigv3_digest (OimaHashAlgo algo, const guint8 *verity_digest, gsize verity_digest_len,
                            guint8 *out_digest, gsize *out_len, GError **error)
{
  if (verity_algo_id (algo) == 0)
    return oima_throw (error, "fs-verity has no %s digests (only sha256 and sha512)",
                       oima_hash_algo_name (algo));
  if (verity_digest_len != oima_hash_algo_digest_size (algo))
    return oima_throw (
        error, "an fs-verity %s digest has %" G_GSIZE_FORMAT " bytes, not %" G_GSIZE_FORMAT,
        oima_hash_algo_name (algo), verity_digest_len, oima_hash_algo_digest_size (algo));
  /* struct ima_file_id, truncated after the digest as the kernel hashes it. */
  guint8 file_id[2 + OIMA_MAX_DIGEST_SIZE];
  file_id[0] = OIMA_XATTR_TYPE_IMA_VERITY_DIGSIG;
  file_id[1] = (guint8)algo;
  memcpy (file_id + 2, verity_digest, verity_digest_len);
  return oima_hash_buffer (algo, file_id, 2 + verity_digest_len, out_digest, out_len, error);
}
