/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <string.h>

#include "oima-device-check.h"
#include "oima-util.h"
#include "oima-xattr-codec.h"
#include "oima-xattrs.h"

typedef struct
{
  const OimaDeviceCheckOptions *options;
  GMutex lock;
  OimaDeviceReport *report;
} Check;

static void
denial_free (OimaDenial *d)
{
  g_free (d->path);
  g_free (d->hook);
  g_free (d->cause);
  g_free (d->detail);
  g_free (d);
}

void
oima_device_report_free (OimaDeviceReport *report)
{
  g_ptr_array_unref (report->denials);
  g_free (report);
}

const char *
oima_verify_status_kernel_cause (OimaVerifyStatus status)
{
  /* security/integrity/ima/ima_appraise.c, ima_appraise_measurement():
   * no value, or a hash where a signature is required, is
   * "IMA-signature-required"; a signature the keyring cannot verify (bad,
   * or by a key it does not hold) is "invalid-signature". */
  switch (status)
    {
    case OIMA_VERIFY_VALID:
    case OIMA_VERIFY_WEAK_HASH: /* the kernel accepts it */
      return NULL;
    case OIMA_VERIFY_UNSIGNED:
    case OIMA_VERIFY_DIGEST_ONLY:
    case OIMA_VERIFY_DIGEST_MISMATCH:
      return "IMA-signature-required";
    case OIMA_VERIFY_BAD_SIGNATURE:
    case OIMA_VERIFY_UNKNOWN_KEY:
    case OIMA_VERIFY_BAD_ENCODING:
    case OIMA_VERIFY_N_STATUSES:
    default:
      return "invalid-signature";
    }
}

/* The file's signature verdict, with the digest in its value's algorithm. */
static gboolean
verify_file (Check *check, OimaScanFile *f, OimaVerifyStatus *out_status, char **out_detail,
             GCancellable *cancellable, GError **error)
{
  GVariant *xattrs = oima_scan_file_get_xattrs (f);
  g_autoptr (GBytes) ima = oima_xattrs_lookup (xattrs, OIMA_XATTR_IMA);
  OimaHashAlgo algo = oima_xattr_value_algo (ima, OIMA_HASH_SHA256);
  if (ima && !oima_hash_algo_is_available (algo))
    {
      *out_status = OIMA_VERIFY_BAD_SIGNATURE;
      *out_detail = g_strdup_printf ("hash algorithm %s is not available to verify",
                                     oima_hash_algo_name (algo));
      return TRUE;
    }
  guint8 digest[OIMA_MAX_DIGEST_SIZE];
  gsize digest_len = 0;
  if (ima && !oima_scan_file_digest (f, algo, digest, &digest_len, cancellable, error))
    return FALSE;
  if (!oima_trust_verify_ima_digest (check->options->trust, ima, algo, digest, digest_len,
                                     out_status, out_detail, error))
    return FALSE;
  g_autofree char *problem = oima_xattrs_describe_problem (xattrs);
  if (problem)
    {
      *out_status = OIMA_VERIFY_BAD_ENCODING;
      g_free (*out_detail);
      *out_detail = g_steal_pointer (&problem);
    }
  return TRUE;
}

static OimaDenial *
denial_new (const char *path, const char *hook, const char *cause, const char *detail)
{
  OimaDenial *d = g_new0 (OimaDenial, 1);
  d->path = g_strdup (path);
  d->hook = g_strdup (hook);
  d->cause = g_strdup (cause);
  d->detail = g_strdup (detail);
  return d;
}

static gboolean
check_file (OimaScanFile *f, gpointer user_data, GCancellable *cancellable, GError **error)
{
  Check *check = user_data;
  OimaVerifyStatus status = OIMA_VERIFY_VALID;
  g_autofree char *detail = NULL;
  if (!verify_file (check, f, &status, &detail, cancellable, error))
    return FALSE;
  g_autoptr (GPtrArray) denials = g_ptr_array_new_with_free_func ((GDestroyNotify)denial_free);
  if (check->options->appraise)
    {
      if (!check->options->appraise (f, status, detail, check->options->appraise_data, denials,
                                     cancellable, error))
        return FALSE;
    }
  else
    {
      const char *cause = oima_verify_status_kernel_cause (status);
      if (cause)
        g_ptr_array_add (denials, denial_new (oima_scan_file_get_path (f), NULL, cause, detail));
    }
  g_mutex_lock (&check->lock);
  OimaDeviceReport *r = check->report;
  r->n_files++;
  oima_verdict_counts_add (&r->verdicts, status);
  if (denials->len > 0)
    r->n_denied_files++;
  /* The report takes the denials over. */
  g_ptr_array_set_free_func (denials, NULL);
  for (guint i = 0; i < denials->len; i++)
    g_ptr_array_add (r->denials, denials->pdata[i]);
  g_mutex_unlock (&check->lock);
  return TRUE;
}

static gint
denial_cmp (gconstpointer a, gconstpointer b)
{
  const OimaDenial *da = *(OimaDenial *const *)a, *db = *(OimaDenial *const *)b;
  int r = strcmp (da->path, db->path);
  return r ? r : g_strcmp0 (da->hook, db->hook);
}

static OimaDeviceReport *
report_new (void)
{
  OimaDeviceReport *r = g_new0 (OimaDeviceReport, 1);
  r->denials = g_ptr_array_new_with_free_func ((GDestroyNotify)denial_free);
  return r;
}

static gboolean
finish (Check *check, gboolean ok, OimaDeviceReport **out_report)
{
  g_mutex_clear (&check->lock);
  if (!ok)
    {
      oima_device_report_free (check->report);
      return FALSE;
    }
  g_ptr_array_sort (check->report->denials, denial_cmp);
  *out_report = check->report;
  return TRUE;
}

gboolean
oima_device_check_commit (OstreeRepo *repo, const char *rev, const OimaDeviceCheckOptions *options,
                          OimaDeviceReport **out_report, GCancellable *cancellable, GError **error)
{
  Check check = { options, { 0 }, report_new () };
  g_mutex_init (&check.lock);
  gboolean ok = oima_tree_scan_commit (repo, rev, options->filter, options->n_jobs, check_file,
                                       &check, cancellable, error);
  return finish (&check, ok, out_report);
}

gboolean
oima_device_check_dir (int dfd, const char *relpath, const OimaDeviceCheckOptions *options,
                       OimaDeviceReport **out_report, GCancellable *cancellable, GError **error)
{
  Check check = { options, { 0 }, report_new () };
  g_mutex_init (&check.lock);
  gboolean ok = oima_tree_scan_dir (dfd, relpath, options->filter, options->n_jobs, check_file,
                                    &check, cancellable, error);
  return finish (&check, ok, out_report);
}

char *
oima_device_report_summary (const OimaDeviceReport *report, guint max_listed)
{
  GString *s = g_string_new (NULL);
  g_string_append_printf (s,
                          "%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                          " files would be denied by the device's kernel",
                          report->n_denied_files, report->n_files);
  guint n = MIN (max_listed, report->denials->len);
  for (guint i = 0; i < n; i++)
    {
      OimaDenial *d = report->denials->pdata[i];
      g_string_append_printf (s, "%s %s (%s%s%s)", i == 0 ? ":" : ",", d->path,
                              d->hook ? d->hook : "", d->hook ? ": " : "", d->cause);
    }
  /* With nothing listed, the count above says it all. */
  if (n > 0 && report->denials->len > n)
    g_string_append_printf (s, " and %u more", report->denials->len - n);
  return g_string_free (s, FALSE);
}
