/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <string.h>

#include "oima-hash.h"
#include "oima-xattr-codec.h"
#include "test-hex.h"

static void
assert_decode_error (const char *hex, const char *fragment)
{
  g_autoptr (GBytes) b = bytes_from_hex (hex);
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (b, &len);
  OimaXattrValue v;
  g_autoptr (GError) error = NULL;
  g_assert_false (oima_xattr_decode (data, len, &v, &error));
  g_assert_nonnull (error);
  if (strstr (error->message, fragment) == NULL)
    g_error ("decoding %s: expected error containing '%s', got '%s'", hex, fragment,
             error->message);
}

static void
test_sig_v2_roundtrip (void)
{
  guint8 sig[256];
  for (guint i = 0; i < sizeof sig; i++)
    sig[i] = i;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) enc = oima_xattr_encode_sig_v2 (OIMA_XATTR_TYPE_DIGSIG, OIMA_HASH_SHA256,
                                                     0xdeadbeef, sig, sizeof sig, &error);
  g_assert_no_error (error);
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (enc, &len);
  g_assert_cmpuint (len, ==, 9 + 256);
  g_assert_null (oima_xattr_encode_sig_v2 (OIMA_XATTR_TYPE_IMA_VERITY_DIGSIG, OIMA_HASH_SHA256, 1,
                                           sig, 4, NULL));
  static const guint8 header[] = { 0x03, 0x02, 0x04, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x00 };
  g_assert_cmpmem (data, 9, header, 9);

  OimaXattrValue v;
  g_assert_true (oima_xattr_decode (data, len, &v, &error));
  g_assert_no_error (error);
  g_assert_cmpint (v.type, ==, OIMA_XATTR_TYPE_DIGSIG);
  g_assert_cmpuint (v.version, ==, 2);
  g_assert_cmpint (v.algo, ==, OIMA_HASH_SHA256);
  g_assert_cmphex (v.keyid, ==, 0xdeadbeef);
  g_assert_cmpmem (v.sig, v.sig_len, sig, sizeof sig);
  g_autofree char *desc = oima_xattr_value_describe (&v);
  g_assert_cmpstr (desc, ==, "type=0x03 (digsig) version=2 algo=sha256 keyid=deadbeef sig-len=256");
}

static void
test_digest_encoding (void)
{
  guint8 d[64];
  memset (d, 0xab, sizeof d);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) sha1 = oima_xattr_encode_digest (OIMA_HASH_SHA1, d, 20, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (sha1), ==, 21);
  g_assert_cmpuint (((const guint8 *)g_bytes_get_data (sha1, NULL))[0], ==, 0x01);
  g_autoptr (GBytes) sha512 = oima_xattr_encode_digest (OIMA_HASH_SHA512, d, 64, &error);
  g_assert_no_error (error);
  const guint8 *p = g_bytes_get_data (sha512, NULL);
  g_assert_cmpuint (g_bytes_get_size (sha512), ==, 66);
  g_assert_cmpuint (p[0], ==, 0x04);
  g_assert_cmpuint (p[1], ==, 6);
  OimaXattrValue v;
  g_assert_true (oima_xattr_decode (p, 66, &v, &error));
  g_assert_cmpint (v.algo, ==, OIMA_HASH_SHA512);
  g_assert_cmpuint (v.digest_len, ==, 64);

  g_assert_null (oima_xattr_encode_digest (OIMA_HASH_SHA256, d, 20, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
}

static void
test_decode_errors (void)
{
  assert_decode_error ("", "Empty value");
  assert_decode_error ("07", "Unknown type 0x07");
  assert_decode_error ("0302", "Truncated signature");
  assert_decode_error ("030204deadbeef", "Truncated signature");
  /* header says 3 bytes, 2 present */
  assert_decode_error ("030204deadbeef0003aabb",
                       "Signature size mismatch: header says 3 bytes, value carries 2");
  /* header says 1 byte, 2 present (trailing data) */
  assert_decode_error ("030204deadbeef0001aabb", "Signature size mismatch");
  assert_decode_error ("030204deadbeef0000", "Empty signature");
  /* unknown algorithm 0x42 */
  assert_decode_error ("030242deadbeef0001aa", "Unknown hash algorithm id 66");
  assert_decode_error ("0303", "Unsupported signature version 3");
  assert_decode_error ("0504", "Unsupported signature version 4");
  assert_decode_error ("060204cafebabe0001aa", "Unsupported signature version 2 for type 0x06");
  assert_decode_error ("030304cafebabe0001aa", "Unsupported signature version 3 for type 0x03");
  /* signature v1 with a hash id the kernel does not know */
  assert_decode_error ("0301"
                       "00000000"
                       "00"
                       "63"
                       "0102030405060708"
                       "01"
                       "0008"
                       "7f",
                       "Unknown hash algorithm id 99");
  /* sha256 digest of 20 bytes */
  assert_decode_error ("0404"
                       "0000000000000000000000000000000000000000",
                       "does not match sha256");
  assert_decode_error ("04", "no algorithm byte");
  assert_decode_error ("01aabb", "neither md5 nor sha1");
  assert_decode_error ("02aabb", "EVM HMAC must be 21 bytes");
  /* signature v1 with truncated MPI */
  assert_decode_error ("0301"
                       "00000000"
                       "00"
                       "01"
                       "0102030405060708"
                       "01"
                       "0800",
                       "size mismatch");
}

static void
test_decode_v1_and_others (void)
{
  /* v1: sha256 (PKEY_HASH_SHA256 = kernel id 4), 8-bit MPI 0x7f */
  g_autoptr (GBytes) v1 = bytes_from_hex ("0301"
                                          "5f000000"
                                          "00"
                                          "04"
                                          "0102030405060708"
                                          "01"
                                          "0008"
                                          "7f");
  OimaXattrValue v;
  g_autoptr (GError) error = NULL;
  g_assert_true (
      oima_xattr_decode (g_bytes_get_data (v1, NULL), g_bytes_get_size (v1), &v, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (v.version, ==, 1);
  g_assert_cmpint (v.algo, ==, OIMA_HASH_SHA256);
  g_assert_cmphex (v.keyid_v1, ==, 0x0102030405060708ULL);
  g_assert_cmpuint (v.sig_len, ==, 1);

  g_autoptr (GBytes) hmac = bytes_from_hex ("02"
                                            "0102030405060708090a0b0c0d0e0f1011121314");
  g_assert_true (oima_xattr_decode (g_bytes_get_data (hmac, NULL), 21, &v, &error));
  g_assert_cmpint (v.type, ==, OIMA_XATTR_TYPE_EVM_HMAC);

  g_autoptr (GBytes) portable = bytes_from_hex ("050206cafebabe0002aabb");
  g_assert_true (oima_xattr_decode (g_bytes_get_data (portable, NULL), 11, &v, &error));
  g_assert_cmpint (v.type, ==, OIMA_XATTR_TYPE_EVM_PORTABLE_DIGSIG);
  g_assert_cmpint (v.algo, ==, OIMA_HASH_SHA512);

  /* fs-verity signatures are version 3 */
  g_autoptr (GBytes) verity = bytes_from_hex ("060304cafebabe0002aabb");
  g_assert_true (oima_xattr_decode (g_bytes_get_data (verity, NULL), 11, &v, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (v.version, ==, 3);
  g_autofree char *desc = oima_xattr_value_describe (&v);
  g_assert_cmpstr (desc, ==,
                   "type=0x06 (ima-verity-digsig) version=3 algo=sha256 keyid=cafebabe sig-len=2");

  g_autoptr (GBytes) md5 = bytes_from_hex ("01"
                                           "00112233445566778899aabbccddeeff");
  g_assert_true (oima_xattr_decode (g_bytes_get_data (md5, NULL), 17, &v, &error));
  g_assert_cmpint (v.algo, ==, OIMA_HASH_MD5);
}

static void
test_hash_algo_names (void)
{
  OimaHashAlgo a;
  g_autoptr (GError) error = NULL;
  g_assert_true (oima_hash_algo_from_name ("SHA384", &a, &error));
  g_assert_cmpint (a, ==, OIMA_HASH_SHA384);
  g_assert_false (oima_hash_algo_from_name ("sha999", &a, &error));
  g_assert_nonnull (strstr (error->message, "Unknown hash algorithm 'sha999'"));
  g_assert_cmpuint (oima_hash_algo_digest_size (OIMA_HASH_SHA224), ==, 28);
}

/* Buffers one after the other hash as their concatenation. */
static void
test_hash_bytes_v (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) ab = g_bytes_new_static ("ab", 2);
  g_autoptr (GBytes) empty = g_bytes_new_static ("", 0);
  g_autoptr (GBytes) c = g_bytes_new_static ("c", 1);
  GBytes *parts[] = { ab, empty, c };
  guint8 digest[OIMA_MAX_DIGEST_SIZE];
  gsize len = 0;
  g_assert_true (
      oima_hash_bytes_v (OIMA_HASH_SHA256, parts, G_N_ELEMENTS (parts), digest, &len, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (len, ==, 32);
  g_autoptr (GBytes) expected
      = bytes_from_hex ("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  g_assert_cmpmem (digest, len, g_bytes_get_data (expected, NULL), 32);
  g_assert_true (oima_hash_bytes_v (OIMA_HASH_SHA256, NULL, 0, digest, &len, &error));
  g_autoptr (GBytes) of_nothing
      = bytes_from_hex ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  g_assert_cmpmem (digest, len, g_bytes_get_data (of_nothing, NULL), 32);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/codec/sig-v2-roundtrip", test_sig_v2_roundtrip);
  g_test_add_func ("/codec/digest-encoding", test_digest_encoding);
  g_test_add_func ("/codec/decode-errors", test_decode_errors);
  g_test_add_func ("/codec/decode-v1-and-others", test_decode_v1_and_others);
  g_test_add_func ("/codec/hash-algo-names", test_hash_algo_names);
  g_test_add_func ("/codec/hash-bytes-v", test_hash_bytes_v);
  return g_test_run ();
}
