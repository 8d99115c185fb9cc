/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ostree ima verify: check every file's signature against its content and
 * a set of trusted certificates; with --evm, also its portable EVM
 * signature over its xattrs, owner, group and mode.
 */

#include <string.h>

#include "oima-cli.h"
#include "oima-commit-verifier.h"
#include "oima-evm.h"
#include "oima-tree-scan.h"
#include "oima-util.h"
#include "oima-xattrs.h"

static char *opt_repo;
static char **opt_certs;
static char **opt_include;
static char **opt_exclude;
static gboolean opt_allow_weak_hash;
static gboolean opt_evm;

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
  { "evm", 0, 0, G_OPTION_ARG_NONE, &opt_evm,
    "Also require a portable security.evm (type 0x05) by a trusted key on every file", NULL },
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

typedef struct
{
  OimaTrust *trust;
  GMutex lock;
  OimaVerdictCounts counts;
  GPtrArray *failures; /* "path: status: detail" */
} EvmCheck;

static gboolean
check_evm (OimaScanFile *file, gpointer user_data, GCancellable *cancellable, GError **error)
{
  EvmCheck *c = user_data;
  OimaVerifyStatus status;
  g_autofree char *detail = NULL;
  oima_evm_verify (c->trust, oima_scan_file_get_xattrs (file), oima_scan_file_get_uid (file),
                   oima_scan_file_get_gid (file), oima_scan_file_get_mode (file), &status, &detail);
  g_mutex_lock (&c->lock);
  oima_verdict_counts_add (&c->counts, status);
  if (status != OIMA_VERIFY_VALID)
    g_ptr_array_add (c->failures, g_strdup_printf ("%s: %s: %s: %s", oima_scan_file_get_path (file),
                                                   OIMA_XATTR_EVM, oima_verify_status_name (status),
                                                   detail ? detail : ""));
  g_mutex_unlock (&c->lock);
  return TRUE;
}

static int
compare_lines (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

/* Every selected file's security.evm: failures, then a summary line. */
static gboolean
verify_evm (OstreeRepo *repo, const char *rev, OimaTrust *trust, const OimaPathFilter *filter,
            guint64 *out_n_invalid, GCancellable *cancellable, GError **error)
{
  EvmCheck c = { .trust = trust, .failures = g_ptr_array_new_with_free_func (g_free) };
  g_autoptr (GPtrArray) failures = c.failures;
  g_mutex_init (&c.lock);
  gboolean ok = oima_tree_scan_commit (repo, rev, filter, 0, check_evm, &c, cancellable, error);
  g_mutex_clear (&c.lock);
  if (!ok)
    return FALSE;
  g_ptr_array_sort (failures, compare_lines);
  for (guint i = 0; i < failures->len; i++)
    g_print ("%s\n", (const char *)failures->pdata[i]);
  g_autofree char *summary = oima_verdict_counts_format (&c.counts);
  g_print ("%s: %s\n", OIMA_XATTR_EVM, summary);
  *out_n_invalid = c.counts.n_files - c.counts.n_status[OIMA_VERIFY_VALID];
  return TRUE;
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
  guint64 n_evm_invalid = 0;
  if (opt_evm && !verify_evm (repo, argv[1], trust, filter, &n_evm_invalid, cancellable, error))
    return FALSE;
  guint64 valid = stats.n_status[OIMA_VERIFY_VALID];
  if (valid == stats.n_files && n_evm_invalid > 0)
    return oima_throw (error,
                       "%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                       " files have no valid portable EVM signature",
                       n_evm_invalid, stats.n_files);
  if (valid != stats.n_files)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " files are not validly signed",
                   stats.n_files - valid, stats.n_files);
      return FALSE;
    }
  return TRUE;
}
