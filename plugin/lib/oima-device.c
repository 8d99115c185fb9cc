/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <string.h>

#include "oima-device.h"
#include "oima-util.h"

void
oima_device_free (OimaDevice *device)
{
  g_clear_pointer (&device->appraiser, oima_appraiser_free);
  g_clear_pointer (&device->policy, oima_policy_unref);
  g_clear_pointer (&device->trust, oima_trust_unref);
  g_clear_pointer (&device->config, oima_device_config_free);
  g_free (device->policy_source);
  g_free (device);
}

static gboolean
load_trust (OimaDevice *d, GError **error)
{
  d->trust = oima_trust_new ();
  for (guint i = 0; i < d->config->certs->len; i++)
    {
      const char *path = d->config->certs->pdata[i];
      if (!oima_trust_add_path (d->trust, path, error))
        {
          oima_prefix_error (error, "%s: [trust] certs", d->config->path);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
load_policy (OimaDevice *d, GError **error)
{
  OimaDeviceConfig *c = d->config;
  OimaPolicyOptions opts = { .kernel = c->kernel };
  if (c->policy_file)
    {
      g_autofree char *text = NULL;
      if (!g_file_get_contents (c->policy_file, &text, NULL, error))
        {
          oima_prefix_error (error, "%s: [policy] file", c->path);
          return FALSE;
        }
      /* Messages name the policy as the device knows it. */
      const char *device_path = c->policy_file_device ? c->policy_file_device : c->policy_file;
      d->policy = oima_policy_parse (text, -1, device_path, &opts, error);
      d->policy_source = g_strdup (device_path);
    }
  else if (c->builtins[0] != NULL)
    {
      d->policy = oima_policy_new_builtin ((const char *const *)c->builtins, &opts, error);
      g_autofree char *names = g_strjoinv ("|", c->builtins);
      d->policy_source = g_strdup_printf ("ima_policy=%s", names);
    }
  else if (c->evm_mode == OIMA_EVM_MODE_OFF)
    return TRUE; /* no appraiser: the device check's own rule, every file signed */
  if (d->policy == NULL && (c->policy_file || c->builtins[0] != NULL))
    {
      oima_prefix_error (error, "%s: [policy]", c->path);
      return FALSE;
    }
  /* Without a policy every file must be signed (the device check's own
   * rule); with EVM on, the appraiser adds a valid security.evm to that.
   * The _evm keyring holds the same certificates as _ima. */
  guint64 fsmagic = c->fsmagic;
  if (d->policy && !c->has_fsmagic && !oima_fsmagic_of_path (c->sysroot, &fsmagic, error))
    return FALSE;
  OimaAppraiserOptions aopts = { .policy = d->policy,
                                 .fsmagic = fsmagic,
                                 .policy_path = c->policy_file_device,
                                 .evm = c->evm_mode,
                                 .evm_trust = d->trust,
                                 .subject_uid = c->subject_uid,
                                 .subject_gid = c->subject_gid };
  d->appraiser = oima_appraiser_new (&aopts);
  return TRUE;
}

gboolean
oima_device_new (OimaDeviceConfig *config, OimaDevice **out_device, GError **error)
{
  g_autoptr (OimaDevice) d = g_new0 (OimaDevice, 1);
  d->config = config;
  if (!load_trust (d, error) || !load_policy (d, error))
    return FALSE;
  d->check.trust = d->trust;
  if (d->appraiser)
    {
      d->check.appraise = oima_appraiser_check_file;
      d->check.appraise_data = d->appraiser;
    }
  *out_device = g_steal_pointer (&d);
  return TRUE;
}

gboolean
oima_device_load (const char *sysroot, const char *conf_path, OimaDevice **out_device,
                  GError **error)
{
  OimaDeviceConfig *config = NULL;
  if (!oima_device_config_load (sysroot, conf_path, &config, error))
    return FALSE;
  if (oima_device_config_is_unset (config))
    {
      oima_device_config_free (config);
      *out_device = NULL;
      return TRUE;
    }
  return oima_device_new (config, out_device, error);
}
