/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ostree ima verify: check every file's signature against its content and
 * a set of trusted certificates.
 */

#include "oima-cli.h"
#include "oima-commit-verifier.h"

static char *opt_repo;
static char **opt_certs;
static char **opt_include;
static char **opt_exclude;
static gboolean opt_allow_weak_hash;

static GOptionEntry options[] = {
  { "repo", 0, 0, G_OPTION_ARG_FILENAME, &opt_repo, "Repository (required)", "PATH" },
  { "cert", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &opt_certs,
    "Trusted certificate (PEM/DER) or directory of them (repeatable, required)", "CERT" },
  { "include", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_include,
    "Check only files whose path matches GLOB (repeatable)", "GLOB" },
  { "exclude", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_exclude,
    "Do not check files whose path matches GLOB (repeatable)", "GLOB" },
  { "allow-weak-hash", 0, 0, G_OPTION_ARG_NONE, &opt_allow_weak_hash,
    "Accept signatures over md5, sha1 or rmd160 as valid", NULL },
  { NULL },
};

static void
print_failure (const OimaFileVerdict *v, gpointer user_data)
{
  if (v->status == OIMA_VERIFY_VALID)
    return;
  g_print ("%s: %s: %s\n", v->path, oima_verify_status_name (v->status),
           v->detail ? v->detail : "");
}

gboolean
oima_builtin_verify (int argc, char **argv, GCancellable *cancellable, GError **error)
{
  if (!oima_cli_parse (&argc, &argv, options, "REV",
                       "Check that every regular file of REV carries a valid IMA signature by "
                       "a trusted key.",
                       error))
    return FALSE;
  if (argc != 2)
    return oima_cli_throw_usage (error, "expected REV");
  if (opt_certs == NULL)
    return oima_cli_throw_usage (error, "--cert=CERT is required");

  g_autoptr (OimaPathFilter) filter = oima_path_filter_new (
      (const char *const *)opt_include, (const char *const *)opt_exclude, error);
  if (filter == NULL)
    return FALSE;
  g_autoptr (OimaTrust) trust = oima_cli_load_trust (opt_certs, error);
  if (trust == NULL)
    return FALSE;
  g_autoptr (OstreeRepo) repo = oima_cli_open_repo (opt_repo, cancellable, error);
  if (repo == NULL)
    return FALSE;

  OimaCommitVerifyOptions verify_opts = {
    .trust = trust, .filter = filter, .allow_weak_hash = opt_allow_weak_hash, .func = print_failure
  };
  OimaCommitVerifyStats stats = { 0 };
  if (!oima_commit_verify (repo, argv[1], &verify_opts, &stats, cancellable, error))
    return FALSE;

  g_autofree char *summary = oima_verdict_counts_format (&stats);
  g_print ("%s\n", summary);
  guint64 valid = stats.n_status[OIMA_VERIFY_VALID];
  if (valid != stats.n_files)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " files are not validly signed",
                   stats.n_files - valid, stats.n_files);
      return FALSE;
    }
  return TRUE;
}
