/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "oima-cli.h"

gboolean
oima_cli_throw_usage (GError **error, const char *fmt, ...)
{
  va_list args;
  va_start (args, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, args);
  va_end (args);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s (see --help)", msg);
  return FALSE;
}

OstreeRepo *
oima_cli_open_repo (const char *path, GCancellable *cancellable, GError **error)
{
  if (path == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "--repo=PATH is required");
      return NULL;
    }
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (OstreeRepo) repo = ostree_repo_new (file);
  if (!ostree_repo_open (repo, cancellable, error))
    {
      g_prefix_error (error, "Opening repository %s: ", path);
      return NULL;
    }
  return g_steal_pointer (&repo);
}

gboolean
oima_cli_parse (int *argc, char ***argv, const GOptionEntry *entries, const char *params,
                const char *summary, GError **error)
{
  g_autoptr (GOptionContext) context = g_option_context_new (params);
  g_option_context_set_summary (context, summary);
  g_option_context_add_main_entries (context, entries, NULL);
  return g_option_context_parse (context, argc, argv, error);
}

void
oima_cli_add_hint (GError *error, const char *key_flag, const char *pass_flag)
{
  if (error == NULL || error->domain != OIMA_ERROR)
    return;
  const char *hint = NULL;
  g_autofree char *owned = NULL;
  switch ((OimaErrorCode)error->code)
    {
    case OIMA_ERROR_NO_KEY:
      hint = owned = g_strdup_printf ("give %s=KEY", key_flag);
      break;
    case OIMA_ERROR_PASSPHRASE_NEEDED:
    case OIMA_ERROR_SECRET_IN_URI:
      hint = owned = g_strdup_printf ("give it in a file with %s FILE or in the environment "
                                      "variable " OIMA_KEY_PASS_ENV,
                                      pass_flag);
      break;
    case OIMA_ERROR_EXISTING_VALUE:
      hint = "use --overwrite to replace it";
      break;
    case OIMA_ERROR_WEAK_HASH:
      hint = "--allow-weak-hash signs or accepts it anyway";
      break;
    case OIMA_ERROR_INSECURE_KEY:
      hint = "chmod 0600 it or encrypt it; --allow-insecure-key-perms uses it anyway";
      break;
    case OIMA_ERROR_EMPTY_SELECTION:
      hint = "check REV and --include/--exclude";
      break;
    case OIMA_ERROR_PASSPHRASE_WRONG:
    case OIMA_ERROR_BAD_GLOB:
      break;
    }
  if (hint == NULL)
    return;
  char *msg = g_strdup_printf ("%s (%s)", error->message, hint);
  g_free (error->message);
  error->message = msg;
}

OimaSigningKey *
oima_cli_load_key (OimaKeySpec *spec, GError **error)
{
  spec->pass_from_env = TRUE;
  OimaSigningKey *key = oima_key_spec_load (spec, NULL, error);
  const char *problem = key ? oima_signing_key_get_cert_problem (key) : NULL;
  if (problem)
    g_printerr ("warning: certificate %s: %s (the kernel ignores this; operators should not)\n",
                spec->cert, problem);
  return key;
}

gboolean
oima_cli_load_reuse (OstreeRepo *repo, OimaSigningKey *key, OimaHashAlgo algo, char **reuse_from,
                     gboolean no_reuse, const char *target_ref, OimaSigReuse **out_reuse,
                     GCancellable *cancellable, GError **error)
{
  *out_reuse = NULL;
  if (no_reuse)
    return TRUE;
  g_autoptr (OimaSigReuse) reuse = oima_sig_reuse_new (key, algo);
  if (reuse_from)
    {
      for (char **r = reuse_from; *r; r++)
        if (!oima_sig_reuse_add_commit (reuse, repo, *r, cancellable, error))
          {
            g_prefix_error (error, "--reuse-from=%s: ", *r);
            return FALSE;
          }
      *out_reuse = g_steal_pointer (&reuse);
      return TRUE;
    }
  /* By default the target's current commit: a rebuild changes only what
   * changed, whatever the key type. */
  if (target_ref == NULL)
    return TRUE;
  gboolean found = FALSE;
  if (!oima_sig_reuse_add_ref (reuse, repo, target_ref, &found, cancellable, error))
    return FALSE;
  if (found)
    *out_reuse = g_steal_pointer (&reuse);
  return TRUE;
}

OimaTrust *
oima_cli_load_trust (char **certs, GError **error)
{
  g_autoptr (OimaTrust) trust = oima_trust_new ();
  for (char **c = certs; c && *c; c++)
    if (!oima_trust_add_path (trust, *c, error))
      return NULL;
  /* The kernel ignores validity dates and keyUsage; operators should not. */
  GPtrArray *problems = oima_trust_get_problems (trust);
  for (guint i = 0; i < problems->len; i++)
    g_printerr ("warning: %s\n", (const char *)problems->pdata[i]);
  return g_steal_pointer (&trust);
}

static void
print_progress (const OimaCommitSignProgress *p, gpointer user_data)
{
  g_print ("\rSigning: %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " objects, %" G_GUINT64_FORMAT
           " MiB hashed",
           p->files.files_done, p->files.files_total, p->files.bytes_hashed >> 20);
  fflush (stdout);
}

gboolean
oima_cli_sign_commit (OstreeRepo *repo, const char *src_rev, const char *target_ref,
                      const OimaCommitSignOptions *options, GCancellable *cancellable,
                      GError **error)
{
  OimaCommitSignOptions opts = *options;
  gboolean tty = isatty (STDOUT_FILENO);
  if (tty)
    opts.progress = print_progress;

  g_autofree char *new_commit = NULL;
  OimaCommitSignProgress stats = { 0 };
  g_autoptr (GError) local_error = NULL;
  gboolean ok = oima_commit_sign (repo, src_rev, target_ref, &opts, &new_commit, &stats,
                                  cancellable, &local_error);
  if (tty && stats.files.files_total > 0)
    g_print ("\r\033[K");
  if (!ok && g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Interrupted: %s was not changed",
                   target_ref);
      return FALSE;
    }
  if (!ok)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  if (opts.repair_only)
    g_print ("Re-encoded the xattrs of %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
             " content objects (values kept byte for byte)\n",
             stats.reencoded, stats.files.files_total);
  else
    {
      g_print ("Signed %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
               " content objects with %s key %08x, %s",
               stats.files.files_changed - stats.reencoded - stats.hashed, stats.files.files_total,
               oima_signing_key_describe (opts.key), oima_signing_key_get_keyid (opts.key),
               oima_hash_algo_name (opts.algo));
      g_print (" (%" G_GUINT64_FORMAT " signatures made, %" G_GUINT64_FORMAT
               " from the cache, %" G_GUINT64_FORMAT " symlinks or already signed)\n",
               stats.signatures_made, stats.files.files_cached,
               stats.files.files_kept + stats.reencoded);
      if (stats.evm_signed > 0)
        g_print ("Wrote a portable EVM signature for %" G_GUINT64_FORMAT " objects\n",
                 stats.evm_signed);
      if (stats.hashed > 0)
        g_print ("Wrote a hash, not a signature, for %" G_GUINT64_FORMAT " objects\n",
                 stats.hashed);
      if (stats.signatures_reused > 0)
        g_print ("Reused %" G_GUINT64_FORMAT " signatures of earlier commits (unchanged files)\n",
                 stats.signatures_reused);
      if (stats.reencoded > 0)
        g_print ("Re-encoded the xattrs of %" G_GUINT64_FORMAT
                 " already signed objects (signatures kept)\n",
                 stats.reencoded);
    }
  if (stats.files.files_unselected > 0)
    g_print ("%" G_GUINT64_FORMAT " paths not selected by --include/--exclude\n",
             stats.files.files_unselected);
  if (stats.evm_removed > 0)
    g_print ("Removed security.evm from %" G_GUINT64_FORMAT
             " objects: it covered the old security.ima\n",
             stats.evm_removed);
  if (stats.files.cache_rejected > 0)
    g_printerr ("warning: %" G_GUINT64_FORMAT " entries of the signing cache did not match "
                "their objects; those files were signed again\n",
                stats.files.cache_rejected);
  if (stats.files.commit_signatures_dropped > 0)
    g_print ("Did not copy %u signature(s) of the source commit: sign %s again\n",
             stats.files.commit_signatures_dropped, new_commit);
  if (target_ref)
    g_print ("%s => %s\n", target_ref, new_commit);
  else
    g_print ("%s\n", new_commit);
  return TRUE;
}

/* Ctrl-C and SIGTERM cancel the operation from a dedicated thread, so the
 * repository transaction is aborted cleanly instead of killed mid-write. */
static gpointer
signal_thread (gpointer data)
{
  GCancellable *cancellable = data;
  sigset_t set;
  sigemptyset (&set);
  sigaddset (&set, SIGINT);
  sigaddset (&set, SIGTERM);
  int sig = 0;
  if (sigwait (&set, &sig) != 0)
    return NULL;
  g_cancellable_cancel (cancellable);
  /* A second Ctrl-C: stop now.  Repository writes are transactional, so
   * even this leaves no half-written ref. */
  if (sigwait (&set, &sig) == 0)
    _exit (128 + sig);
  return NULL;
}

static const OimaCommand *
find_command (const OimaCommand *commands, const char *name)
{
  for (const OimaCommand *c = commands; c->name; c++)
    if (g_str_equal (c->name, name))
      return c;
  return NULL;
}

static void
print_usage (FILE *out, const char *prog, const OimaCommand *commands)
{
  fprintf (out, "Usage: %s COMMAND [OPTION...]\n\nCommands:\n", prog);
  for (const OimaCommand *c = commands; c->name; c++)
    fprintf (out, "  %-18s %s\n", c->name, c->summary);
}

int
oima_cli_main (int argc, char **argv, const char *prog, const char *ostree_verb,
               const OimaCommand *commands)
{
  setlocale (LC_ALL, "");
  g_set_prgname (prog);

  /* "ostree ima VERB ..." execs us with argv[1] == "ima". */
  if (argc > 1 && ostree_verb && g_str_equal (argv[1], ostree_verb))
    {
      argv[1] = argv[0];
      argv++;
      argc--;
    }

  const OimaCommand *command = NULL;
  if (commands[1].name == NULL && commands[0].name[0] == '\0')
    command = &commands[0]; /* single-command tool */
  else
    {
      if (argc < 2 || g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h"))
        {
          print_usage (argc < 2 ? stderr : stdout, prog, commands);
          return argc < 2 ? 1 : 0;
        }
      command = find_command (commands, argv[1]);
      if (command == NULL)
        {
          g_printerr ("error: Unknown command '%s'\n", argv[1]);
          print_usage (stderr, prog, commands);
          return 1;
        }
      argv[1] = g_strdup_printf ("%s %s", prog, command->name);
      /* GOption's "Usage:" line names the program by its prgname. */
      g_set_prgname (argv[1]);
      argv++;
      argc--;
    }

  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  sigset_t set;
  sigemptyset (&set);
  sigaddset (&set, SIGINT);
  sigaddset (&set, SIGTERM);
  pthread_sigmask (SIG_BLOCK, &set, NULL);
  /* Blocks in sigwait for the life of the process: never joined. */
  g_thread_unref (g_thread_new ("signals", signal_thread, cancellable));

  g_autoptr (GError) error = NULL;
  if (!command->fn (argc, argv, cancellable, &error))
    {
      oima_cli_add_hint (error, "--key", "--key-pass-file");
      g_printerr ("error: %s\n", error->message);
      return 1;
    }
  return 0;
}
