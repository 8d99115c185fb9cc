/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The device's configuration, /etc/ostree/ima.conf of the sysroot being
 * operated on (GKeyFile):
 *
 *   [trust]
 *   certs=/etc/keys/ima                 # files or directories, ';'-separated
 *   [policy]
 *   file=/etc/ima/ima-policy            # the policy the device loads, and/or
 *   builtin=appraise_tcb                # what it boots with (ima_policy=...)
 *   fsmagic=ext4                        # default: detected from the sysroot
 *   kernel=6.12                         # the device kernel's version
 *   evm=off                             # the kernel's EVM mode: off | x509 | hmac
 *   [pull]
 *   mode=warn                           # enforce | warn | off
 *   [deploy]
 *   mode=warn
 *   strip-xattrs=security.evm           # removed from deployed copies
 *   etc-signing-key=/etc/keys/ima/device.pem   # or a pkcs11: URI
 *   etc-signing-pass-file=/run/ima/pass
 *   etc-signing-cert=/etc/keys/ima/device.der
 *
 * Every path is a path on the device: it is resolved inside the sysroot.
 * A missing file means the defaults (with no /etc/keys/ima either, the
 * sysroot is not set up for IMA: oima_device_config_is_unset());
 * anything malformed is one error
 * naming the file, the line and the key.  A passphrase or PIN never goes
 * into the file itself.
 *
 *   g_autoptr(OimaDeviceConfig) config = NULL;
 *   oima_device_config_load ("/sysroot", NULL, &config, &error);
 *   if (config->pull_mode == OIMA_ENFORCE_MODE_ENFORCE) ...
 */
#pragma once

#include <gio/gio.h>

#include "oima-evm.h"

G_BEGIN_DECLS

typedef enum
{
  OIMA_ENFORCE_MODE_OFF,
  OIMA_ENFORCE_MODE_WARN,
  OIMA_ENFORCE_MODE_ENFORCE,
} OimaEnforceMode;

const char *oima_enforce_mode_name (OimaEnforceMode mode);

typedef struct
{
  char *sysroot;  /* the sysroot on this host */
  char *path;     /* the file read (host path) */
  gboolean found; /* FALSE: no file, defaults */

  GPtrArray *certs;         /* host paths of certificate files or directories */
  char *policy_file;        /* host path, or NULL */
  char *policy_file_device; /* the same as the device names it ("/etc/ima/ima-policy") */
  GStrv builtins;           /* "tcb", "appraise_tcb", "secure_boot", ...; never NULL */
  gboolean has_fsmagic;     /* else detect from the sysroot */
  guint64 fsmagic;
  char *kernel;         /* "6.12", or NULL: the newest the simulator knows */
  char *evm;            /* "off", "x509", "hmac": the name of evm_mode */
  OimaEvmMode evm_mode; /* what the simulator appraises with (oima-evm.h) */
  OimaEnforceMode pull_mode;
  OimaEnforceMode deploy_mode;
  GStrv strip_xattrs;          /* never NULL */
  char *etc_signing_key;       /* host path or "pkcs11:" URI, or NULL */
  char *etc_signing_pass_file; /* host path, or NULL */
  char *etc_signing_cert;      /* host path, or NULL */
  /* Not read from the file: who the simulator runs and reads as (0, root;
   * `ostree ima appraise --as-uid/--as-gid`). */
  guint32 subject_uid;
  guint32 subject_gid;
} OimaDeviceConfig;

/* Read @conf_path (a host path; NULL: SYSROOT/etc/ostree/ima.conf) with
 * device paths resolved inside @sysroot. */
gboolean oima_device_config_load (const char *sysroot, const char *conf_path,
                                  OimaDeviceConfig **out_config, GError **error);
void oima_device_config_free (OimaDeviceConfig *config);

/* TRUE when the sysroot is not set up for IMA at all: no configuration
 * file and no certificate at the default place.  The hooks leave such a
 * sysroot alone (a device that never had keys cannot have a trust to
 * check against, and must still be able to upgrade). */
gboolean oima_device_config_is_unset (const OimaDeviceConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OimaDeviceConfig, oima_device_config_free)

/* The file system magic of @path (statfs), for fsmagic= rules. */
gboolean oima_fsmagic_of_path (const char *path, guint64 *out_magic, GError **error);

/* "ext4" -> 0xEF53 and the other names the kernel's policies use; a number
 * (0x...) is taken as is. */
gboolean oima_fsmagic_parse (const char *name, guint64 *out_magic, GError **error);

G_END_DECLS
