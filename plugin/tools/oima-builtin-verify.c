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

static GOptionEntry options[] = {
  { "repo", 0, 0, G_OPTION_ARG_FILENAME, &opt_repo, "Repository (required)", "PATH" },
  { "cert", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &opt_certs,
    "Trusted certificate (PEM/DER) or directory of them (repeatable, required)", "CERT" },
  { "include", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_include,
    "Check only files whose path matches GLOB (repeatable)", "GLOB" },
  { "exclude", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_exclude,
    "Do not check files whose path matches GLOB (repeatable)", "GLOB" },
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
  g_autoptr (GOptionContext) context = g_option_context_new ("REV");
  g_option_context_set_summary (context, "Check that every regular file of REV carries a valid "
                                         "IMA signature by a trusted key.");
  g_option_context_add_main_entries (context, options, NULL);
  if (!g_option_context_parse (context, &argc, &argv, error))
    return FALSE;
  if (argc != 2)
    return oima_cli_throw_usage (error, "expected REV");
  if (opt_certs == NULL)
    return oima_cli_throw_usage (error, "--cert=CERT is required");

  g_autoptr (OimaPathFilter) filter
      = oima_path_filter_new ((const char *const *)opt_include,
                              (const char *const *)opt_exclude, error);
  if (filter == NULL)
    return FALSE;
  g_autoptr (OimaTrust) trust = oima_trust_new ();
  for (char **c = opt_certs; *c; c++)
    if (!oima_trust_add_path (trust, *c, error))
      return FALSE;
  g_autoptr (OstreeRepo) repo = oima_cli_open_repo (opt_repo, cancellable, error);
  if (repo == NULL)
    return FALSE;

  OimaCommitVerifyStats stats = { 0 };
  if (!oima_commit_verify (repo, argv[1], trust, filter, print_failure, NULL, &stats,
                           cancellable, error))
    return FALSE;

  guint64 valid = stats.n_status[OIMA_VERIFY_VALID];
  g_print ("%" G_GUINT64_FORMAT " files: %" G_GUINT64_FORMAT " valid", stats.n_files, valid);
  for (int s = OIMA_VERIFY_UNSIGNED; s <= OIMA_VERIFY_DIGEST_MISMATCH; s++)
    if (stats.n_status[s] > 0)
      g_print (", %" G_GUINT64_FORMAT " %s", stats.n_status[s], oima_verify_status_name (s));
  g_print ("\n");
  if (valid != stats.n_files)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                   " files are not validly signed",
                   stats.n_files - valid, stats.n_files);
      return FALSE;
    }
  return TRUE;
}
