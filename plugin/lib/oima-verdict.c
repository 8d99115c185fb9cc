/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "oima-verdict.h"

static const char *const status_names[OIMA_VERIFY_N_STATUSES] = {
  [OIMA_VERIFY_VALID] = "valid",
  [OIMA_VERIFY_UNSIGNED] = "unsigned",
  [OIMA_VERIFY_BAD_SIGNATURE] = "bad-signature",
  [OIMA_VERIFY_UNKNOWN_KEY] = "unknown-key",
  [OIMA_VERIFY_DIGEST_ONLY] = "digest-only",
  [OIMA_VERIFY_DIGEST_MISMATCH] = "digest-mismatch",
  [OIMA_VERIFY_BAD_ENCODING] = "bad-encoding",
  [OIMA_VERIFY_WEAK_HASH] = "weak-hash",
};

const char *
oima_verify_status_name (OimaVerifyStatus status)
{
  if ((guint)status >= OIMA_VERIFY_N_STATUSES || status_names[status] == NULL)
    return "unknown";
  return status_names[status];
}

void
oima_verdict_counts_add (OimaVerdictCounts *counts, OimaVerifyStatus status)
{
  g_return_if_fail ((guint)status < OIMA_VERIFY_N_STATUSES);
  counts->n_files++;
  counts->n_status[status]++;
}

char *
oima_verdict_counts_format (const OimaVerdictCounts *counts)
{
  GString *s = g_string_new (NULL);
  g_string_append_printf (s, "%" G_GUINT64_FORMAT " files: %" G_GUINT64_FORMAT " valid",
                          counts->n_files, counts->n_status[OIMA_VERIFY_VALID]);
  for (guint i = 0; i < OIMA_VERIFY_N_STATUSES; i++)
    if (i != OIMA_VERIFY_VALID && counts->n_status[i] > 0)
      g_string_append_printf (s, ", %" G_GUINT64_FORMAT " %s", counts->n_status[i],
                              oima_verify_status_name (i));
  return g_string_free (s, FALSE);
}
