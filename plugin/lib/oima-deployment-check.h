/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Does a deployment on disk still hold its commit?  Every path whose
 * content, owner, mode or integrity xattrs (security.ima, a portable
 * security.evm) differ from the commit, every file the commit does not
 * have, and every file missing.  What IMA alone cannot catch (a validly
 * signed binary copied over another path, or rolled back to an older
 * signed version) shows here: the commit says which content belongs at
 * which path.
 *
 *   OimaDeploymentCheckOptions opts = { .func = print_difference };
 *   OimaDeploymentCheckStats stats = { 0 };
 *   oima_deployment_check (repo, commit, deployment_dfd, &opts, &stats, c, &error);
 *
 * The merged /etc is compared with the commit's /usr/etc and reported as
 * configuration (local changes are the admin's).  Deployed files that are
 * still hardlinks of the repository's objects are not read; the others
 * are hashed on worker threads.
 */
#pragma once

#include <ostree.h>

G_BEGIN_DECLS

typedef enum
{
  OIMA_DEPLOYMENT_CONTENT,  /* content differs from the commit's at this path */
  OIMA_DEPLOYMENT_METADATA, /* owner, mode or security.ima/evm differ */
  OIMA_DEPLOYMENT_ADDED,    /* not in the commit */
  OIMA_DEPLOYMENT_MISSING,  /* in the commit, not on disk */
  OIMA_DEPLOYMENT_N_KINDS
} OimaDeploymentDifferenceKind;

const char *oima_deployment_difference_name (OimaDeploymentDifferenceKind kind);

typedef struct
{
  const char *path; /* as deployed ("/etc/hostname", "/usr/bin/sh") */
  OimaDeploymentDifferenceKind kind;
  gboolean config;     /* under /etc: compared with the commit's /usr/etc */
  gboolean executable; /* any exec bit (on disk; in the commit when missing) */
  const char *detail;  /* "mode 0755 -> 0775", "security.ima differs", ... */
} OimaDeploymentDifference;

typedef void (*OimaDeploymentDifferenceFunc) (const OimaDeploymentDifference *difference,
                                              gpointer user_data);

typedef struct
{
  guint n_jobs; /* 0: number of CPUs */
  /* Called on the calling thread, sorted by path. */
  OimaDeploymentDifferenceFunc func;
  gpointer user_data;
} OimaDeploymentCheckOptions;

typedef struct
{
  guint64 n_files;  /* regular files compared (on disk) */
  guint64 n_hashed; /* of those, not hardlinks of their object: read and hashed */
  guint64 n_differences[OIMA_DEPLOYMENT_N_KINDS]; /* outside /etc */
  guint64 n_config_differences;                   /* under /etc */
} OimaDeploymentCheckStats;

/* Compare the regular files under @deployment_dfd with @commit of @repo.
 * FALSE only on errors (unreadable files, a missing commit). */
gboolean oima_deployment_check (OstreeRepo *repo, const char *commit, int deployment_dfd,
                                const OimaDeploymentCheckOptions *options,
                                OimaDeploymentCheckStats *out_stats, GCancellable *cancellable,
                                GError **error);

G_END_DECLS
