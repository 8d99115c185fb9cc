/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Check every regular file of a commit: is its security.ima a valid
 * signature by a trusted key over its content?  Each distinct content
 * object is hashed and verified once, on worker threads; verdicts are
 * reported in tree order, each with the content digest it was checked
 * against (for allowlists, measurement logs, deployment checks).
 *
 *   OimaCommitVerifyOptions opts = { .trust = trust, .func = print, .user_data = &ctx };
 *   OimaCommitVerifyStats stats = { 0 };
 *   oima_commit_verify (repo, "main", &opts, &stats, cancellable, &error);
 */
#pragma once

#include <ostree.h>

#include "oima-path-filter.h"
#include "oima-trust.h"

G_BEGIN_DECLS

typedef struct
{
  const char *path;
  const char *checksum;
  OimaVerifyStatus status;
  const char *detail; /* NULL when valid */
  /* The content digest, in the algorithm of the file's security.ima (or
   * the options' digest_algo when it has none or an unusable one). */
  OimaHashAlgo digest_algo;
  const guint8 *digest;
  gsize digest_len;
} OimaFileVerdict;

typedef void (*OimaFileVerdictFunc) (const OimaFileVerdict *verdict, gpointer user_data);

typedef OimaVerdictCounts OimaCommitVerifyStats;

typedef struct
{
  OimaTrust *trust;             /* required */
  const OimaPathFilter *filter; /* NULL: every regular file */
  guint n_jobs;                 /* 0: number of CPUs */
  OimaHashAlgo digest_algo;     /* for unsigned files; 0 (md4) means sha256 */
  gboolean allow_weak_hash;     /* else md5/sha1/... signatures are OIMA_VERIFY_WEAK_HASH */
  OimaFileVerdictFunc func;     /* called on the calling thread, in tree order */
  gpointer user_data;
} OimaCommitVerifyOptions;

/* Returns FALSE when the commit cannot be read or no regular file is
 * selected (OIMA_ERROR_EMPTY_SELECTION: "0 files: 0 valid" proves
 * nothing); the verdicts are in @out_stats (may be NULL). */
gboolean oima_commit_verify (OstreeRepo *repo, const char *rev,
                             const OimaCommitVerifyOptions *options,
                             OimaCommitVerifyStats *out_stats, GCancellable *cancellable,
                             GError **error);

G_END_DECLS
