/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <string.h>
#include <sys/xattr.h>

#include "ima-hooks.h"
#include "oima-device.h"
#include "oima-disk.h"
#include "oima-evm.h"
#include "oima-key-spec.h"
#include "oima-tree-scan.h"
#include "oima-util.h"
#include "oima-xattr-codec.h"

#define CONF_ENV "OSTREE_IMA_CONF"
#define MAX_LISTED 5

/* The sysroot a repository belongs to (SYSROOT/ostree/repo), or NULL. */
static char *
sysroot_of_repo (OstreeRepo *repo)
{
  g_autofree char *path = g_file_get_path (ostree_repo_get_path (repo));
  g_autofree char *real = path ? realpath (path, NULL) : NULL;
  if (real == NULL || !g_str_has_suffix (real, "/ostree/repo"))
    return NULL;
  return g_strndup (real, strlen (real) - strlen ("/ostree/repo"));
}

static gboolean
decide (OimaDevice *device, OimaEnforceMode mode, const char *section, const char *what,
        OimaDeviceReport *report, GError **error)
{
  if (report->n_denied_files == 0 || mode == OIMA_ENFORCE_MODE_OFF)
    return TRUE;
  g_autofree char *summary = oima_device_report_summary (report, MAX_LISTED);
  g_autofree char *policy = device->policy_source
                                ? g_strdup_printf ("policy %s", device->policy_source)
                                : g_strdup ("no policy: every file must be signed");
  if (mode == OIMA_ENFORCE_MODE_ENFORCE)
    return oima_throw (error, "ima: refusing %s: %s (%s; %s [%s] mode=enforce)", what, summary,
                       policy, device->config->path, section);
  g_printerr ("ima: warning: %s: %s (%s; %s [%s] mode=warn)\n", what, summary, policy,
              device->config->path, section);
  return TRUE;
}

gboolean
ima_hook_pull_commit (OstreeRepo *repo, const char *remote_name, const char *ref_name,
                      const char *checksum, GCancellable *cancellable, GError **error)
{
  const char *conf = g_getenv (CONF_ENV);
  g_autofree char *sysroot = sysroot_of_repo (repo);
  /* Other repositories are left alone unless a configuration is named. */
  if (sysroot == NULL && conf == NULL)
    return TRUE;
  g_autoptr (OimaDevice) device = NULL;
  if (!oima_device_load (sysroot ? sysroot : "/", conf, &device, error))
    {
      g_prefix_error (error, "ima: ");
      return FALSE;
    }
  if (device == NULL || device->config->pull_mode == OIMA_ENFORCE_MODE_OFF)
    return TRUE;
  g_autoptr (OimaDeviceReport) report = NULL;
  if (!oima_device_check_commit (repo, checksum, &device->check, &report, cancellable, error))
    {
      g_prefix_error (error, "ima: commit %s: ", checksum);
      return FALSE;
    }
  g_autofree char *what = g_strdup_printf ("commit %s%s%s", checksum, ref_name ? " for " : "",
                                           ref_name ? ref_name : "");
  return decide (device, device->config->pull_mode, "pull", what, report, error);
}

typedef struct
{
  char *const *names;
  gboolean composefs; /* the deployment has a composefs image (.ostree.cfs) */
  guint n_stripped;
} Strip;

static gboolean
strip_file (int dfd, const char *relpath, const char *path, const struct stat *st,
            gpointer user_data, GError **error)
{
  Strip *s = user_data;
  if (!S_ISREG (st->st_mode))
    return TRUE;
  gboolean broken = FALSE;
  for (char *const *name = s->names; *name; name++)
    {
      g_autoptr (GBytes) value = NULL;
      if (!oima_disk_read_xattr (dfd, relpath, *name, &value, error))
        return FALSE;
      if (value == NULL)
        continue;
      /* Under composefs only the merged /etc comes from this directory;
       * everything else is served from the image ostree wrote from the
       * commit, which a change here would not reach. */
      if (s->composefs && !g_str_has_prefix (relpath, "etc/"))
        return oima_throw (error,
                           "%s: cannot remove %s from a composefs deployment (its image holds "
                           "the commit's xattrs); strip it at build time",
                           path, *name);
      if (!broken && !oima_disk_break_hardlink (dfd, relpath, error))
        return FALSE;
      broken = TRUE;
      g_autofree char *at = g_strdup_printf ("/proc/self/fd/%d/%s", dfd, relpath);
      if (lremovexattr (at, *name) < 0 && errno != ENODATA)
        return oima_throw_errno (error, path);
    }
  s->n_stripped += broken;
  return TRUE;
}

/* Sign one /etc file the policy would deny, on a copy of its own: IMA, and
 * with EVM on a portable EVM signature over its final values too. */
static gboolean
sign_etc_file (int dfd, const char *path, OimaSigningKey *key, OimaEvmMode evm_mode, GError **error)
{
  const char *relpath = path + 1;
  if (!oima_disk_break_hardlink (dfd, relpath, error))
    return FALSE;
  oima_autofd int fd = -1;
  if (!oima_disk_open_regular (dfd, relpath, &fd, error))
    return FALSE;
  guint8 digest[OIMA_MAX_DIGEST_SIZE];
  gsize len = 0;
  if (!oima_hash_fd (OIMA_HASH_SHA256, fd, digest, &len, NULL, error))
    return FALSE;
  g_autoptr (GBytes) ima = oima_signing_key_sign_xattr (key, OIMA_XATTR_TYPE_DIGSIG,
                                                        OIMA_HASH_SHA256, digest, len, error);
  if (ima == NULL)
    return FALSE;
  g_autofree char *at = g_strdup_printf ("/proc/self/fd/%d/%s", dfd, relpath);
  if (lsetxattr (at, OIMA_XATTR_IMA, g_bytes_get_data (ima, NULL), g_bytes_get_size (ima), 0) < 0)
    return oima_throw_errno (error, path);
  if (evm_mode == OIMA_EVM_MODE_OFF)
    return TRUE;
  struct stat st;
  g_autoptr (GVariant) xattrs = NULL;
  if (fstat (fd, &st) < 0)
    return oima_throw_errno (error, path);
  if (!oima_disk_read_xattrs (dfd, relpath, &xattrs, error))
    return FALSE;
  g_autoptr (GBytes) evm = oima_evm_sign_portable (key, OIMA_HASH_SHA256, xattrs, st.st_uid,
                                                   st.st_gid, st.st_mode, error);
  if (evm == NULL)
    return FALSE;
  if (lsetxattr (at, OIMA_XATTR_EVM, g_bytes_get_data (evm, NULL), g_bytes_get_size (evm), 0) < 0)
    return oima_throw_errno (error, path);
  return TRUE;
}

static gboolean
sign_etc (OimaDevice *device, int dfd, guint *out_signed, GCancellable *cancellable, GError **error)
{
  OimaDeviceConfig *c = device->config;
  OimaKeySpec spec = { .key = c->etc_signing_key,
                       .pass_file = c->etc_signing_pass_file,
                       .cert = c->etc_signing_cert };
  OimaKeySpecPart part = OIMA_KEY_SPEC_KEY;
  g_autoptr (OimaSigningKey) key = oima_key_spec_load (&spec, &part, error);
  if (key == NULL)
    {
      static const char *const keys[]
          = { "etc-signing-key", "etc-signing-pass-file", "etc-signing-cert", "etc-signing-cert" };
      oima_prefix_error (error, "%s: [deploy] %s", c->path, keys[part]);
      return FALSE;
    }
  g_autoptr (OimaPathFilter) etc
      = oima_path_filter_new ((const char *[]){ "/etc/*", NULL }, NULL, error);
  OimaDeviceCheckOptions opts = device->check;
  opts.filter = etc;
  g_autoptr (OimaDeviceReport) report = NULL;
  if (!oima_device_check_dir (dfd, ".", &opts, &report, cancellable, error))
    return FALSE;
  const char *last = NULL;
  for (guint i = 0; i < report->denials->len; i++)
    {
      OimaDenial *d = report->denials->pdata[i];
      if (last && g_str_equal (last, d->path))
        continue; /* denied at several hooks: signed once */
      last = d->path;
      if (!sign_etc_file (dfd, d->path, key, c->evm_mode, error))
        return FALSE;
      (*out_signed)++;
    }
  return TRUE;
}

gboolean
ima_hook_deploy (OstreeSysroot *sysroot, OstreeDeployment *deployment, int deployment_dfd,
                 GCancellable *cancellable, GError **error)
{
  g_autofree char *root = g_file_get_path (ostree_sysroot_get_path (sysroot));
  g_autoptr (OimaDevice) device = NULL;
  if (!oima_device_load (root, g_getenv (CONF_ENV), &device, error))
    {
      g_prefix_error (error, "ima: ");
      return FALSE;
    }
  if (device == NULL)
    return TRUE; /* not set up for IMA */
  OimaDeviceConfig *c = device->config;
  if (c->strip_xattrs[0] != NULL)
    {
      Strip strip = { c->strip_xattrs, faccessat (deployment_dfd, ".ostree.cfs", F_OK, 0) == 0, 0 };
      if (!oima_disk_walk (deployment_dfd, ".", "/", strip_file, &strip, cancellable, error))
        {
          g_prefix_error (error, "ima: stripping xattrs: ");
          return FALSE;
        }
    }
  guint n_signed = 0;
  if (c->etc_signing_key && !sign_etc (device, deployment_dfd, &n_signed, cancellable, error))
    {
      g_prefix_error (error, "ima: signing /etc: ");
      return FALSE;
    }
  if (n_signed > 0)
    g_printerr ("ima: signed %u files of the merged /etc with the device key\n", n_signed);
  if (c->deploy_mode == OIMA_ENFORCE_MODE_OFF)
    return TRUE;
  g_autoptr (OimaDeviceReport) report = NULL;
  if (!oima_device_check_dir (deployment_dfd, ".", &device->check, &report, cancellable, error))
    {
      g_prefix_error (error, "ima: ");
      return FALSE;
    }
  g_autofree char *what
      = g_strdup_printf ("deployment of %s", ostree_deployment_get_csum (deployment));
  return decide (device, c->deploy_mode, "deploy", what, report, error);
}
