/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Will the device's kernel run this?  Every regular file of a commit (the
 * pull hook, `ostree ima appraise --repo`) or of a deployment on disk (the
 * deploy hook, `ostree ima appraise --sysroot`) is checked against the
 * device's trust and, through an appraiser (the policy simulator), its
 * IMA policy; what the kernel would deny is collected with the kernel's
 * own cause.
 *
 *   OimaDeviceCheckOptions opts = { .trust = trust, .appraise = simulate, .appraise_data = sim };
 *   g_autoptr(OimaDeviceReport) report = NULL;
 *   oima_device_check_commit (repo, checksum, &opts, &report, cancellable, &error);
 *   if (report->n_denied_files > 0)
 *     g_printerr ("%s\n", oima_device_report_summary (report, 5));
 *
 * Without an appraiser every regular file must carry a valid signature by
 * a trusted key (as under `appraise ... appraise_type=imasig` for all).
 */
#pragma once

#include <ostree.h>

#include "oima-path-filter.h"
#include "oima-trust.h"
#include "oima-tree-scan.h"

G_BEGIN_DECLS

/* One thing the kernel would refuse. */
typedef struct
{
  char *path;
  char *hook;   /* "BPRM_CHECK", "FILE_CHECK", ... or NULL without a policy */
  char *cause;  /* the kernel's audit cause: "IMA-signature-required", ... */
  char *detail; /* one line for humans */
} OimaDenial;

/* An appraiser: append what the kernel would deny for @file to @denials
 * (OimaDenial, owned by the array).  @status/@detail are the file's
 * signature verdict against the trust, computed with @digest (the content
 * digest in the algorithm of its security.ima, or sha256).  Runs on worker
 * threads. */
typedef gboolean (*OimaDeviceAppraiseFunc) (OimaScanFile *file, OimaVerifyStatus status,
                                            const char *detail, gpointer user_data,
                                            GPtrArray *denials, GCancellable *cancellable,
                                            GError **error);

typedef struct
{
  OimaTrust *trust;                /* required */
  OimaDeviceAppraiseFunc appraise; /* NULL: every file must be validly signed */
  gpointer appraise_data;
  const OimaPathFilter *filter; /* NULL: every file */
  guint n_jobs;                 /* 0: number of CPUs */
} OimaDeviceCheckOptions;

typedef struct
{
  guint64 n_files;
  guint64 n_denied_files;
  OimaVerdictCounts verdicts; /* signature status of every file */
  GPtrArray *denials;         /* OimaDenial, sorted by path */
} OimaDeviceReport;

void oima_device_report_free (OimaDeviceReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OimaDeviceReport, oima_device_report_free)

/* "3 of 5302 files would be denied by the device's kernel: /usr/bin/x
 * (BPRM_CHECK: IMA-signature-required), ... and 1 more" (at most @max_listed
 * named). */
char *oima_device_report_summary (const OimaDeviceReport *report, guint max_listed);

gboolean oima_device_check_commit (OstreeRepo *repo, const char *rev,
                                   const OimaDeviceCheckOptions *options,
                                   OimaDeviceReport **out_report, GCancellable *cancellable,
                                   GError **error);

/* The tree at @relpath under @dfd (a deployment). */
gboolean oima_device_check_dir (int dfd, const char *relpath, const OimaDeviceCheckOptions *options,
                                OimaDeviceReport **out_report, GCancellable *cancellable,
                                GError **error);

/* The kernel's audit cause for a file appraised with appraise_type=imasig
 * whose signature verdict is @status (NULL for VALID). */
const char *oima_verify_status_kernel_cause (OimaVerifyStatus status);

G_END_DECLS
