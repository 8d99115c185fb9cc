/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Encoding and strict decoding of security.ima and security.evm values
 * (types 0x01-0x06, signature v2, decode-only signature v1).
 */
#pragma once

#include <gio/gio.h>

#include "oima-hash.h"

G_BEGIN_DECLS

#define OIMA_XATTR_IMA "security.ima"
#define OIMA_XATTR_EVM "security.evm"

typedef enum
{
  OIMA_XATTR_TYPE_IMA_DIGEST = 0x01,          /* 01 || md5/sha1 digest */
  OIMA_XATTR_TYPE_EVM_HMAC = 0x02,            /* 02 || hmac-sha1 */
  OIMA_XATTR_TYPE_DIGSIG = 0x03,              /* IMA or EVM signature */
  OIMA_XATTR_TYPE_IMA_DIGEST_NG = 0x04,       /* 04 || algo || digest */
  OIMA_XATTR_TYPE_EVM_PORTABLE_DIGSIG = 0x05, /* EVM portable signature */
  OIMA_XATTR_TYPE_IMA_VERITY_DIGSIG = 0x06,   /* fs-verity signature (sigv3) */
} OimaXattrType;

/* Size of the packed signature v2 header. */
#define OIMA_SIG_V2_HEADER_SIZE 9

/* A decoded value.  Pointers point into the buffer that was decoded; the
 * struct is valid as long as that buffer is. */
typedef struct
{
  OimaXattrType type;
  guint version;      /* signatures: 1 or 2 (3 for fs-verity); 0 otherwise */
  OimaHashAlgo algo;  /* digest/signature hash algorithm */
  gboolean has_keyid; /* signatures v2: 4-byte key id */
  guint32 keyid;
  guint64 keyid_v1;     /* signature v1: 8-byte key id */
  const guint8 *digest; /* digest types and HMAC */
  gsize digest_len;
  const guint8 *sig; /* signature types: raw signature bytes */
  gsize sig_len;
} OimaXattrValue;

/* Strictly decode @data: any truncation, trailing bytes, sig_size mismatch,
 * unknown type, version or algorithm is an error naming the problem. */
gboolean oima_xattr_decode (const guint8 *data, gsize len, OimaXattrValue *out, GError **error);

/* The same over @value, which must outlive @out; NULL is an error. */
gboolean oima_xattr_decode_bytes (GBytes *value, OimaXattrValue *out, GError **error);

/* The hash algorithm of a decodable @value, else @fallback. */
OimaHashAlgo oima_xattr_value_algo (GBytes *value, OimaHashAlgo fallback);

/* Encode a signature v2 value (type 0x03 or 0x05). */
GBytes *oima_xattr_encode_sig_v2 (OimaXattrType type, OimaHashAlgo algo, guint32 keyid,
                                  const guint8 *sig, gsize sig_len, GError **error);

/* Encode a hash value as evmctl ima_hash does: 0x01 for sha1 and md5,
 * 0x04 (with algorithm byte) otherwise. */
GBytes *oima_xattr_encode_digest (OimaHashAlgo algo, const guint8 *digest, gsize digest_len,
                                  GError **error);

const char *oima_xattr_type_name (OimaXattrType type);

/* One line describing a decoded value, like ima_inspect. */
char *oima_xattr_value_describe (const OimaXattrValue *value);

G_END_DECLS
