/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Does a kernel's IMA measurement list show only what a commit holds?
 * Every file measurement is mapped by its path to the commit and its
 * logged digest compared with the digest of the commit's content at that
 * path.  IMA appraisal alone cannot catch a validly signed binary copied
 * over another path, or rolled back to an older signed version: the commit
 * says which content belongs where.
 *
 *   g_autoptr (OimaPcrReplay) replay = oima_pcr_replay_new ();
 *   OimaLogCheckOptions opts = { .prefix = "/mnt", .trust = trust,
 *                                .replay = replay, .func = print_finding };
 *   OimaLogCheckStats stats = { 0 };
 *   if (!oima_log_check (repo, rev, log_stream, &opts, &stats, cancellable, error))
 *     return FALSE;              // unreadable or malformed log, missing commit
 *   if (!oima_log_check_stats_ok (&stats)) ...  // something measured is not the commit's
 *   oima_pcr_replay_check (replay, 10, OIMA_HASH_SHA256, tpm_pcr10, error);
 *
 * Paths: the measured path minus @prefix (where the deployment was mounted);
 * without one, ostree's deployment layout (/ostree/deploy/OS/deploy/CSUM.N/)
 * is stripped, and other paths are taken as those of a booted deployment.
 * /etc/X is the commit's /usr/etc/X (ostree deploys it there), reported as
 * configuration.  The log is streamed; memory grows with the number of
 * distinct commit files measured, never with the log.
 */
#pragma once

#include <ostree.h>

#include "oima-measure-log.h"
#include "oima-trust.h"

G_BEGIN_DECLS

typedef enum
{
  OIMA_LOG_MATCH,             /* the commit's content at this path */
  OIMA_LOG_NOT_A_FILE,        /* boot_aggregate, a buffer (ima-buf): nothing to map */
  OIMA_LOG_CONTENT_DIFFERS,   /* the commit has this path, with other content */
  OIMA_LOG_UNKNOWN_FILE,      /* the commit has no file at this path */
  OIMA_LOG_BAD_SIGNATURE,     /* the logged signature does not verify over the logged digest */
  OIMA_LOG_UNTRUSTED_KEY,     /* signed by a key no trusted certificate holds */
  OIMA_LOG_UNSIGNED,          /* the template logs signatures and this file had none */
  OIMA_LOG_BAD_TEMPLATE_HASH, /* the entry's data does not match its template hash */
  OIMA_LOG_VIOLATION,         /* the kernel could not measure the file (open writers, ToMToU) */
  OIMA_LOG_UNVERIFIABLE,      /* unknown template or digest algorithm: cannot be compared */
  OIMA_LOG_N_VERDICTS
} OimaLogVerdict;

/* "match", "not-a-file", "content-differs", ... */
const char *oima_log_verdict_name (OimaLogVerdict verdict);

/* MATCH and NOT_A_FILE: the entry is accounted for. */
gboolean oima_log_verdict_is_ok (OimaLogVerdict verdict);

typedef struct
{
  const OimaMeasureEntry *entry;
  OimaLogVerdict verdict;
  const char *commit_path; /* looked up in the commit; NULL if not a file or outside the prefix */
  gboolean config;         /* /etc, compared with the commit's /usr/etc */
  const char *detail;      /* one line, never NULL */
} OimaLogFinding;

typedef void (*OimaLogFindingFunc) (const OimaLogFinding *finding, gpointer user_data);

typedef struct
{
  const char *prefix;      /* where the deployment was mounted; NULL: see above */
  OimaTrust *trust;        /* check the logged signatures (ima-sig); NULL: not checked */
  OimaPcrReplay *replay;   /* extended with every entry; may be NULL */
  OimaLogFindingFunc func; /* every entry, in log order; may be NULL */
  gpointer user_data;
} OimaLogCheckOptions;

typedef struct
{
  guint64 n_entries;
  guint64 n_verdicts[OIMA_LOG_N_VERDICTS];
  guint64 n_hashed;            /* commit files read to compare */
  OimaMeasureLogFormat format; /* as detected (ascii or binary) */
  OimaHashAlgo bank;           /* the list's template hash bank */
} OimaLogCheckStats;

/* FALSE only on errors: @rev missing or partial, an unreadable or
 * malformed log (the message names the entry and its offset). */
gboolean oima_log_check (OstreeRepo *repo, const char *rev, GInputStream *log,
                         const OimaLogCheckOptions *options, OimaLogCheckStats *out_stats,
                         GCancellable *cancellable, GError **error);

/* The entries not accounted for (verdicts other than MATCH and NOT_A_FILE);
 * stats_ok: none. */
guint64 oima_log_check_stats_n_unaccounted (const OimaLogCheckStats *stats);
gboolean oima_log_check_stats_ok (const OimaLogCheckStats *stats);

/* "N entries: N match the commit, N content-differs, ..." */
char *oima_log_check_stats_format (const OimaLogCheckStats *stats);

G_END_DECLS
