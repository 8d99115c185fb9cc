/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Portable EVM signatures (security.evm type 0x05): a signature over the
 * file's security xattrs and owner, group and mode, computed as the
 * kernel's evm_calc_hmac_or_hash() does for a portable value: the raw
 * values, in the kernel's order, of those present of security.selinux,
 * security.SMACK64, security.SMACK64EXEC, security.SMACK64TRANSMUTE,
 * security.SMACK64MMAP, security.apparmor, security.ima and
 * security.capability, then struct h_misc { unsigned long ino = 0;
 * u32 generation = 0; uid_t uid; gid_t gid; umode_t mode; } (x86_64
 * layout, zero padding), and no file system UUID.  It depends only on what
 * a content object is, so it travels in a commit (byte-identical to
 * `evmctl sign --portable` for RSA).
 *
 *   g_autoptr(GBytes) evm = oima_evm_sign_portable (key, OIMA_HASH_SHA256, xattrs,
 *                                                   0, 0, 0100755, &error);
 *   xattrs = oima_xattrs_set (xattrs, "security.evm", evm);
 */
#pragma once

#include "oima-signing-key.h"
#include "oima-trust.h"

G_BEGIN_DECLS

/* The portable EVM digest of a file with @xattrs (a(ayay)), @uid, @gid and
 * the full @mode (file type bits included). */
gboolean oima_evm_portable_digest (GVariant *xattrs, guint32 uid, guint32 gid, guint32 mode,
                                   OimaHashAlgo algo, guint8 *out_digest, gsize *out_len,
                                   GError **error);

/* The security.evm value (0x05, signature v2).  The kernel refuses a
 * portable signature on a file without security.ima: so does this. */
GBytes *oima_evm_sign_portable (OimaSigningKey *key, OimaHashAlgo algo, GVariant *xattrs,
                                guint32 uid, guint32 gid, guint32 mode, GError **error);

/* Check the security.evm in @xattrs: VALID for a portable signature by a
 * trusted key over these xattrs and metadata; UNSIGNED without one;
 * BAD_SIGNATURE if it does not match (the metadata changed) or is malformed
 * or bound to one inode (0x02, 0x03: not checkable here); UNKNOWN_KEY. */
void oima_evm_verify (OimaTrust *trust, GVariant *xattrs, guint32 uid, guint32 gid, guint32 mode,
                      OimaVerifyStatus *out_status, char **out_detail);

G_END_DECLS
