/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ostree ima fsck: ostree fsck of every object for stock ostree, where an
 * inode-bound security.evm (the kernel's HMAC or an admin's signature on a
 * deployed file of a bare repo) is not corruption; with --cert, each
 * regular file's signature status too.
 */

#include "oima-cli.h"
#include "oima-repo-fsck.h"
#include "oima-util.h"

static char *opt_repo;
static char **opt_certs;
static gboolean opt_quiet;

static GOptionEntry options[] = {
  { "repo", 0, 0, G_OPTION_ARG_FILENAME, &opt_repo, "Repository (required)", "PATH" },
  { "cert", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &opt_certs,
    "Also check signatures against this certificate or directory (repeatable)", "CERT" },
  { "quiet", 'q', 0, G_OPTION_ARG_NONE, &opt_quiet, "Print only problems and the summary", NULL },
  { NULL },
};

typedef struct
{
  guint64 n_tampered; /* signature or hash that does not match the content */
} Report;

static gboolean
is_tampered (OimaVerifyStatus status)
{
  return status == OIMA_VERIFY_BAD_SIGNATURE || status == OIMA_VERIFY_DIGEST_MISMATCH;
}

static void
print_check (const OimaObjectCheck *c, gpointer user_data)
{
  Report *r = user_data;
  const char *type = ostree_object_type_to_string (c->objtype);
  if (c->corrupt)
    g_print ("%s.%s: corrupt: %s\n", c->checksum, type, c->corrupt);
  if (c->evm_ignored && !opt_quiet)
    g_print ("%s.%s: inode-bound security.evm ignored\n", c->checksum, type);
  if (c->has_verdict && c->status != OIMA_VERIFY_VALID)
    {
      if (is_tampered (c->status))
        r->n_tampered++;
      if (is_tampered (c->status) || !opt_quiet)
        g_print ("%s.%s: %s: %s\n", c->checksum, type, oima_verify_status_name (c->status),
                 c->detail ? c->detail : "");
    }
}

gboolean
oima_builtin_fsck (int argc, char **argv, GCancellable *cancellable, GError **error)
{
  if (!oima_cli_parse (&argc, &argv, options, "",
                       "Check every object of the repository as the patched ostree fsck does "
                       "(an inode-bound\nsecurity.evm is not corruption); with --cert, also "
                       "each regular file's IMA signature.",
                       error))
    return FALSE;
  if (argc != 1)
    return oima_cli_throw_usage (error, "unexpected argument '%s'", argv[1]);
  g_autoptr (OimaTrust) trust = opt_certs ? oima_cli_load_trust (opt_certs, error) : NULL;
  if (opt_certs && trust == NULL)
    return FALSE;
  g_autoptr (OstreeRepo) repo = oima_cli_open_repo (opt_repo, cancellable, error);
  if (repo == NULL)
    return FALSE;

  Report report = { 0 };
  OimaRepoFsckOptions fsck_opts = { .trust = trust, .func = print_check, .user_data = &report };
  OimaRepoFsckStats stats = { 0 };
  if (!oima_repo_fsck (repo, &fsck_opts, &stats, cancellable, error))
    return FALSE;

  g_print ("%" G_GUINT64_FORMAT " objects (%" G_GUINT64_FORMAT " content): %" G_GUINT64_FORMAT
           " corrupt, %" G_GUINT64_FORMAT " inode-bound security.evm ignored\n",
           stats.n_objects, stats.n_content, stats.n_corrupt, stats.n_evm_ignored);
  if (trust)
    {
      g_autofree char *line = oima_verdict_counts_format (&stats.verdicts);
      g_print ("Signatures of regular files: %s\n", line);
    }
  if (stats.n_corrupt > 0 || report.n_tampered > 0)
    return oima_throw (error,
                       "%" G_GUINT64_FORMAT " corrupt objects, %" G_GUINT64_FORMAT
                       " files whose signature or hash does not match their content",
                       stats.n_corrupt, report.n_tampered);
  return TRUE;
}
