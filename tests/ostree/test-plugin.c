/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A plugin for testing the plugin ABI of the patched ostree (pull and deploy
 * hooks, ABI checks).  Behaviour comes from the environment:
 *   OSTREE_TEST_PLUGIN_ABI=N          report ABI version N
 *   OSTREE_TEST_PLUGIN_LOG=FILE       append one line per hook call
 *   OSTREE_TEST_PLUGIN_VETO_PULL=1    reject every pulled commit
 *   OSTREE_TEST_PLUGIN_VETO_DEPLOY=1  reject every deployment
 *   OSTREE_TEST_PLUGIN_DEPLOY_XATTR=P set user.ostree-test=deployed on the
 *                                     deployment's file P, after breaking
 *                                     its hardlink into the repository with
 *                                     the host's ostree_break_hardlink()
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <gmodule.h>
#include <ostree.h>
#include <ostree-plugin.h>

static void log_line (const char *fmt, ...) G_GNUC_PRINTF (1, 2);

static void
log_line (const char *fmt, ...)
{
  const char *path = g_getenv ("OSTREE_TEST_PLUGIN_LOG");
  if (!path)
    return;
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *line = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  FILE *f = fopen (path, "a");
  if (f)
    {
      fprintf (f, "%s\n", line);
      fclose (f);
    }
}

static gboolean
test_pull_commit (OstreeRepo *repo, const char *remote_name, const char *ref_name,
                  const char *checksum, GCancellable *cancellable, GError **error)
{
  log_line ("pull %s %s %s", remote_name ?: "(none)", ref_name ?: "(none)", checksum);
  if (g_getenv ("OSTREE_TEST_PLUGIN_VETO_PULL"))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, "test veto");
      return FALSE;
    }
  return TRUE;
}

static gboolean
test_deploy (OstreeSysroot *sysroot, OstreeDeployment *deployment, int deployment_dfd,
             GCancellable *cancellable, GError **error)
{
  log_line ("deploy %s", ostree_deployment_get_csum (deployment));
  if (g_getenv ("OSTREE_TEST_PLUGIN_VETO_DEPLOY"))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, "test veto");
      return FALSE;
    }
  const char *path = g_getenv ("OSTREE_TEST_PLUGIN_DEPLOY_XATTR");
  if (path)
    {
      /* A new inode with the same content, mode, owner and xattrs: the
       * repository object stays unchanged. */
      if (!ostree_break_hardlink (deployment_dfd, path, FALSE, cancellable, error))
        return FALSE;
      int fd = openat (deployment_dfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
      if (fd < 0 || fsetxattr (fd, "user.ostree-test", "deployed", 8, 0) < 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", path, g_strerror (errno));
          if (fd >= 0)
            close (fd);
          return FALSE;
        }
      close (fd);
    }
  return TRUE;
}

static OstreePluginInfo plugin_info = {
  .abi_version = OSTREE_PLUGIN_ABI_VERSION,
  .struct_size = sizeof (OstreePluginInfo),
  .name = "test",
  .description = "ostree-ima test plugin",
  .pull_commit = test_pull_commit,
  .deploy = test_deploy,
};

G_MODULE_EXPORT const OstreePluginInfo *ostree_plugin_get_info (guint host_abi_version);

G_MODULE_EXPORT const OstreePluginInfo *
ostree_plugin_get_info (guint host_abi_version)
{
  const char *abi = g_getenv ("OSTREE_TEST_PLUGIN_ABI");
  if (abi)
    plugin_info.abi_version = (guint32)g_ascii_strtoull (abi, NULL, 10);
  log_line ("loaded (host ABI %u)", host_abi_version);
  return &plugin_info;
}
