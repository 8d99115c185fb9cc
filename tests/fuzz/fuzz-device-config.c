/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer target: /etc/ostree/ima.conf of a sysroot, as the pull and
 * deploy hooks read it.  It loads, or fails with one message naming the
 * file; nothing outside the sysroot is named as a path it resolved.
 */

#include <glib/gstdio.h>
#include <string.h>

#include "oima-device-config.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static char *sysroot;
static char *conf;

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  if (sysroot == NULL)
    {
      g_autoptr (GError) error = NULL;
      sysroot = g_dir_make_tmp ("oima-fuzz-conf-XXXXXX", &error);
      g_assert_no_error (error);
      g_autofree char *dir = g_build_filename (sysroot, "etc/ostree", NULL);
      g_assert (g_mkdir_with_parents (dir, 0755) == 0);
      conf = g_build_filename (dir, "ima.conf", NULL);
    }
  g_autoptr (GError) error = NULL;
  g_assert (g_file_set_contents (conf, (const char *)data, (gssize)size, &error));
  g_autoptr (OimaDeviceConfig) config = NULL;
  if (!oima_device_config_load (sysroot, NULL, &config, &error))
    {
      g_assert (error != NULL && strstr (error->message, "ima.conf") != NULL);
      return 0;
    }
  g_assert (config != NULL && config->builtins != NULL && config->strip_xattrs != NULL);
  for (guint i = 0; i < config->certs->len; i++)
    g_assert (g_str_has_prefix (config->certs->pdata[i], sysroot));
  if (config->policy_file)
    g_assert (g_str_has_prefix (config->policy_file, sysroot));
  return 0;
}
