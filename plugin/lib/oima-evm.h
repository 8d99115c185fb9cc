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

/* The device's EVM mode (/sys/kernel/security/evm): off; x509, the _evm
 * keyring only (`echo 2`, no HMAC key): only signatures can pass; hmac, a
 * device-secret HMAC key as well (`echo 1` or 3). */
typedef enum
{
  OIMA_EVM_MODE_OFF,
  OIMA_EVM_MODE_X509,
  OIMA_EVM_MODE_HMAC,
} OimaEvmMode;

/* "off", "x509", "hmac" */
const char *oima_evm_mode_name (OimaEvmMode mode);
/* The inverse; an error says what is expected. */
gboolean oima_evm_mode_parse (const char *name, OimaEvmMode *out_mode, GError **error);

/* What the kernel's evm_verify_hmac() concludes (enum integrity_status). */
typedef enum
{
  OIMA_EVM_PASS,           /* INTEGRITY_PASS: an HMAC or inode-bound signature (hmac mode) */
  OIMA_EVM_PASS_IMMUTABLE, /* a portable signature that verifies */
  OIMA_EVM_FAIL,           /* INTEGRITY_FAIL: bad HMAC, inode-bound value, malformed */
  OIMA_EVM_FAIL_IMMUTABLE, /* a portable signature that does not verify */
  OIMA_EVM_NOLABEL,        /* no security.evm (but EVM-covered xattrs) */
} OimaEvmStatus;

/* The cause ima_appraise_measurement() logs for @status: "missing-HMAC",
 * "invalid-HMAC", "invalid-fail-immutable", or NULL (passes). */
const char *oima_evm_status_kernel_cause (OimaEvmStatus status);

/* evm_verify_hmac() for a file with @xattrs, @uid, @gid and the full @mode
 * on a device in @evm_mode (not OFF) whose _evm keyring is @trust.  A
 * portable signature is verified as the kernel does; an HMAC (0x02) cannot
 * pass without an HMAC key (x509 mode); in hmac mode it, and an inode-bound
 * signature (0x03), are bound to the device's key and inode and cannot be
 * checked here: they are taken as valid in hmac mode; in x509 mode a 0x03
 * is taken as made for another inode (a checkout is a new one).
 * @out_detail: one line for anything but a pass. */
OimaEvmStatus oima_evm_appraise (OimaTrust *trust, OimaEvmMode evm_mode, GVariant *xattrs,
                                 guint32 uid, guint32 gid, guint32 mode, char **out_detail);

/* The same, as a verdict of the security.evm alone (no device mode): VALID
 * for a portable signature by a trusted key over these xattrs and metadata;
 * UNSIGNED without one; UNKNOWN_KEY; BAD_SIGNATURE if it does not match
 * (the metadata changed), is malformed or is bound to one inode (0x02,
 * 0x03: not checkable here). */
void oima_evm_verify (OimaTrust *trust, GVariant *xattrs, guint32 uid, guint32 gid, guint32 mode,
                      OimaVerifyStatus *out_status, char **out_detail);

G_END_DECLS
