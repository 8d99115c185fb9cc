/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A device as the hooks and `ostree ima appraise --sysroot` see it: its
 * configuration (oima-device-config.h), the keyring it trusts, the IMA
 * policy it runs under, and the simulator set up for them.
 *
 *   g_autoptr(OimaDevice) device = NULL;
 *   oima_device_load ("/sysroot", NULL, &device, &error);
 *   if (device == NULL) return TRUE;   // not set up for IMA
 *   g_autoptr(OimaDeviceReport) report = NULL;
 *   oima_device_check_commit (repo, checksum, &device->check, &report, c, &error);
 *
 * A policy file replaces the builtin rules, as loading one does in the
 * kernel (ima_update_policy switches the rule list; builtin appraise rules
 * that CONFIG_IMA_APPRAISE_REQUIRE_*_SIGS would add, and arch rules, are
 * not modelled: Debian sets neither).  Without a policy, every regular file
 * must carry a valid signature.
 */
#pragma once

#include "oima-appraise.h"
#include "oima-device-check.h"
#include "oima-device-config.h"

G_BEGIN_DECLS

typedef struct
{
  OimaDeviceConfig *config;
  OimaTrust *trust;
  OimaPolicy *policy;           /* NULL: no policy configured */
  char *policy_source;          /* "/etc/ima/ima-policy", "ima_policy=appraise_tcb" */
  OimaAppraiser *appraiser;     /* NULL without a policy */
  OimaDeviceCheckOptions check; /* ready for oima_device_check_*() */
} OimaDevice;

/* Load the configuration of @sysroot (@conf_path: another file, NULL: its
 * /etc/ostree/ima.conf) and everything it names.  Errors name the
 * configuration file.  A sysroot not set up for IMA (no configuration,
 * no /etc/keys/ima: oima_device_config_is_unset()) gives TRUE and a NULL
 * *@out_device. */
gboolean oima_device_load (const char *sysroot, const char *conf_path, OimaDevice **out_device,
                           GError **error);

/* Set up trust, policy and simulator from @config (taken over). */
gboolean oima_device_new (OimaDeviceConfig *config, OimaDevice **out_device, GError **error);

void oima_device_free (OimaDevice *device);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OimaDevice, oima_device_free)

G_END_DECLS
