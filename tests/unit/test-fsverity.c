/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * fs-verity file digests against `fsverity digest` (fsverity-utils) on the
 * sizes where the Merkle tree changes shape: empty, one block, a full
 * level, one hash more, and three levels.
 */

#include <string.h>

#include "oima-fsverity.h"
#include "oima-util.h"

static GBytes *
make_content (gsize size)
{
  guint8 *data = g_malloc (size ? size : 1);
  guint32 x = 2463534242u + (guint32)size;
  for (gsize i = 0; i < size; i++)
    {
      x ^= x << 13, x ^= x >> 17, x ^= x << 5;
      data[i] = (guint8)x;
    }
  return g_bytes_new_take (data, size);
}

static char *
oracle (const char *path, const char *algo)
{
  g_autofree char *alg = g_strdup_printf ("--hash-alg=%s", algo);
  const char *argv[] = { "fsverity", "digest", "--compact", alg, path, NULL };
  g_autofree char *out = NULL;
  g_autoptr (GError) error = NULL;
  int status = 0;
  if (!g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, NULL,
                     &status, &error))
    return NULL;
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return g_strstrip (g_steal_pointer (&out));
}

static void
check_size (const char *dir, OimaHashAlgo algo, gsize size)
{
  g_autoptr (GBytes) content = make_content (size);
  g_autofree char *path = g_strdup_printf ("%s/f-%s-%zu", dir, oima_hash_algo_name (algo), size);
  g_autoptr (GError) error = NULL;
  g_assert_true (g_file_set_contents (path, g_bytes_get_data (content, NULL), size, &error));
  g_autofree char *want = oracle (path, oima_hash_algo_name (algo));
  if (want == NULL)
    {
      g_test_skip ("fsverity (fsverity-utils) is not installed");
      return;
    }
  g_autoptr (GInputStream) in = g_memory_input_stream_new_from_bytes (content);
  guint8 digest[OIMA_MAX_DIGEST_SIZE];
  gsize len = 0;
  g_assert_true (oima_fsverity_digest_stream (algo, in, digest, &len, NULL, &error));
  g_assert_no_error (error);
  g_autofree char *got = oima_hex_encode (digest, len);
  g_test_message ("%s %zu bytes: %s", oima_hash_algo_name (algo), size, got);
  g_assert_cmpstr (got, ==, want);
  (void)unlink (path);
}

static void
test_oracle (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("test-fsverity-XXXXXX", &error);
  g_assert_no_error (error);
  const gsize sha256_sizes[] = { 0,
                                 1,
                                 4095,
                                 4096,
                                 4097,
                                 8192,
                                 128 * 4096,
                                 128 * 4096 + 1,
                                 128 * 4096 + 4096,
                                 129 * 4096 + 17,
                                 128 * 128 * 4096 + 5 };
  for (gsize i = 0; i < G_N_ELEMENTS (sha256_sizes); i++)
    check_size (dir, OIMA_HASH_SHA256, sha256_sizes[i]);
  /* 64 hashes per block: three levels at 64 * 64 * 4096 + 1 bytes. */
  const gsize sha512_sizes[] = { 0, 3, 4096, 64 * 4096, 64 * 4096 + 1, 64 * 64 * 4096 + 1 };
  for (gsize i = 0; i < G_N_ELEMENTS (sha512_sizes); i++)
    check_size (dir, OIMA_HASH_SHA512, sha512_sizes[i]);
  (void)rmdir (dir);
}

static void
test_unsupported_algo (void)
{
  g_autoptr (GInputStream) in = g_memory_input_stream_new_from_data ("x", 1, NULL);
  guint8 digest[OIMA_MAX_DIGEST_SIZE];
  gsize len = 0;
  g_autoptr (GError) error = NULL;
  g_assert_false (oima_fsverity_digest_stream (OIMA_HASH_SHA384, in, digest, &len, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==, "fs-verity has no sha384 digests (only sha256 and sha512)");
}

/* Vectors from Python's hashlib over { 0x06, algo, digest } (the kernel's
 * struct ima_file_id); case-verity.sh has the kernel accept such
 * signatures. */
static void
test_sigv3_digest (void)
{
  const struct
  {
    OimaHashAlgo algo;
    guint8 fill;
    const char *want;
  } vectors[] = {
    { OIMA_HASH_SHA256, 0x11, "55790d582a84bbf5a1a9c4e9926a349bf34c5b03460ef05470aa7c02a630e0d1" },
    { OIMA_HASH_SHA512, 0x22,
      "1999eeb3e95a8d6bc2023dabb401486443f83cb5e9bb65037b2a06cac697c459"
      "71e0af984c99205e383fc8092a2f4157cc138342d41f6f34c15731725cffc213" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (vectors); i++)
    {
      guint8 verity[OIMA_MAX_DIGEST_SIZE];
      gsize n = oima_hash_algo_digest_size (vectors[i].algo);
      memset (verity, vectors[i].fill, n);
      guint8 out[OIMA_MAX_DIGEST_SIZE];
      gsize len = 0;
      g_autoptr (GError) error = NULL;
      g_assert_true (oima_fsverity_sigv3_digest (vectors[i].algo, verity, n, out, &len, &error));
      g_assert_no_error (error);
      g_autofree char *hex = oima_hex_encode (out, len);
      g_assert_cmpstr (hex, ==, vectors[i].want);
    }
  guint8 verity[32] = { 0 };
  guint8 out[OIMA_MAX_DIGEST_SIZE];
  gsize len = 0;
  g_autoptr (GError) error = NULL;
  g_assert_false (oima_fsverity_sigv3_digest (OIMA_HASH_SHA256, verity, 20, out, &len, &error));
  g_assert_cmpstr (error->message, ==, "an fs-verity sha256 digest has 20 bytes, not 32");
  g_clear_error (&error);
  g_assert_false (oima_fsverity_sigv3_digest (OIMA_HASH_SHA1, verity, 20, out, &len, &error));
  g_assert_cmpstr (error->message, ==, "fs-verity has no sha1 digests (only sha256 and sha512)");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/fsverity/oracle", test_oracle);
  g_test_add_func ("/fsverity/unsupported-algo", test_unsupported_algo);
  g_test_add_func ("/fsverity/sigv3-digest", test_sigv3_digest);
  return g_test_run ();
}
