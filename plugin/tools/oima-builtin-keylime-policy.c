/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ostree ima keylime-policy: a Keylime runtime policy for a commit.
 */

#include <stdio.h>

#include "oima-cli.h"
#include "oima-keylime-policy.h"
#include "oima-util.h"

static char *opt_repo;
static char *opt_prefix;
static char **opt_certs;
static char **opt_exclude;
static char *opt_hash;
static char *opt_output;
static int opt_jobs;

static GOptionEntry options[] = {
  { "repo", 0, 0, G_OPTION_ARG_FILENAME, &opt_repo, "Repository (required)", "PATH" },
  { "prefix", 0, 0, G_OPTION_ARG_STRING, &opt_prefix,
    "Prepend DIR to every path (where the deployment is mounted; default: none)", "DIR" },
  { "cert", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &opt_certs,
    "IMA certificate (PEM or DER) or a directory of them, for verification-keys (repeatable)",
    "CERT" },
  { "exclude", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_exclude,
    "Regex of paths Keylime ignores, also left out of digests (repeatable)", "REGEX" },
  { "hash", 0, 0, G_OPTION_ARG_STRING, &opt_hash,
    "Digest algorithm, as the kernel's ima_hash= (sha256 (default), sha1, sha384, sha512)",
    "ALGO" },
  { "output", 'o', 0, G_OPTION_ARG_FILENAME, &opt_output,
    "Write the policy to FILE (atomically) instead of standard output", "FILE" },
  { "jobs", 'j', 0, G_OPTION_ARG_INT, &opt_jobs, "Worker threads, 1-256 (default: all CPUs)", "N" },
  { NULL },
};

static gboolean
write_stdout (const char *text, GError **error)
{
  if (fputs (text, stdout) == EOF || fflush (stdout) != 0)
    return oima_throw_errno (error, "Writing to standard output");
  return TRUE;
}

gboolean
oima_builtin_keylime_policy (int argc, char **argv, GCancellable *cancellable, GError **error)
{
  if (!oima_cli_parse (&argc, &argv, options, "REV",
                       "Write a Keylime runtime policy for REV: the digest of every regular file "
                       "under the path\nit is deployed at (/usr/etc also as /etc), the excludes "
                       "and the certificates' IMA keys.",
                       error))
    return FALSE;
  if (argc != 2)
    return oima_cli_throw_usage (error, "expected REV");
  if (opt_jobs < 0 || opt_jobs > 256)
    return oima_cli_throw_usage (error, "--jobs must be 1 to 256 (0: all CPUs)");

  OimaKeylimePolicyOptions policy_opts = {
    .algo = OIMA_HASH_SHA256,
    .prefix = opt_prefix,
    .excludes = (const char *const *)opt_exclude,
    .certs = (const char *const *)opt_certs,
    .n_jobs = (guint)opt_jobs,
  };
  if (opt_hash && !oima_keylime_policy_algo_from_name (opt_hash, &policy_opts.algo, error))
    return FALSE;
  g_autoptr (OstreeRepo) repo = oima_cli_open_repo (opt_repo, cancellable, error);
  if (repo == NULL)
    return FALSE;
  g_autofree char *policy
      = oima_keylime_policy_build (repo, argv[1], &policy_opts, cancellable, error);
  if (policy == NULL)
    return FALSE;
  if (opt_output == NULL)
    return write_stdout (policy, error);
  /* A temporary file renamed over FILE: a reader never sees half a policy. */
  return g_file_set_contents_full (opt_output, policy, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644,
                                   error);
}
