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

void
oima_evm_verify (OimaTrust *trust, GVariant *xattrs, guint32 uid, guint32 gid, guint32 mode,
                 OimaVerifyStatus *out_status, char **out_detail)
{
  *out_detail = NULL;
  g_autoptr (GBytes) evm = oima_xattrs_lookup (xattrs, OIMA_XATTR_EVM);
  if (evm == NULL)
    {
      *out_status = OIMA_VERIFY_UNSIGNED;
      *out_detail = g_strdup ("no security.evm");
      return;
    }
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (evm, &len);
  OimaXattrValue v;
  g_autoptr (GError) local_error = NULL;
  if (!oima_xattr_decode (data, len, &v, &local_error))
    {
      *out_status = OIMA_VERIFY_BAD_SIGNATURE;
      *out_detail = g_strdup_printf ("malformed security.evm: %s", local_error->message);
      return;
    }
  if (v.type != OIMA_XATTR_TYPE_EVM_PORTABLE_DIGSIG)
    {
      *out_status = OIMA_VERIFY_BAD_SIGNATURE;
      *out_detail = g_strdup_printf ("security.evm is %s, bound to one inode on one machine",
                                     oima_xattr_type_name (v.type));
      return;
    }
  guint8 digest[OIMA_MAX_DIGEST_SIZE];
  gsize dlen = 0;
  if (!oima_hash_algo_is_available (v.algo)
      || !oima_evm_portable_digest (xattrs, uid, gid, mode, v.algo, digest, &dlen, &local_error))
    {
      *out_status = OIMA_VERIFY_BAD_SIGNATURE;
      *out_detail
          = g_strdup_printf ("cannot compute the %s EVM digest", oima_hash_algo_name (v.algo));
      return;
    }
  oima_trust_verify_signature (trust, &v, digest, dlen, out_status, out_detail);
}
