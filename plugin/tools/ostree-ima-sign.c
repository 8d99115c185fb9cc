/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ostree-ima-sign: drop-in for ostree-ext's `ostree ima-sign`:
 *   ostree ima-sign --repo=PATH SRC_REV TARGET_REF ALGORITHM KEY [--overwrite]
 */

#include "oima-cli.h"

static char *opt_repo;
static gboolean opt_overwrite;
static char *opt_key_pass_file;

static GOptionEntry options[] = {
  { "repo", 0, 0, G_OPTION_ARG_FILENAME, &opt_repo, "Repository (required)", "PATH" },
  { "overwrite", 0, 0, G_OPTION_ARG_NONE, &opt_overwrite, "Replace an existing security.ima",
    NULL },
  { "key-pass-file", 0, 0, G_OPTION_ARG_FILENAME, &opt_key_pass_file,
    "Read the key's passphrase from FILE (else $OSTREE_IMA_KEY_PASS)", "FILE" },
  { NULL },
};

static gboolean
ima_sign (int argc, char **argv, GCancellable *cancellable, GError **error)
{
  g_autoptr (GOptionContext) context
      = g_option_context_new ("SRC_REV TARGET_REF ALGORITHM KEY");
  g_option_context_set_summary (context, "Sign every regular file of SRC_REV with IMA into a "
                                         "new commit at TARGET_REF.");
  g_option_context_add_main_entries (context, options, NULL);
  if (!g_option_context_parse (context, &argc, &argv, error))
    return FALSE;
  if (argc != 5)
    return oima_cli_throw_usage (error, "expected SRC_REV TARGET_REF ALGORITHM KEY");

  OimaHashAlgo algo;
  if (!oima_hash_algo_from_name (argv[3], &algo, error))
    return FALSE;
  g_autoptr (OstreeRepo) repo = oima_cli_open_repo (opt_repo, cancellable, error);
  if (repo == NULL)
    return FALSE;
  g_autoptr (OimaSigningKey) key = oima_cli_load_key (argv[4], opt_key_pass_file, NULL, NULL,
                                                      error);
  if (key == NULL)
    return FALSE;
  OimaCommitSignOptions sign_opts = { .key = key, .algo = algo, .overwrite = opt_overwrite };
  return oima_cli_sign_commit (repo, argv[1], argv[2], &sign_opts, cancellable, error);
}

static const OimaCommand commands[] = {
  { "", ima_sign, NULL },
  { NULL },
};

int
main (int argc, char **argv)
{
  return oima_cli_main (argc, argv, "ostree-ima-sign", "ima-sign", commands);
}
