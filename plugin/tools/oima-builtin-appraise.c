/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ostree ima appraise: what the device's kernel would refuse to run, read
 * or load, for a commit (--repo) or a deployment as deployed (--sysroot).
 */

#include <fcntl.h>

#include "oima-cli.h"
#include "oima-device.h"
#include "oima-util.h"

static char *opt_repo;
static char *opt_sysroot;
static char *opt_dir;
static char **opt_certs;
static char *opt_config;
static char *opt_policy;
static char **opt_builtins;
static char *opt_kernel;
static char *opt_fsmagic;
static gboolean opt_json;
static gboolean opt_evm;
static int opt_as_uid = -1;
static int opt_as_gid = -1;

static GOptionEntry options[] = {
  { "repo", 0, 0, G_OPTION_ARG_FILENAME, &opt_repo, "Appraise REV of this repository", "PATH" },
  { "sysroot", 0, 0, G_OPTION_ARG_FILENAME, &opt_sysroot,
    "Appraise a deployment of this sysroot (REV: a ref or commit of its repo instead)", "DIR" },
  { "dir", 0, 0, G_OPTION_ARG_FILENAME, &opt_dir,
    "Appraise the files under DIR as the device sees them under / (a root file system)", "DIR" },
  { "cert", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &opt_certs,
    "Trusted certificate or directory (repeatable; the device's _ima keyring)", "CERT" },
  { "config", 0, 0, G_OPTION_ARG_FILENAME, &opt_config,
    "With --sysroot: this configuration instead of SYSROOT/etc/ostree/ima.conf", "FILE" },
  { "policy", 0, 0, G_OPTION_ARG_FILENAME, &opt_policy,
    "The IMA policy file the device loads (replaces the configured policy)", "FILE" },
  { "builtin", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_builtins,
    "A builtin policy the device boots with: tcb, appraise_tcb, secure_boot (repeatable)", "NAME" },
  { "kernel", 0, 0, G_OPTION_ARG_STRING, &opt_kernel,
    "The device kernel's version (default: configured, else the newest known)", "VERSION" },
  { "fsmagic", 0, 0, G_OPTION_ARG_STRING, &opt_fsmagic,
    "The device's file system (default: configured, else detected)", "NAME|MAGIC" },
  { "evm", 0, 0, G_OPTION_ARG_NONE, &opt_evm,
    "The device runs EVM in x509 mode (echo 2 > /sys/kernel/security/evm): every appraised "
    "file also needs a valid portable security.evm (default: [policy] evm=)",
    NULL },
  { "as-uid", 0, 0, G_OPTION_ARG_INT, &opt_as_uid,
    "Run and read files as this user, not root (uid= and euid= rules, FILE_CHECK)", "UID" },
  { "as-gid", 0, 0, G_OPTION_ARG_INT, &opt_as_gid,
    "... and this group (gid= and egid= rules; default: the --as-uid value)", "GID" },
  { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "Print the result as JSON", NULL },
  { NULL },
};

static void
print_report (const OimaDeviceReport *report, const char *what)
{
  if (!opt_json)
    {
      for (guint i = 0; i < report->denials->len; i++)
        {
          OimaDenial *d = report->denials->pdata[i];
          g_print ("%s: %s%s%s%s%s\n", d->path, d->hook ? d->hook : "", d->hook ? ": " : "",
                   d->cause, d->detail ? ": " : "", d->detail ? d->detail : "");
        }
      g_autofree char *summary = oima_device_report_summary (report, 0);
      g_print ("%s: %s\n", what, summary);
      return;
    }
  g_autoptr (GString) out = g_string_new ("{\"target\": ");
  oima_json_append_string (out, what);
  g_string_append_printf (out,
                          ", \"files\": %" G_GUINT64_FORMAT ", \"denied_files\": %" G_GUINT64_FORMAT
                          ", \"denials\": [",
                          report->n_files, report->n_denied_files);
  for (guint i = 0; i < report->denials->len; i++)
    {
      OimaDenial *d = report->denials->pdata[i];
      g_string_append (out, i ? ", {\"path\": " : "{\"path\": ");
      oima_json_append_string (out, d->path);
      g_string_append (out, ", \"hook\": ");
      if (d->hook)
        oima_json_append_string (out, d->hook);
      else
        g_string_append (out, "null");
      g_string_append (out, ", \"cause\": ");
      oima_json_append_string (out, d->cause);
      g_string_append (out, ", \"detail\": ");
      oima_json_append_string (out, d->detail ? d->detail : "");
      g_string_append_c (out, '}');
    }
  g_string_append (out, "]}\n");
  g_print ("%s", out->str);
}

/* The deployment to appraise: the staged or pending one (what the next boot
 * runs), else the booted one. */
static OstreeDeployment *
next_boot_deployment (OstreeSysroot *sysroot, GError **error)
{
  g_autoptr (GPtrArray) deployments = ostree_sysroot_get_deployments (sysroot);
  if (deployments->len == 0)
    return oima_null_throw (error, "The sysroot has no deployment");
  return g_object_ref (deployments->pdata[0]);
}

/* The device: --sysroot's configuration (or the defaults), then what the
 * command line says instead. */
static gboolean
load_device (OimaDevice **out_device, GError **error)
{
  if ((opt_repo || opt_dir) && opt_certs == NULL)
    return oima_cli_throw_usage (error, "--cert=CERT is required with --repo (the device's "
                                        "trusted keys)");
  if (opt_config && !opt_sysroot)
    return oima_cli_throw_usage (error, "--config is for --sysroot");
  OimaDeviceConfig *c = NULL;
  if (!oima_device_config_load (opt_sysroot ? opt_sysroot : "/",
                                opt_sysroot ? opt_config : "/dev/null/none", &c, error))
    return FALSE;
  g_autoptr (OimaDeviceConfig) config = c;
  if (opt_certs)
    {
      g_ptr_array_set_size (config->certs, 0);
      for (char **cert = opt_certs; *cert; cert++)
        g_ptr_array_add (config->certs, g_strdup (*cert));
    }
  if (opt_policy || opt_builtins)
    {
      g_clear_pointer (&config->policy_file, g_free);
      g_clear_pointer (&config->policy_file_device, g_free);
      config->policy_file = g_strdup (opt_policy);
      g_strfreev (config->builtins);
      config->builtins = opt_builtins ? g_strdupv (opt_builtins) : g_new0 (char *, 1);
    }
  if (opt_kernel)
    {
      g_free (config->kernel);
      config->kernel = g_strdup (opt_kernel);
    }
  if (opt_fsmagic)
    {
      if (!oima_fsmagic_parse (opt_fsmagic, &config->fsmagic, error))
        {
          oima_prefix_error (error, "--fsmagic");
          return FALSE;
        }
      config->has_fsmagic = TRUE;
    }
  if (opt_as_uid < -1 || opt_as_gid < -1)
    return oima_cli_throw_usage (error,
                                 "--as-uid and --as-gid take a user or group id (0 or more)");
  if (opt_as_uid >= 0)
    {
      config->subject_uid = (guint32)opt_as_uid;
      config->subject_gid = (guint32)opt_as_uid;
    }
  if (opt_as_gid >= 0)
    config->subject_gid = (guint32)opt_as_gid;
  if (opt_evm)
    {
      config->evm_mode = OIMA_EVM_MODE_X509;
      g_free (config->evm);
      config->evm = g_strdup (oima_evm_mode_name (config->evm_mode));
    }
  return oima_device_new (g_steal_pointer (&config), out_device, error);
}

gboolean
oima_builtin_appraise (int argc, char **argv, GCancellable *cancellable, GError **error)
{
  if (!oima_cli_parse (&argc, &argv, options, "[REV]",
                       "Predict what the device's kernel would deny: every regular file of REV "
                       "(--repo),\nor of the deployment the next boot runs (--sysroot; merged "
                       "/etc included).",
                       error))
    return FALSE;
  if ((opt_repo != NULL) + (opt_sysroot != NULL) + (opt_dir != NULL) != 1)
    return oima_cli_throw_usage (error, "give --repo=PATH REV, --sysroot=DIR [REV] or --dir=DIR");
  if (opt_repo && argc != 2)
    return oima_cli_throw_usage (error, "expected REV");
  if (argc > 2)
    return oima_cli_throw_usage (error, "expected at most one REV");
  g_autoptr (OimaDevice) device = NULL;
  if (!load_device (&device, error))
    return FALSE;
  OimaDeviceCheckOptions check_opts = device->check;
  g_autoptr (OimaDeviceReport) report = NULL;
  g_autofree char *what = NULL;
  if (opt_dir)
    {
      if (argc != 1)
        return oima_cli_throw_usage (error, "--dir takes no REV");
      oima_autofd int dfd = open (opt_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dfd < 0)
        return oima_throw_errno (error, opt_dir);
      what = g_strdup_printf ("directory %s", opt_dir);
      if (!oima_device_check_dir (dfd, ".", &check_opts, &report, cancellable, error))
        return FALSE;
    }
  else if (opt_repo || argc == 2)
    {
      g_autoptr (OstreeRepo) repo = NULL;
      g_autoptr (OstreeSysroot) sysroot = NULL;
      if (opt_repo)
        repo = oima_cli_open_repo (opt_repo, cancellable, error);
      else
        {
          g_autoptr (GFile) root = g_file_new_for_path (opt_sysroot);
          sysroot = ostree_sysroot_new (root);
          if (ostree_sysroot_load (sysroot, cancellable, error))
            repo = g_object_ref (ostree_sysroot_repo (sysroot));
        }
      if (repo == NULL)
        return FALSE;
      what = g_strdup_printf ("commit %s", argv[1]);
      if (!oima_device_check_commit (repo, argv[1], &check_opts, &report, cancellable, error))
        return FALSE;
    }
  else
    {
      g_autoptr (GFile) root = g_file_new_for_path (opt_sysroot);
      g_autoptr (OstreeSysroot) sysroot = ostree_sysroot_new (root);
      if (!ostree_sysroot_load (sysroot, cancellable, error))
        return FALSE;
      g_autoptr (OstreeDeployment) deployment = next_boot_deployment (sysroot, error);
      if (deployment == NULL)
        return FALSE;
      g_autofree char *dirpath = ostree_sysroot_get_deployment_dirpath (sysroot, deployment);
      oima_autofd int dfd
          = openat (ostree_sysroot_get_fd (sysroot), dirpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dfd < 0)
        return oima_throw_errno (error, dirpath);
      what = g_strdup_printf ("deployment %s", dirpath);
      if (!oima_device_check_dir (dfd, ".", &check_opts, &report, cancellable, error))
        return FALSE;
    }
  if (device->policy_source && !opt_json)
    g_print ("policy: %s\n", device->policy_source);
  if (device->config->evm_mode != OIMA_EVM_MODE_OFF && !opt_json)
    g_print ("evm: %s\n", oima_evm_mode_name (device->config->evm_mode));
  print_report (report, what);
  if (report->n_denied_files > 0)
    return oima_throw (error, "%" G_GUINT64_FORMAT " files would be denied",
                       report->n_denied_files);
  return TRUE;
}
