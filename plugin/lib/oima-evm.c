/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <string.h>

#include "oima-evm.h"
#include "oima-util.h"
#include "oima-xattr-codec.h"
#include "oima-xattrs.h"

/* evm_config_default_xattrnames, in the kernel's order. */
static const char *const covered[] = {
  "security.selinux",     "security.SMACK64",  "security.SMACK64EXEC", "security.SMACK64TRANSMUTE",
  "security.SMACK64MMAP", "security.apparmor", "security.ima",         "security.capability",
};

/* struct h_misc of security/integrity/evm/evm_crypto.c on x86_64. */
typedef struct
{
  guint64 ino;
  guint32 generation;
  guint32 uid;
  guint32 gid;
  guint16 mode;
  guint16 pad;
} HMisc;
G_STATIC_ASSERT (sizeof (HMisc) == 24);

gboolean
oima_evm_portable_digest (GVariant *xattrs, guint32 uid, guint32 gid, guint32 mode,
                          OimaHashAlgo algo, guint8 *out_digest, gsize *out_len, GError **error)
{
  g_autoptr (EVP_MD) md = oima_hash_algo_fetch_md (algo);
  g_autoptr (EVP_MD_CTX) ctx = EVP_MD_CTX_new ();
  if (md == NULL || ctx == NULL || EVP_DigestInit_ex (ctx, md, NULL) != 1)
    return oima_throw_openssl (error, "Hash algorithm %s", oima_hash_algo_name (algo));
  for (guint i = 0; i < G_N_ELEMENTS (covered); i++)
    {
      g_autoptr (GBytes) value = oima_xattrs_lookup (xattrs, covered[i]);
      gsize len = 0;
      const void *data = value ? g_bytes_get_data (value, &len) : NULL;
      if (value && len > 0 && EVP_DigestUpdate (ctx, data, len) != 1)
        return oima_throw_openssl (error, "Hashing %s", covered[i]);
    }
  HMisc misc;
  memset (&misc, 0, sizeof misc);
  misc.uid = uid;
  misc.gid = gid;
  misc.mode = (guint16)mode;
  unsigned int n = 0;
  if (EVP_DigestUpdate (ctx, &misc, sizeof misc) != 1
      || EVP_DigestFinal_ex (ctx, out_digest, &n) != 1)
    return oima_throw_openssl (error, "Hashing the EVM metadata");
  *out_len = n;
  return TRUE;
}

GBytes *
oima_evm_sign_portable (OimaSigningKey *key, OimaHashAlgo algo, GVariant *xattrs, guint32 uid,
                        guint32 gid, guint32 mode, GError **error)
{
  g_autoptr (GBytes) ima = oima_xattrs_lookup (xattrs, OIMA_XATTR_IMA);
  if (ima == NULL)
    return oima_null_throw (error, "A portable EVM signature needs security.ima: the kernel "
                                   "refuses one without it");
  guint8 digest[OIMA_MAX_DIGEST_SIZE];
  gsize len = 0;
  if (!oima_evm_portable_digest (xattrs, uid, gid, mode, algo, digest, &len, error))
    return NULL;
  return oima_signing_key_sign_xattr (key, OIMA_XATTR_TYPE_EVM_PORTABLE_DIGSIG, algo, digest, len,
                                      error);
}

const char *
oima_evm_mode_name (OimaEvmMode mode)
{
  switch (mode)
    {
    case OIMA_EVM_MODE_OFF:
      return "off";
    case OIMA_EVM_MODE_X509:
      return "x509";
    case OIMA_EVM_MODE_HMAC:
      return "hmac";
    }
  return "unknown";
}

gboolean
oima_evm_mode_parse (const char *name, OimaEvmMode *out_mode, GError **error)
{
  for (OimaEvmMode m = OIMA_EVM_MODE_OFF; m <= OIMA_EVM_MODE_HMAC; m++)
    if (g_str_equal (name, oima_evm_mode_name (m)))
      {
        *out_mode = m;
        return TRUE;
      }
  return oima_throw (error, "invalid value \"%s\" (expected off, x509 or hmac)", name);
}

const char *
oima_evm_status_kernel_cause (OimaEvmStatus status)
{
  /* ima_appraise_measurement(): the switch over evm_verifyxattr(). */
  switch (status)
    {
    case OIMA_EVM_PASS:
    case OIMA_EVM_PASS_IMMUTABLE:
      return NULL;
    case OIMA_EVM_NOLABEL:
      return "missing-HMAC";
    case OIMA_EVM_FAIL_IMMUTABLE:
      return "invalid-fail-immutable";
    case OIMA_EVM_FAIL:
    default:
      return "invalid-HMAC";
    }
}

#define SIG_V2_HEADER 9

/* evm_verify_hmac() in x509 mode (no HMAC key), with the verdict of the
 * value alone.  *@out_inode_bound: a well-formed HMAC or 0x03 signature,
 * which only the device's key and inode can check. */
static OimaEvmStatus
evm_check (OimaTrust *trust, GVariant *xattrs, guint32 uid, guint32 gid, guint32 mode,
           OimaVerifyStatus *out_status, char **out_detail, gboolean *out_inode_bound)
{
  *out_detail = NULL;
  *out_inode_bound = FALSE;
  *out_status = OIMA_VERIFY_BAD_SIGNATURE;
  g_autoptr (GBytes) evm = oima_xattrs_lookup (xattrs, OIMA_XATTR_EVM);
  if (evm == NULL)
    {
      /* INTEGRITY_NOLABEL (INTEGRITY_NOXATTRS without any covered xattr:
       * the same cause, missing-HMAC, without a modsig). */
      *out_status = OIMA_VERIFY_UNSIGNED;
      *out_detail = g_strdup ("no security.evm");
      return OIMA_EVM_NOLABEL;
    }
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (evm, &len);
  if (len == 0)
    {
      *out_detail = g_strdup ("an empty security.evm");
      return OIMA_EVM_FAIL;
    }
  switch (data[0])
    {
    case OIMA_XATTR_TYPE_EVM_HMAC:
      if (len != 21)
        {
          *out_detail
              = g_strdup_printf ("an EVM HMAC of %" G_GSIZE_FORMAT " bytes (21 expected)", len);
          return OIMA_EVM_FAIL;
        }
      *out_inode_bound = TRUE;
      *out_detail = g_strdup ("security.evm is an HMAC (0x02), bound to one inode by the "
                              "device's own key: it cannot pass without that key (EVM in x509 "
                              "mode)");
      return OIMA_EVM_FAIL;
    case OIMA_XATTR_TYPE_DIGSIG:
      if (len <= SIG_V2_HEADER)
        {
          *out_detail = g_strdup ("an EVM signature header without a signature");
          return OIMA_EVM_FAIL;
        }
      *out_inode_bound = TRUE;
      *out_detail = g_strdup ("security.evm is an inode-bound signature (0x03), valid only for "
                              "the inode it was made for: the device's copy is another one");
      return OIMA_EVM_FAIL;
    case OIMA_XATTR_TYPE_EVM_PORTABLE_DIGSIG:
      break;
    default:
      *out_detail = g_strdup_printf ("security.evm of type 0x%02x", data[0]);
      return OIMA_EVM_FAIL;
    }
  /* A portable signature: from here on every failure is immutable. */
  if (len <= SIG_V2_HEADER)
    {
      *out_detail = g_strdup ("a portable EVM signature header without a signature");
      return OIMA_EVM_FAIL;
    }
  OimaXattrValue v;
  g_autoptr (GError) local_error = NULL;
  if (!oima_xattr_decode (data, len, &v, &local_error))
    {
      *out_detail = g_strdup_printf ("malformed security.evm: %s", local_error->message);
      return OIMA_EVM_FAIL_IMMUTABLE;
    }
  g_autoptr (GBytes) ima = oima_xattrs_lookup (xattrs, OIMA_XATTR_IMA);
  if (ima == NULL)
    {
      *out_detail = g_strdup ("a portable EVM signature on a file without security.ima");
      return OIMA_EVM_FAIL_IMMUTABLE;
    }
  guint8 digest[OIMA_MAX_DIGEST_SIZE];
  gsize dlen = 0;
  if (!oima_hash_algo_is_available (v.algo)
      || !oima_evm_portable_digest (xattrs, uid, gid, mode, v.algo, digest, &dlen, &local_error))
    {
      *out_detail
          = g_strdup_printf ("cannot compute the %s EVM digest", oima_hash_algo_name (v.algo));
      return OIMA_EVM_FAIL_IMMUTABLE;
    }
  g_autofree char *why = NULL;
  oima_trust_verify_signature (trust, &v, digest, dlen, out_status, &why);
  switch (*out_status)
    {
    case OIMA_VERIFY_VALID:
      return OIMA_EVM_PASS_IMMUTABLE;
    case OIMA_VERIFY_UNKNOWN_KEY:
      *out_detail = g_strdup_printf ("portable EVM signature: %s", why);
      return OIMA_EVM_FAIL_IMMUTABLE;
    default:
      *out_detail = g_strdup_printf (
          "the %s portable EVM signature by key %08x does not match the file's security "
          "xattrs, owner, group and mode (changed after signing?)",
          oima_hash_algo_name (v.algo), v.keyid);
      return OIMA_EVM_FAIL_IMMUTABLE;
    }
}

OimaEvmStatus
oima_evm_appraise (OimaTrust *trust, OimaEvmMode evm_mode, GVariant *xattrs, guint32 uid,
                   guint32 gid, guint32 mode, char **out_detail)
{
  OimaVerifyStatus status;
  gboolean inode_bound = FALSE;
  OimaEvmStatus r = evm_check (trust, xattrs, uid, gid, mode, &status, out_detail, &inode_bound);
  if (inode_bound && evm_mode == OIMA_EVM_MODE_HMAC)
    {
      g_clear_pointer (out_detail, g_free);
      return OIMA_EVM_PASS;
    }
  return r;
}

void
oima_evm_verify (OimaTrust *trust, GVariant *xattrs, guint32 uid, guint32 gid, guint32 mode,
                 OimaVerifyStatus *out_status, char **out_detail)
{
  gboolean inode_bound = FALSE;
  evm_check (trust, xattrs, uid, gid, mode, out_status, out_detail, &inode_bound);
  if (inode_bound)
    {
      g_free (*out_detail);
      *out_detail = g_strdup ("security.evm is bound to one inode on one machine (0x02, 0x03)");
    }
}
