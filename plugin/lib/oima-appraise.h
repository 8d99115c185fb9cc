/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The appraisal simulator: what the kernel's IMA appraisal does with a
 * file under a policy and a keyring, for each hook the device can hit:
 *
 *   BPRM_CHECK         files with an exec bit (executed)
 *   MMAP_CHECK         ELF files (mapped for execution)
 *   MODULE_CHECK       *.ko, *.ko.{xz,zst,gz} under (usr/)lib/modules
 *   FIRMWARE_CHECK     files under (usr/)lib/firmware
 *   KEXEC_KERNEL_CHECK / KEXEC_INITRAMFS_CHECK  the deployment's vmlinuz, initramfs
 *   POLICY_CHECK       IMA policy files (/etc/ima/)
 *   FILE_CHECK         every file, read by the subject (root unless told)
 *
 * Rules match in order (ima_match_policy): for appraisal, the first rule
 * whose action is appraise or dont_appraise and whose conditions hold
 * decides; its options (appraise_type=imasig, appraise_algos=, ...) decide
 * the verdict, with the kernel's own audit causes (ima_appraise.c):
 * IMA-signature-required, missing-hash, invalid-hash, invalid-signature,
 * denied-hash-algorithm, verity-signature-required, unknown-ima-data.
 *
 *   OimaAppraiserOptions opts = { .policy = policy, .fsmagic = 0xEF53 };
 *   g_autoptr(OimaAppraiser) ap = oima_appraiser_new (&opts);
 *   OimaDeviceCheckOptions check = { .trust = trust, .appraise = oima_appraiser_check_file,
 *                                    .appraise_data = ap };
 *
 * With EVM on (.evm: the device's /sys/kernel/security/evm), every file
 * IMA appraises that has a security.ima is first checked as
 * evm_verifyxattr() does (oima-evm.h): no security.evm is "missing-HMAC",
 * a portable signature (0x05) that does not verify (a changed mode, owner
 * or covered xattr, another key) "invalid-fail-immutable", an HMAC (0x02)
 * in x509 mode or a malformed value "invalid-HMAC"; only then is
 * security.ima appraised, and a hash passes an imasig rule when a portable
 * EVM signature covers it (xattr_verify(): INTEGRITY_PASS_IMMUTABLE).
 *
 * Without a policy (.policy NULL) every regular file is appraised as
 * under `appraise appraise_type=imasig`, with no hook named (the device
 * check's rule without a policy, and EVM on top).
 *
 * Not modelled: LSM labels of the subject (subj_* rules never match; obj_*
 * rules match the file's security.selinux), fs-verity, appended module
 * signatures (modsig), xattrs added to EVM at run time
 * (/sys/kernel/security/integrity/evm/evm_xattrs), and HMACs and
 * inode-bound EVM signatures (0x02, 0x03), which need the device's key and
 * inode: in hmac mode they are taken as valid.
 */
#pragma once

#include "oima-device-check.h"
#include "oima-evm.h"
#include "oima-policy.h"

G_BEGIN_DECLS

typedef struct
{
  OimaPolicy *policy;   /* NULL: every file must be signed (see above) */
  guint64 fsmagic;      /* the file system the files live on */
  const char *fsname;   /* its name for fsname= rules (NULL: from fsmagic) */
  const guint8 *fsuuid; /* 16 bytes; NULL: fsuuid= rules match (the deployment's fs) */
  guint32 subject_uid;  /* who runs and reads: 0 */
  guint32 subject_gid;
  const char *policy_path; /* the device path of its policy file, for POLICY_CHECK */
  OimaEvmMode evm;         /* the device's EVM mode */
  OimaTrust *evm_trust;    /* its _evm keyring; required unless evm is OFF */
} OimaAppraiserOptions;

typedef struct _OimaAppraiser OimaAppraiser;

OimaAppraiser *oima_appraiser_new (const OimaAppraiserOptions *options);
void oima_appraiser_free (OimaAppraiser *appraiser);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OimaAppraiser, oima_appraiser_free)

/* The hooks the device can hit for @file (bit n: OimaHook n). */
gboolean oima_appraiser_file_hooks (OimaAppraiser *appraiser, OimaScanFile *file, guint *out_hooks,
                                    GCancellable *cancellable, GError **error);

/* The rule that decides appraisal of @file at @hook (with @mask), or NULL
 * when none does or a dont_appraise rule does. */
const OimaPolicyRule *oima_appraiser_match (OimaAppraiser *appraiser, OimaScanFile *file,
                                            OimaHook hook, guint mask);

/* An OimaDeviceAppraiseFunc: @user_data is the OimaAppraiser. */
gboolean oima_appraiser_check_file (OimaScanFile *file, OimaVerifyStatus status, const char *detail,
                                    gpointer user_data, GPtrArray *denials,
                                    GCancellable *cancellable, GError **error);

G_END_DECLS
