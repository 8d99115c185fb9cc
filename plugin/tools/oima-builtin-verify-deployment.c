/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ostree ima verify-deployment: a deployment on disk against its commit,
 * without a kernel: swapped, rolled back, replaced or added files.
 */

#include <fcntl.h>
#include <string.h>

#include "oima-cli.h"
#include "oima-deployment-check.h"
#include "oima-util.h"

static char *opt_sysroot;
static gboolean opt_quiet;

static GOptionEntry options[] = {
  { "sysroot", 0, 0, G_OPTION_ARG_FILENAME, &opt_sysroot, "System root (default: /)", "DIR" },
  { "quiet", 'q', 0, G_OPTION_ARG_NONE, &opt_quiet,
    "Do not list the configuration differences of /etc", NULL },
  { NULL },
};

static void
print_difference (const OimaDeploymentDifference *d, gpointer user_data)
{
  if (d->config && opt_quiet)
    return;
  g_print ("%s: %s%s: %s\n", d->path, d->config ? "config " : "",
           oima_deployment_difference_name (d->kind), d->detail);
}

/* DEPLOYMENT: an index as `ostree admin status` lists them (0 first), or
 * the start of a commit checksum; none: the booted one, else the first. */
static OstreeDeployment *
pick_deployment (OstreeSysroot *sysroot, const char *spec, GError **error)
{
  g_autoptr (GPtrArray) deployments = ostree_sysroot_get_deployments (sysroot);
  if (deployments->len == 0)
    return oima_null_throw (error, "The sysroot has no deployment");
  if (spec == NULL)
    {
      OstreeDeployment *booted = ostree_sysroot_get_booted_deployment (sysroot);
      return g_object_ref (booted ? booted : deployments->pdata[0]);
    }
  char *end = NULL;
  guint64 index = g_ascii_strtoull (spec, &end, 10);
  if (end != spec && *end == '\0' && index < deployments->len)
    return g_object_ref (deployments->pdata[index]);
  for (guint i = 0; i < deployments->len; i++)
    if (strlen (spec) >= 6
        && g_str_has_prefix (ostree_deployment_get_csum (deployments->pdata[i]), spec))
      return g_object_ref (deployments->pdata[i]);
  return oima_null_throw (error,
                          "No deployment '%s' (an index from 0 to %u, or a commit "
                          "checksum of at least 6 digits)",
                          spec, deployments->len - 1);
}

gboolean
oima_builtin_verify_deployment (int argc, char **argv, GCancellable *cancellable, GError **error)
{
  if (!oima_cli_parse (&argc, &argv, options, "[DEPLOYMENT]",
                       "Compare a deployment on disk with its commit: every file whose "
                       "content, owner, mode or\nIMA/EVM values differ, every file added or "
                       "missing.  /etc is compared with /usr/etc\nand listed as configuration.",
                       error))
    return FALSE;
  if (argc > 2)
    return oima_cli_throw_usage (error, "expected at most one DEPLOYMENT");
  g_autoptr (GFile) root = g_file_new_for_path (opt_sysroot ? opt_sysroot : "/");
  g_autoptr (OstreeSysroot) sysroot = ostree_sysroot_new (root);
  if (!ostree_sysroot_load (sysroot, cancellable, error))
    return FALSE;
  g_autoptr (OstreeDeployment) deployment
      = pick_deployment (sysroot, argc > 1 ? argv[1] : NULL, error);
  if (deployment == NULL)
    return FALSE;
  OstreeRepo *repo = ostree_sysroot_repo (sysroot);
  g_autofree char *dirpath = ostree_sysroot_get_deployment_dirpath (sysroot, deployment);
  oima_autofd int dfd
      = openat (ostree_sysroot_get_fd (sysroot), dirpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return oima_throw_errno (error, dirpath);

  const char *commit = ostree_deployment_get_csum (deployment);
  OimaDeploymentCheckOptions check_opts = { .func = print_difference };
  OimaDeploymentCheckStats stats = { 0 };
  if (!oima_deployment_check (repo, commit, dfd, &check_opts, &stats, cancellable, error))
    return FALSE;

  guint64 n = 0;
  for (guint k = 0; k < OIMA_DEPLOYMENT_N_KINDS; k++)
    n += stats.n_differences[k];
  g_print ("%s (commit %s): %" G_GUINT64_FORMAT " files, %" G_GUINT64_FORMAT
           " read (not hardlinks of their object); %" G_GUINT64_FORMAT " differences from the "
           "commit, %" G_GUINT64_FORMAT " configuration differences in /etc\n",
           dirpath, commit, stats.n_files, stats.n_hashed, n, stats.n_config_differences);
  if (n > 0)
    return oima_throw (error,
                       "%" G_GUINT64_FORMAT " differences between the deployment and its commit "
                       "(%" G_GUINT64_FORMAT " content, %" G_GUINT64_FORMAT
                       " metadata, %" G_GUINT64_FORMAT " added, %" G_GUINT64_FORMAT " missing)",
                       n, stats.n_differences[OIMA_DEPLOYMENT_CONTENT],
                       stats.n_differences[OIMA_DEPLOYMENT_METADATA],
                       stats.n_differences[OIMA_DEPLOYMENT_ADDED],
                       stats.n_differences[OIMA_DEPLOYMENT_MISSING]);
  return TRUE;
}
