/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What the ostree-ima command-line verbs share: the verb signature, repo
 * opening, key loading from options, Ctrl-C handling and progress output.
 */
#pragma once

#include <ostree.h>

#include "oima-commit-signer.h"
#include "oima-error.h"
#include "oima-key-spec.h"
#include "oima-signing-key.h"
#include "oima-trust.h"

G_BEGIN_DECLS

typedef gboolean (*OimaBuiltinFunc) (int argc, char **argv, GCancellable *cancellable,
                                     GError **error);

typedef struct
{
  const char *name;
  OimaBuiltinFunc fn;
  const char *summary;
} OimaCommand;

gboolean oima_builtin_sign (int argc, char **argv, GCancellable *cancellable, GError **error);
gboolean oima_builtin_inspect (int argc, char **argv, GCancellable *cancellable, GError **error);
gboolean oima_builtin_verify (int argc, char **argv, GCancellable *cancellable, GError **error);
gboolean oima_builtin_keygen (int argc, char **argv, GCancellable *cancellable, GError **error);
gboolean oima_builtin_fsck (int argc, char **argv, GCancellable *cancellable, GError **error);
gboolean oima_builtin_appraise (int argc, char **argv, GCancellable *cancellable, GError **error);
gboolean oima_builtin_check_log (int argc, char **argv, GCancellable *cancellable, GError **error);
gboolean oima_builtin_keylime_policy (int argc, char **argv, GCancellable *cancellable,
                                      GError **error);
gboolean oima_builtin_verify_deployment (int argc, char **argv, GCancellable *cancellable,
                                         GError **error);

/* Run @commands: argv[1] names the verb.  When ostree runs us as an
 * external command ("ostree ima VERB"), argv[1] is @ostree_verb itself and
 * is skipped.  Prints "error: ..." and returns the exit status. */
int oima_cli_main (int argc, char **argv, const char *prog, const char *ostree_verb,
                   const OimaCommand *commands);

/* A usage error: "@message (see --help)". */
gboolean oima_cli_throw_usage (GError **error, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

/* Open the repository at @path (required). */
OstreeRepo *oima_cli_open_repo (const char *path, GCancellable *cancellable, GError **error);

/* Parse @entries (a verb's options) into @argc/@argv; @params and @summary
 * are the --help text. */
gboolean oima_cli_parse (int *argc, char ***argv, const GOptionEntry *entries, const char *params,
                         const char *summary, GError **error);

/* Load the signing key @spec names; the passphrase may also come from
 * OSTREE_IMA_KEY_PASS.  (oima_cli_main adds the hints to errors.) */
OimaSigningKey *oima_cli_load_key (OimaKeySpec *spec, GError **error);

/* The signatures to reuse: those of every commit in @reuse_from, or, when
 * it is NULL, of @target_ref's current commit if there is one.  NULL
 * without error when there is nothing to reuse or @no_reuse. */
gboolean oima_cli_load_reuse (OstreeRepo *repo, OimaSigningKey *key, OimaHashAlgo algo,
                              char **reuse_from, gboolean no_reuse, const char *target_ref,
                              OimaSigReuse **out_reuse, GCancellable *cancellable, GError **error);

/* Every certificate file or directory of @certs. */
OimaTrust *oima_cli_load_trust (char **certs, GError **error);

/* Append the hint the CLI gives for core errors with an OIMA_ERROR code
 * (see oima-error.h). */
void oima_cli_add_hint (GError *error, const char *key_flag, const char *pass_flag);

/* Sign @src_rev into @target_ref, print progress on a terminal and a
 * summary at the end. */
gboolean oima_cli_sign_commit (OstreeRepo *repo, const char *src_rev, const char *target_ref,
                               const OimaCommitSignOptions *options, GCancellable *cancellable,
                               GError **error);

G_END_DECLS
