/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What checking one file's integrity value can conclude, and counts of
 * those conclusions over many files.  New kinds of result (EVM, policy)
 * are added before OIMA_VERIFY_N_STATUSES; nothing else bounds the list.
 *
 *   OimaVerdictCounts counts = { 0 };
 *   oima_verdict_counts_add (&counts, OIMA_VERIFY_VALID);
 *   g_autofree char *line = oima_verdict_counts_format (&counts);  // "2 files: 1 valid, 1
 * unsigned"
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  OIMA_VERIFY_VALID,           /* signature v2 by a trusted key over the content */
  OIMA_VERIFY_UNSIGNED,        /* no security.ima */
  OIMA_VERIFY_BAD_SIGNATURE,   /* signature does not match content, or malformed */
  OIMA_VERIFY_UNKNOWN_KEY,     /* signed with a key id that no trusted cert has */
  OIMA_VERIFY_DIGEST_ONLY,     /* a hash (0x01/0x04) that matches the content */
  OIMA_VERIFY_DIGEST_MISMATCH, /* a hash that does not match the content */
  OIMA_VERIFY_BAD_ENCODING,    /* an xattr list ostree cannot check out (see oima-xattrs.h) */
  OIMA_VERIFY_WEAK_HASH,       /* a valid signature over md5, sha1, ... (oima-hash.h) */
  OIMA_VERIFY_N_STATUSES
} OimaVerifyStatus;

/* "valid", "unsigned", "bad-signature", ... */
const char *oima_verify_status_name (OimaVerifyStatus status);

typedef struct
{
  guint64 n_files;
  guint64 n_status[OIMA_VERIFY_N_STATUSES];
} OimaVerdictCounts;

void oima_verdict_counts_add (OimaVerdictCounts *counts, OimaVerifyStatus status);

/* "N files: N valid, N unsigned, ..." (statuses with a zero count left out,
 * but valid). */
char *oima_verdict_counts_format (const OimaVerdictCounts *counts);

G_END_DECLS
