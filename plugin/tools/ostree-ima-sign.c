/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ostree-ima-sign: drop-in for ostree-ext's `ostree ima-sign`:
 *   ostree ima-sign --repo=PATH SRC_REV TARGET_REF ALGORITHM KEY [--overwrite]
 *   ostree ima-sign --repo=PATH REF ALGORITHM KEY     (signs REF in place)
 */

#include "oima-cli.h"

static char *opt_repo;
static gboolean opt_overwrite;
static char *opt_key_pass_file;
static gboolean opt_allow_insecure_key_perms;

static GOptionEntry options[] = {
  { "repo", 0, 0, G_OPTION_ARG_FILENAME, &opt_repo, "Repository (required)", "PATH" },
  { "overwrite", 0, 0, G_OPTION_ARG_NONE, &opt_overwrite, "Replace an existing security.ima",
    NULL },
  { "key-pass-file", 0, 0, G_OPTION_ARG_FILENAME, &opt_key_pass_file,
    "Read the key's passphrase from FILE (else $OSTREE_IMA_KEY_PASS)", "FILE" },
  { "allow-insecure-key-perms", 0, 0, G_OPTION_ARG_NONE, &opt_allow_insecure_key_perms,
    "Use an unencrypted key file that group or others can read", NULL },
  { NULL },
};

static gboolean
ima_sign (int argc, char **argv, GCancellable *cancellable, GError **error)
{
  if (!oima_cli_parse (&argc, &argv, options, "[SRC_REV] TARGET_REF ALGORITHM KEY",
                       "Sign every regular file of SRC_REV with IMA into a new commit at "
                       "TARGET_REF.\nWithout SRC_REV (the form of ostree's IMA documentation), "
                       "TARGET_REF is signed in place.",
                       error))
    return FALSE;
  if (argc != 4 && argc != 5)
    return oima_cli_throw_usage (error, "expected [SRC_REV] TARGET_REF ALGORITHM KEY");
  /* Three arguments: REF ALGORITHM KEY signs REF in place. */
  const char *src_rev = argv[1];
  const char *target_ref = argc == 5 ? argv[2] : argv[1];
  const char *algo_name = argv[argc - 2];
  const char *key_path = argv[argc - 1];

  OimaHashAlgo algo;
  if (!oima_hash_algo_from_name (algo_name, &algo, error))
    return FALSE;
  g_autoptr (OstreeRepo) repo = oima_cli_open_repo (opt_repo, cancellable, error);
  if (repo == NULL)
    return FALSE;
  OimaKeySpec spec = { .key = key_path,
                       .pass_file = opt_key_pass_file,
                       .allow_insecure_perms = opt_allow_insecure_key_perms };
  g_autoptr (OimaSigningKey) key = oima_cli_load_key (&spec, error);
  if (key == NULL)
    return FALSE;
  g_autoptr (OimaSigReuse) reuse = NULL;
  if (!oima_cli_load_reuse (repo, key, algo, NULL, FALSE, target_ref, &reuse, cancellable, error))
    return FALSE;
  OimaCommitSignOptions sign_opts
      = { .key = key, .algo = algo, .overwrite = opt_overwrite, .reuse = reuse };
  return oima_cli_sign_commit (repo, src_rev, target_ref, &sign_opts, cancellable, error);
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
