/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <string.h>

#include "oima-util.h"
#include "oima-xattr-codec.h"

/* Signature v1 (deprecated, decode only): after the type byte,
 *   u8 version (1), u32 timestamp, u8 pubkey algo, u8 hash algo,
 *   u8 keyid[8], u8 nmpi, then nmpi MPIs each as u16 bit count + bytes. */
#define SIG_V1_HEADER_SIZE 16

const char *
oima_xattr_type_name (OimaXattrType type)
{
  switch (type)
    {
    case OIMA_XATTR_TYPE_IMA_DIGEST:
      return "ima-digest";
    case OIMA_XATTR_TYPE_EVM_HMAC:
      return "evm-hmac";
    case OIMA_XATTR_TYPE_DIGSIG:
      return "digsig";
    case OIMA_XATTR_TYPE_IMA_DIGEST_NG:
      return "ima-digest-ng";
    case OIMA_XATTR_TYPE_EVM_PORTABLE_DIGSIG:
      return "evm-portable-digsig";
    case OIMA_XATTR_TYPE_IMA_VERITY_DIGSIG:
      return "ima-verity-digsig";
    }
  return "unknown";
}

static gboolean
decode_sig_v1 (const guint8 *data, gsize len, OimaXattrValue *out, GError **error)
{
  if (len < 1 + SIG_V1_HEADER_SIZE + 2)
    return oima_throw (error, "Truncated signature v1: %" G_GSIZE_FORMAT " bytes", len);
  const guint8 *hdr = data + 1;
  guint pubkey_algo = hdr[5];
  guint hash_id = hdr[6];
  guint nmpi = hdr[15];
  if (pubkey_algo != 0)
    return oima_throw (error, "Signature v1 with unknown public key algorithm %u", pubkey_algo);
  if (nmpi != 1)
    return oima_throw (error, "Signature v1 with %u MPIs (expected 1)", nmpi);
  const guint8 *mpi = hdr + SIG_V1_HEADER_SIZE;
  gsize bits = ((gsize)mpi[0] << 8) | mpi[1];
  gsize mpi_len = (bits + 7) / 8;
  gsize expected = 1 + SIG_V1_HEADER_SIZE + 2 + mpi_len;
  if (mpi_len == 0 || len != expected)
    return oima_throw (error,
                       "Signature v1 size mismatch: MPI of %" G_GSIZE_FORMAT
                       " bits needs %" G_GSIZE_FORMAT " bytes, value has %" G_GSIZE_FORMAT,
                       bits, expected, len);
  out->version = 1;
  /* evmctl writes PKEY_HASH_*, which follows the kernel's hash_algo ids. */
  if (!oima_hash_algo_from_kernel_id (hash_id, &out->algo, error))
    return FALSE;
  guint64 keyid = 0;
  for (int i = 0; i < 8; i++)
    keyid = (keyid << 8) | hdr[7 + i];
  out->keyid_v1 = keyid;
  out->sig = mpi + 2;
  out->sig_len = mpi_len;
  return TRUE;
}

/* Signature v2 (types 0x03, 0x05) and v3 (type 0x06, fs-verity): the same
 * packed header, the version byte differs. */
static gboolean
decode_sig_v2 (const guint8 *data, gsize len, OimaXattrValue *out, GError **error)
{
  if (len < OIMA_SIG_V2_HEADER_SIZE)
    return oima_throw (error, "Truncated signature: %" G_GSIZE_FORMAT " bytes, header needs %d",
                       len, OIMA_SIG_V2_HEADER_SIZE);
  if (!oima_hash_algo_from_kernel_id (data[2], &out->algo, error))
    return FALSE;
  gsize sig_size = ((gsize)data[7] << 8) | data[8];
  gsize actual = len - OIMA_SIG_V2_HEADER_SIZE;
  if (sig_size == 0)
    return oima_throw (error, "Empty signature");
  if (sig_size != actual)
    return oima_throw (error,
                       "Signature size mismatch: header says %" G_GSIZE_FORMAT
                       " bytes, value carries %" G_GSIZE_FORMAT,
                       sig_size, actual);
  out->version = data[1];
  out->has_keyid = TRUE;
  out->keyid = oima_read_be32 (data + 3);
  out->sig = data + OIMA_SIG_V2_HEADER_SIZE;
  out->sig_len = sig_size;
  return TRUE;
}

static gboolean
decode_digest (const guint8 *data, gsize len, gsize offset, OimaXattrValue *out, GError **error)
{
  gsize digest_len = len - offset;
  gsize expected = oima_hash_algo_digest_size (out->algo);
  if (expected == 0)
    return oima_throw (error, "Hash algorithm %s is not available",
                       oima_hash_algo_name (out->algo));
  if (digest_len != expected)
    return oima_throw (
        error, "Digest length %" G_GSIZE_FORMAT " does not match %s (%" G_GSIZE_FORMAT " bytes)",
        digest_len, oima_hash_algo_name (out->algo), expected);
  out->digest = data + offset;
  out->digest_len = digest_len;
  return TRUE;
}

gboolean
oima_xattr_decode_bytes (GBytes *value, OimaXattrValue *out, GError **error)
{
  if (value == NULL)
    {
      memset (out, 0, sizeof (*out));
      return oima_throw (error, "No value");
    }
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (value, &len);
  return oima_xattr_decode (data, len, out, error);
}

OimaHashAlgo
oima_xattr_value_algo (GBytes *value, OimaHashAlgo fallback)
{
  OimaXattrValue v;
  return oima_xattr_decode_bytes (value, &v, NULL) ? v.algo : fallback;
}

gboolean
oima_xattr_decode (const guint8 *data, gsize len, OimaXattrValue *out, GError **error)
{
  memset (out, 0, sizeof (*out));
  if (len == 0)
    return oima_throw (error, "Empty value");
  out->type = data[0];
  switch (data[0])
    {
    case OIMA_XATTR_TYPE_IMA_DIGEST:
      /* The kernel tells md5 from sha1 by length. */
      if (len == 1 + 16)
        out->algo = OIMA_HASH_MD5;
      else if (len == 1 + 20)
        out->algo = OIMA_HASH_SHA1;
      else
        return oima_throw (
            error, "Digest value of %" G_GSIZE_FORMAT " bytes is neither md5 nor sha1", len - 1);
      return decode_digest (data, len, 1, out, error);
    case OIMA_XATTR_TYPE_EVM_HMAC:
      out->algo = OIMA_HASH_SHA1;
      if (len != 1 + 20)
        return oima_throw (error, "EVM HMAC must be 21 bytes, value has %" G_GSIZE_FORMAT, len);
      out->digest = data + 1;
      out->digest_len = 20;
      return TRUE;
    case OIMA_XATTR_TYPE_IMA_DIGEST_NG:
      if (len < 2)
        return oima_throw (error, "Truncated digest value: no algorithm byte");
      if (!oima_hash_algo_from_kernel_id (data[1], &out->algo, error))
        return FALSE;
      return decode_digest (data, len, 2, out, error);
    case OIMA_XATTR_TYPE_DIGSIG:
    case OIMA_XATTR_TYPE_EVM_PORTABLE_DIGSIG:
    case OIMA_XATTR_TYPE_IMA_VERITY_DIGSIG:
      if (len < 2)
        return oima_throw (error, "Truncated signature: no version byte");
      /* The kernel takes fs-verity signatures as version 3 only. */
      if (data[1] == 3 && data[0] == OIMA_XATTR_TYPE_IMA_VERITY_DIGSIG)
        return decode_sig_v2 (data, len, out, error);
      if (data[1] == 2 && data[0] != OIMA_XATTR_TYPE_IMA_VERITY_DIGSIG)
        return decode_sig_v2 (data, len, out, error);
      if (data[1] == 1 && data[0] == OIMA_XATTR_TYPE_DIGSIG)
        return decode_sig_v1 (data, len, out, error);
      return oima_throw (error, "Unsupported signature version %u for type 0x%02x", data[1],
                         data[0]);
    default:
      return oima_throw (error, "Unknown type 0x%02x", data[0]);
    }
}

GBytes *
oima_xattr_encode_sig_v2 (OimaXattrType type, OimaHashAlgo algo, guint32 keyid, const guint8 *sig,
                          gsize sig_len, GError **error)
{
  if (type != OIMA_XATTR_TYPE_DIGSIG && type != OIMA_XATTR_TYPE_EVM_PORTABLE_DIGSIG)
    return oima_null_throw (error, "Type 0x%02x is not a signature v2 type", type);
  if (sig_len == 0 || sig_len > G_MAXUINT16)
    return oima_null_throw (error, "Signature of %" G_GSIZE_FORMAT " bytes cannot be encoded",
                            sig_len);
  gsize len = OIMA_SIG_V2_HEADER_SIZE + sig_len;
  guint8 *buf = g_malloc (len);
  buf[0] = type;
  buf[1] = 2;
  buf[2] = (guint8)algo;
  buf[3] = keyid >> 24;
  buf[4] = keyid >> 16;
  buf[5] = keyid >> 8;
  buf[6] = keyid;
  buf[7] = sig_len >> 8;
  buf[8] = sig_len;
  memcpy (buf + OIMA_SIG_V2_HEADER_SIZE, sig, sig_len);
  return g_bytes_new_take (buf, len);
}

GBytes *
oima_xattr_encode_digest (OimaHashAlgo algo, const guint8 *digest, gsize digest_len, GError **error)
{
  gsize expected = oima_hash_algo_digest_size (algo);
  if (expected == 0 || digest_len != expected)
    return oima_null_throw (error, "Digest of %" G_GSIZE_FORMAT " bytes is not a %s digest",
                            digest_len, oima_hash_algo_name (algo));
  gboolean legacy = (algo == OIMA_HASH_SHA1 || algo == OIMA_HASH_MD5);
  gsize offset = legacy ? 1 : 2;
  guint8 *buf = g_malloc (offset + digest_len);
  buf[0] = legacy ? OIMA_XATTR_TYPE_IMA_DIGEST : OIMA_XATTR_TYPE_IMA_DIGEST_NG;
  if (!legacy)
    buf[1] = (guint8)algo;
  memcpy (buf + offset, digest, digest_len);
  return g_bytes_new_take (buf, offset + digest_len);
}

char *
oima_xattr_value_describe (const OimaXattrValue *value)
{
  const char *type = oima_xattr_type_name (value->type);
  const char *algo = oima_hash_algo_name (value->algo);
  switch (value->type)
    {
    case OIMA_XATTR_TYPE_IMA_DIGEST:
    case OIMA_XATTR_TYPE_IMA_DIGEST_NG:
    case OIMA_XATTR_TYPE_EVM_HMAC:
      {
        g_autofree char *hex = oima_hex_encode (value->digest, value->digest_len);
        return g_strdup_printf ("type=0x%02x (%s) algo=%s digest=%s", value->type, type, algo, hex);
      }
    default:
      if (value->version == 1)
        return g_strdup_printf ("type=0x%02x (%s) version=1 algo=%s keyid=%016" G_GINT64_MODIFIER
                                "x sig-len=%" G_GSIZE_FORMAT,
                                value->type, type, algo, value->keyid_v1, value->sig_len);
      return g_strdup_printf (
          "type=0x%02x (%s) version=%u algo=%s keyid=%08x sig-len=%" G_GSIZE_FORMAT, value->type,
          type, value->version, algo, value->keyid, value->sig_len);
    }
}
