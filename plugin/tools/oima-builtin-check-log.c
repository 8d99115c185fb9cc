/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ostree ima check-log: a kernel's IMA measurement list against the commit
 * that should be running, and its PCR 10 replay against a TPM's value.
 */

#include <gio/gunixinputstream.h>
#include <string.h>

#include "oima-cli.h"
#include "oima-log-check.h"
#include "oima-util.h"

static char *opt_repo;
static char *opt_prefix;
static char **opt_pcr10;
static char *opt_pcr10_sha1;
static char **opt_certs;
static gboolean opt_json;
static gboolean opt_verbose;

static GOptionEntry options[] = {
  { "repo", 0, 0, G_OPTION_ARG_FILENAME, &opt_repo, "Repository (required)", "PATH" },
  { "prefix", 0, 0, G_OPTION_ARG_FILENAME, &opt_prefix,
    "Where the deployment was mounted when measured (default: ostree's deployment "
    "layout, else /)",
    "DIR" },
  { "pcr10", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_pcr10,
    "Expected PCR 10 (a TPM quote's value): 40 hex digits for the sha1 bank, 64 for "
    "sha256 (repeatable)",
    "HEX" },
  { "pcr10-sha1", 0, 0, G_OPTION_ARG_STRING, &opt_pcr10_sha1, "Expected PCR 10 in the sha1 bank",
    "HEX" },
  { "cert", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &opt_certs,
    "Check the signatures in the log (ima-sig) against this certificate or directory "
    "(repeatable)",
    "CERT" },
  { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "Print every entry and the result as JSON", NULL },
  { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose,
    "Also list the entries that match the commit", NULL },
  { NULL },
};

typedef struct
{
  gboolean first;
} JsonState;

static void
print_finding (const OimaLogFinding *f, gpointer user_data)
{
  const OimaMeasureEntry *e = f->entry;
  if (!opt_json)
    {
      if (oima_log_verdict_is_ok (f->verdict) && !opt_verbose)
        return;
      g_print ("%s: %s%s: %s\n", e->path ? e->path : "(no name)", f->config ? "config " : "",
               oima_log_verdict_name (f->verdict), f->detail);
      return;
    }
  JsonState *state = user_data;
  g_autoptr (GString) out = g_string_new (state->first ? "\n    " : ",\n    ");
  state->first = FALSE;
  g_string_append_printf (
      out, "{\"index\": %" G_GUINT64_FORMAT ", \"pcr\": %u, \"template\": ", e->index, e->pcr);
  oima_json_append_string (out, e->template_name);
  g_string_append (out, ", \"path\": ");
  if (e->path)
    oima_json_append_string (out, e->path);
  else
    g_string_append (out, "null");
  if (e->has_digest && e->digest)
    {
      g_autofree char *hex
          = oima_hex_encode (g_bytes_get_data (e->digest, NULL), g_bytes_get_size (e->digest));
      g_autofree char *digest = g_strdup_printf (
          "%s%s:%s", e->digest_type == OIMA_MEASURE_DIGEST_TYPE_VERITY ? "verity:" : "",
          e->digest_algo_name ? e->digest_algo_name : "?", hex);
      g_string_append (out, ", \"digest\": ");
      oima_json_append_string (out, digest);
    }
  g_string_append (out, ", \"commit_path\": ");
  if (f->commit_path)
    oima_json_append_string (out, f->commit_path);
  else
    g_string_append (out, "null");
  g_string_append_printf (out, ", \"config\": %s, \"verdict\": \"%s\", \"detail\": ",
                          f->config ? "true" : "false", oima_log_verdict_name (f->verdict));
  oima_json_append_string (out, f->detail);
  g_string_append_c (out, '}');
  g_print ("%s", out->str);
}

/* --pcr10 values by bank: sha1 from 40 hex digits, sha256 from 64. */
static gboolean
parse_expected (char **out_sha1, char **out_sha256, GError **error)
{
  if (opt_pcr10_sha1)
    *out_sha1 = g_strdup (opt_pcr10_sha1);
  for (char **p = opt_pcr10; p && *p; p++)
    {
      const char *hex = *p;
      if (g_str_has_prefix (hex, "0x") || g_str_has_prefix (hex, "0X"))
        hex += 2;
      char **slot;
      if (strlen (hex) == 40)
        slot = out_sha1;
      else if (strlen (hex) == 64)
        slot = out_sha256;
      else
        return oima_cli_throw_usage (error,
                                     "--pcr10 '%s': expected 40 hex digits (sha1 bank) or 64 "
                                     "(sha256 bank)",
                                     *p);
      if (*slot != NULL)
        return oima_cli_throw_usage (error, "--pcr10: two values for the %s bank",
                                     slot == out_sha1 ? "sha1" : "sha256");
      *slot = g_strdup (*p);
    }
  return TRUE;
}

static GInputStream *
open_log (const char *path, GCancellable *cancellable, GError **error)
{
  if (strcmp (path, "-") == 0)
    return g_unix_input_stream_new (STDIN_FILENO, FALSE);
  g_autoptr (GFile) file = g_file_new_for_path (path);
  GInputStream *in = (GInputStream *)g_file_read (file, cancellable, error);
  if (in == NULL)
    oima_prefix_error (error, "Opening the measurement list");
  return in;
}

/* PCR 10 in @bank: printed, and checked against @expected if given (a
 * mismatch clears *@out_ok; the first one's error goes to @error). */
static void
check_pcr (OimaPcrReplay *replay, OimaHashAlgo bank, const char *expected, GString *json,
           gboolean *out_ok, GError **error)
{
  g_autofree char *value = oima_pcr_replay_get_hex (replay, 10, bank);
  gboolean complete = oima_pcr_replay_is_complete (replay, bank);
  g_autoptr (GError) local_error = NULL;
  gboolean ok
      = expected == NULL || oima_pcr_replay_check (replay, 10, bank, expected, &local_error);
  if (json)
    {
      g_string_append_printf (json, "%s\"%s\": {\"replayed\": ", bank == OIMA_HASH_SHA1 ? "" : ", ",
                              oima_hash_algo_name (bank));
      if (complete)
        oima_json_append_string (json, value);
      else
        g_string_append (json, "null");
      g_string_append (json, ", \"expected\": ");
      if (expected)
        oima_json_append_string (json, expected);
      else
        g_string_append (json, "null");
      g_string_append_printf (json, ", \"ok\": %s}", ok ? "true" : "false");
    }
  else if (complete)
    g_print ("PCR 10 %s: %s%s\n", oima_hash_algo_name (bank), value,
             expected == NULL ? ""
             : ok             ? " (as expected)"
                              : " (MISMATCH)");
  else
    g_print ("PCR 10 %s: cannot be replayed (an entry of an unknown template)\n",
             oima_hash_algo_name (bank));
  if (!ok)
    {
      *out_ok = FALSE;
      if (*error == NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
    }
}

gboolean
oima_builtin_check_log (int argc, char **argv, GCancellable *cancellable, GError **error)
{
  if (!oima_cli_parse (&argc, &argv, options, "REV LOG",
                       "Check a kernel's IMA measurement list (ascii or binary "
                       "runtime_measurements,\nLOG '-' reads stdin) against commit REV: every "
                       "measured file must be the commit's\ncontent at its path.  Replays PCR 10 "
                       "and compares it with --pcr10.",
                       error))
    return FALSE;
  if (argc != 3)
    return oima_cli_throw_usage (error, "expected REV and LOG");
  g_autofree char *expected_sha1 = NULL;
  g_autofree char *expected_sha256 = NULL;
  if (!parse_expected (&expected_sha1, &expected_sha256, error))
    return FALSE;
  g_autoptr (OimaTrust) trust = NULL;
  if (opt_certs)
    {
      trust = oima_cli_load_trust (opt_certs, error);
      if (trust == NULL)
        return FALSE;
    }
  g_autoptr (OstreeRepo) repo = oima_cli_open_repo (opt_repo, cancellable, error);
  if (repo == NULL)
    return FALSE;
  g_autofree char *commit = NULL;
  if (!ostree_repo_resolve_rev (repo, argv[1], FALSE, &commit, error))
    return FALSE;
  g_autoptr (GInputStream) log = open_log (argv[2], cancellable, error);
  if (log == NULL)
    return FALSE;

  g_autoptr (OimaPcrReplay) replay = oima_pcr_replay_new ();
  JsonState state = { .first = TRUE };
  OimaLogCheckOptions check_opts = {
    .prefix = opt_prefix,
    .trust = trust,
    .replay = replay,
    .func = print_finding,
    .user_data = &state,
  };
  OimaLogCheckStats stats = { 0 };
  if (opt_json)
    {
      g_autoptr (GString) head = g_string_new ("{\n  \"commit\": ");
      oima_json_append_string (head, commit);
      g_string_append (head, ",\n  \"entries\": [");
      g_print ("%s", head->str);
    }
  g_autoptr (GError) check_error = NULL;
  gboolean checked
      = oima_log_check (repo, commit, log, &check_opts, &stats, cancellable, &check_error);
  if (!checked)
    {
      if (opt_json)
        {
          g_autoptr (GString) tail = g_string_new ("\n  ],\n  \"error\": ");
          oima_json_append_string (tail, check_error->message);
          g_string_append (tail, ",\n  \"ok\": false\n}\n");
          g_print ("%s", tail->str);
        }
      g_propagate_error (error, g_steal_pointer (&check_error));
      return FALSE;
    }

  gboolean ok = oima_log_check_stats_ok (&stats);
  gboolean pcr_ok = TRUE;
  g_autoptr (GError) pcr_error = NULL;
  g_autoptr (GString) json = opt_json ? g_string_new ("\n  ],\n  \"pcr10\": {") : NULL;
  check_pcr (replay, OIMA_HASH_SHA1, expected_sha1, json, &pcr_ok, &pcr_error);
  check_pcr (replay, OIMA_HASH_SHA256, expected_sha256, json, &pcr_ok, &pcr_error);
  g_autofree char *summary = oima_log_check_stats_format (&stats);
  if (json)
    {
      g_string_append_printf (json, "},\n  \"format\": \"%s\", \"bank\": \"%s\",\n  \"counts\": {",
                              stats.format == OIMA_MEASURE_LOG_BINARY ? "binary" : "ascii",
                              oima_hash_algo_name (stats.bank));
      g_string_append_printf (json, "\"entries\": %" G_GUINT64_FORMAT, stats.n_entries);
      for (guint v = 0; v < OIMA_LOG_N_VERDICTS; v++)
        g_string_append_printf (json, ", \"%s\": %" G_GUINT64_FORMAT, oima_log_verdict_name (v),
                                stats.n_verdicts[v]);
      g_string_append_printf (json, "},\n  \"ok\": %s\n}\n", ok && pcr_ok ? "true" : "false");
      g_print ("%s", json->str);
    }
  else
    g_print ("check-log: %s (commit %s, %s list, %s template hashes)\n", summary, commit,
             stats.format == OIMA_MEASURE_LOG_BINARY ? "binary" : "ascii",
             oima_hash_algo_name (stats.bank));
  if (!ok)
    return oima_throw (error,
                       "%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                       " measurements are not accounted for by commit %s%s%s",
                       oima_log_check_stats_n_unaccounted (&stats), stats.n_entries, commit,
                       pcr_ok ? "" : "; ", pcr_ok ? "" : pcr_error->message);
  if (!pcr_ok)
    {
      g_propagate_error (error, g_steal_pointer (&pcr_error));
      return FALSE;
    }
  return TRUE;
}
