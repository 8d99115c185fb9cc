/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * fsck of a repository's objects as the patched ostree does it, for stock
 * ostree: a security.evm that is bound to one inode (0x02 HMAC, 0x03
 * signature: written by the kernel or an admin on a deployed file, which
 * in a bare repo is the object itself) is not part of a content object's
 * identity; a portable one (0x05) is.  With a trust, every regular file's
 * security.ima is also checked against its content.
 *
 *   OimaRepoFsckOptions opts = { .trust = trust, .func = report, .user_data = &ctx };
 *   OimaRepoFsckStats stats = { 0 };
 *   oima_repo_fsck (repo, &opts, &stats, cancellable, &error);
 *   // stats.n_corrupt == 0: every object is what its name says
 */
#pragma once

#include <ostree.h>

#include "oima-trust.h"

G_BEGIN_DECLS

typedef struct
{
  const char *checksum;
  OstreeObjectType objtype;
  const char *corrupt;  /* why the object is not what its name says; NULL if intact */
  gboolean evm_ignored; /* an inode-bound security.evm was left out of the checksum */
  gboolean has_verdict; /* a regular file checked against the trust */
  OimaVerifyStatus status;
  const char *detail;
} OimaObjectCheck;

typedef void (*OimaObjectCheckFunc) (const OimaObjectCheck *check, gpointer user_data);

typedef struct
{
  OimaTrust *trust; /* NULL: integrity only */
  guint n_jobs;     /* 0: number of CPUs */
  /* Called on the calling thread for every object, sorted by checksum. */
  OimaObjectCheckFunc func;
  gpointer user_data;
} OimaRepoFsckOptions;

typedef struct
{
  guint64 n_objects;
  guint64 n_content;
  guint64 n_corrupt;
  guint64 n_evm_ignored;
  OimaVerdictCounts verdicts; /* regular files, with a trust */
} OimaRepoFsckStats;

/* TRUE when every object could be read (corrupt ones included: see
 * @out_stats); FALSE on I/O errors. */
gboolean oima_repo_fsck (OstreeRepo *repo, const OimaRepoFsckOptions *options,
                         OimaRepoFsckStats *out_stats, GCancellable *cancellable, GError **error);

/* TRUE if @value (a security.evm) is bound to one inode: 0x02 or 0x03. */
gboolean oima_evm_is_inode_bound (GBytes *value);

G_END_DECLS
