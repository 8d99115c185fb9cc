/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ostree ima sign: re-sign an existing commit into a new one.
 */

#include "oima-cli.h"

static char *opt_repo;
static char *opt_key;
static char *opt_key_pass_file;
static char *opt_cert;
static char *opt_keyid;
static char *opt_hash;
static gboolean opt_overwrite;
static int opt_jobs;
static char **opt_include;
static char **opt_exclude;
static gboolean opt_no_cache;
static gboolean opt_repair;
static gboolean opt_allow_weak_hash;
static gboolean opt_allow_insecure_key_perms;
static gboolean opt_evm;
static char **opt_reuse_from;
static OimaPathOption opt_hash_only;

/* --hash-only (every selected file) or --hash-only=GLOB (repeatable).  GOption
 * would take the word after a bare --hash-only as its value: the verb
 * rewrites a bare one to --hash-only-all first. */
static gboolean
parse_hash_only (const char *name, const char *value, gpointer data, GError **error)
{
  oima_path_option_add (&opt_hash_only, value);
  return TRUE;
}
static gboolean opt_no_reuse;

static GOptionEntry options[] = {
  { "repo", 0, 0, G_OPTION_ARG_FILENAME, &opt_repo, "Repository (required)", "PATH" },
  { "key", 0, 0, G_OPTION_ARG_FILENAME, &opt_key, "Private key: PEM/DER file or pkcs11: URI",
    "KEY" },
  { "key-pass-file", 0, 0, G_OPTION_ARG_FILENAME, &opt_key_pass_file,
    "Read the key's passphrase from FILE (else $OSTREE_IMA_KEY_PASS)", "FILE" },
  { "cert", 0, 0, G_OPTION_ARG_FILENAME, &opt_cert,
    "Certificate of the key: key id from its subjectKeyIdentifier", "CERT" },
  { "keyid", 0, 0, G_OPTION_ARG_STRING, &opt_keyid, "Key id to write (8 hex digits)", "HEX" },
  { "hash", 0, 0, G_OPTION_ARG_STRING, &opt_hash, "Hash algorithm (default: sha256)", "ALG" },
  { "overwrite", 0, 0, G_OPTION_ARG_NONE, &opt_overwrite, "Replace an existing security.ima",
    NULL },
  { "jobs", 'j', 0, G_OPTION_ARG_INT, &opt_jobs, "Worker threads, 1-256 (default: all CPUs)", "N" },
  { "include", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_include,
    "Sign only files whose path matches GLOB (repeatable)", "GLOB" },
  { "exclude", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_exclude,
    "Do not sign files whose path matches GLOB (repeatable)", "GLOB" },
  { "evm", 0, 0, G_OPTION_ARG_NONE, &opt_evm,
    "Also write a portable EVM signature (security.evm type 0x05) for each signed file", NULL },
  { "allow-insecure-key-perms", 0, 0, G_OPTION_ARG_NONE, &opt_allow_insecure_key_perms,
    "Use an unencrypted key file that group or others can read", NULL },
  { "allow-weak-hash", 0, 0, G_OPTION_ARG_NONE, &opt_allow_weak_hash,
    "Sign with md5, sha1 or rmd160 (the kernel accepts them; attackers like them)", NULL },
  { "hash-only", 0, 0, G_OPTION_ARG_CALLBACK, parse_hash_only,
    "Write a hash (0x04), not a signature, for every file (bare) or those matching GLOB "
    "(--hash-only=GLOB, repeatable)",
    "GLOB" },
  { "hash-only-all", 0, G_OPTION_FLAG_HIDDEN | G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK,
    parse_hash_only, NULL, NULL },
  { "reuse-from", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_reuse_from,
    "Reuse valid signatures of unchanged files of REV (repeatable; default: TARGET_REF's commit)",
    "REV" },
  { "no-reuse", 0, 0, G_OPTION_ARG_NONE, &opt_no_reuse,
    "Sign every file afresh (ECDSA then changes every object)", NULL },
  { "repair", 0, 0, G_OPTION_ARG_NONE, &opt_repair,
    "Sign nothing: re-encode xattr lists ostree cannot check out, keeping every value", NULL },
  { "no-cache", 0, 0, G_OPTION_ARG_NONE, &opt_no_cache,
    "Do not use or update the repository's signing cache", NULL },
  { NULL },
};

gboolean
oima_builtin_sign (int argc, char **argv, GCancellable *cancellable, GError **error)
{
  for (int i = 1; i < argc && !g_str_equal (argv[i], "--"); i++)
    if (g_str_equal (argv[i], "--hash-only"))
      argv[i] = (char *)"--hash-only-all";
  if (!oima_cli_parse (&argc, &argv, options, "SRC_REV TARGET_REF",
                       "Write a new commit of SRC_REV where every selected regular file "
                       "carries an IMA signature,\nand point TARGET_REF at it.",
                       error))
    return FALSE;
  if (argc != 3)
    return oima_cli_throw_usage (error, "expected SRC_REV and TARGET_REF");
  if (opt_cert && opt_keyid)
    return oima_cli_throw_usage (error, "give --cert or --keyid, not both");
  if (opt_repair && (opt_key || opt_overwrite || opt_cert || opt_keyid || opt_hash || opt_evm))
    return oima_cli_throw_usage (error, "--repair signs nothing: it takes no key, hash or "
                                        "--overwrite");
  if (opt_jobs < 0 || opt_jobs > 256)
    return oima_cli_throw_usage (error, "--jobs must be 1 to 256 (0: all CPUs)");

  OimaHashAlgo algo = OIMA_HASH_SHA256;
  if (opt_hash && !oima_hash_algo_from_name (opt_hash, &algo, error))
    return FALSE;
  g_autoptr (OimaPathFilter) filter = oima_path_filter_new (
      (const char *const *)opt_include, (const char *const *)opt_exclude, error);
  if (filter == NULL)
    return FALSE;
  g_autoptr (OstreeRepo) repo = oima_cli_open_repo (opt_repo, cancellable, error);
  if (repo == NULL)
    return FALSE;
  OimaKeySpec spec = { .key = opt_key,
                       .pass_file = opt_key_pass_file,
                       .cert = opt_cert,
                       .keyid_hex = opt_keyid,
                       .allow_insecure_perms = opt_allow_insecure_key_perms };
  g_autoptr (OimaSigningKey) key = opt_repair ? NULL : oima_cli_load_key (&spec, error);
  if (key == NULL && !opt_repair)
    return FALSE;

  g_autoptr (OimaPathFilter) hash_only = NULL;
  if (!oima_path_option_to_filter (&opt_hash_only, &hash_only, error))
    return FALSE;
  g_autoptr (OimaSigReuse) reuse = NULL;
  if (!opt_repair
      && !oima_cli_load_reuse (repo, key, algo, opt_reuse_from, opt_no_reuse, argv[2], &reuse,
                               cancellable, error))
    return FALSE;

  OimaCommitSignOptions sign_opts = {
    .key = key,
    .reuse = reuse,
    .hash_only = hash_only,
    .evm = opt_evm,
    .algo = algo,
    .overwrite = opt_overwrite,
    .repair_only = opt_repair,
    .allow_weak_hash = opt_allow_weak_hash,
    .n_jobs = (guint)opt_jobs,
    .filter = filter,
    .no_cache = opt_no_cache,
  };
  return oima_cli_sign_commit (repo, argv[1], argv[2], &sign_opts, cancellable, error);
}
