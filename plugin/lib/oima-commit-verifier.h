/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Check every regular file of a commit: is its security.ima a valid
 * signature by a trusted key over its content?
 */
#pragma once

#include <ostree.h>

#include "oima-path-filter.h"
#include "oima-trust.h"

G_BEGIN_DECLS

typedef struct {
  const char *path;
  const char *checksum;
  OimaVerifyStatus status;
  const char *detail; /* NULL when valid */
} OimaFileVerdict;

typedef void (*OimaFileVerdictFunc) (const OimaFileVerdict *verdict, gpointer user_data);

typedef struct {
  guint64 n_files; /* regular files checked */
  guint64 n_status[OIMA_VERIFY_DIGEST_MISMATCH + 1];
} OimaCommitVerifyStats;

/* Calls @func for each selected regular file (any order).  Returns FALSE
 * only when the commit cannot be read; the verdicts are in @out_stats. */
gboolean oima_commit_verify (OstreeRepo *repo, const char *rev, OimaTrust *trust,
                             const OimaPathFilter *filter, OimaFileVerdictFunc func,
                             gpointer user_data, OimaCommitVerifyStats *out_stats,
                             GCancellable *cancellable, GError **error);

G_END_DECLS
