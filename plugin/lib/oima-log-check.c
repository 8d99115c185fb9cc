/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <string.h>

#include "oima-fsverity.h"
#include "oima-log-check.h"
#include "oima-tree-walk.h"
#include "oima-util.h"

static const char *const verdict_names[OIMA_LOG_N_VERDICTS] = {
  [OIMA_LOG_MATCH] = "match",
  [OIMA_LOG_NOT_A_FILE] = "not-a-file",
  [OIMA_LOG_CONTENT_DIFFERS] = "content-differs",
  [OIMA_LOG_UNKNOWN_FILE] = "unknown-file",
  [OIMA_LOG_BAD_SIGNATURE] = "bad-signature",
  [OIMA_LOG_UNTRUSTED_KEY] = "untrusted-key",
  [OIMA_LOG_UNSIGNED] = "unsigned",
  [OIMA_LOG_BAD_TEMPLATE_HASH] = "bad-template-hash",
  [OIMA_LOG_VIOLATION] = "violation",
  [OIMA_LOG_UNVERIFIABLE] = "unverifiable",
};

const char *
oima_log_verdict_name (OimaLogVerdict verdict)
{
  return (guint)verdict < OIMA_LOG_N_VERDICTS ? verdict_names[verdict] : "unknown";
}

gboolean
oima_log_verdict_is_ok (OimaLogVerdict verdict)
{
  return verdict == OIMA_LOG_MATCH || verdict == OIMA_LOG_NOT_A_FILE;
}

typedef struct
{
  OstreeRepo *repo;
  GHashTable *files;   /* commit path -> content checksum (every non-directory) */
  GHashTable *digests; /* "CHECKSUM/ALGO/TYPE" -> GBytes digest, or GBytes "" for a symlink */
  guint64 n_hashed;
} Index;

static gboolean
index_file (const char *path, const char *checksum, gpointer user_data, GError **error)
{
  Index *index = user_data;
  g_hash_table_replace (index->files, g_strdup (path), g_strdup (checksum));
  return TRUE;
}

/* The digest of the commit's object @checksum as the log computed it; an
 * empty GBytes when it is not a regular file. */
static GBytes *
commit_digest (Index *index, const char *checksum, OimaHashAlgo algo, OimaMeasureDigestType type,
               GCancellable *cancellable, GError **error)
{
  g_autofree char *key = g_strdup_printf ("%s/%u/%u", checksum, algo, type);
  GBytes *cached = g_hash_table_lookup (index->digests, key);
  if (cached)
    return g_bytes_ref (cached);

  g_autoptr (GInputStream) in = NULL;
  g_autoptr (GFileInfo) info = NULL;
  if (!ostree_repo_load_file (index->repo, checksum, &in, &info, NULL, cancellable, error))
    return NULL;
  g_autoptr (GBytes) digest = NULL;
  if (g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
    digest = g_bytes_new (NULL, 0);
  else
    {
      guint8 buf[OIMA_MAX_DIGEST_SIZE];
      gsize len = 0;
      gboolean ok = type == OIMA_MEASURE_DIGEST_TYPE_VERITY
                        ? oima_fsverity_digest_stream (algo, in, buf, &len, cancellable, error)
                        : oima_hash_stream (algo, in, buf, &len, cancellable, error);
      if (!ok)
        {
          oima_prefix_error (error, "Content object %s", checksum);
          return NULL;
        }
      digest = g_bytes_new (buf, len);
      index->n_hashed++;
    }
  g_hash_table_insert (index->digests, g_steal_pointer (&key), g_bytes_ref (digest));
  return g_steal_pointer (&digest);
}

/* The measured path without the deployment's location, or NULL if the
 * path lies outside @prefix. */
static const char *
strip_location (const char *path, const char *prefix)
{
  if (prefix != NULL)
    {
      gsize n = strlen (prefix);
      while (n > 0 && prefix[n - 1] == '/')
        n--;
      if (n == 0)
        return path;
      if (strncmp (path, prefix, n) != 0 || path[n] != '/')
        return NULL;
      return path + n;
    }
  /* [/sysroot]/ostree/deploy/OS/deploy/CHECKSUM.N/... */
  const char *p = path;
  if (g_str_has_prefix (p, "/sysroot/"))
    p += strlen ("/sysroot");
  if (!g_str_has_prefix (p, "/ostree/deploy/"))
    return path;
  p += strlen ("/ostree/deploy/");
  const char *os_end = strchr (p, '/');
  if (os_end == NULL || os_end == p || !g_str_has_prefix (os_end, "/deploy/"))
    return path;
  const char *dep = os_end + strlen ("/deploy/");
  const char *dep_end = strchr (dep, '/');
  if (dep_end == NULL)
    return path;
  const char *dot = memchr (dep, '.', dep_end - dep);
  if (dot == NULL || dot == dep || dot + 1 == dep_end)
    return path;
  for (const char *q = dot + 1; q < dep_end; q++)
    if (!g_ascii_isdigit (*q))
      return path;
  return dep_end;
}

/* The commit path and checksum for a deployed @path, or NULL. */
static const char *
lookup (Index *index, const char *path, char **out_commit_path, gboolean *out_config)
{
  *out_config = FALSE;
  const char *checksum = g_hash_table_lookup (index->files, path);
  if (checksum)
    {
      *out_commit_path = g_strdup (path);
      return checksum;
    }
  if (g_str_has_prefix (path, "/etc/"))
    {
      g_autofree char *usr_etc = g_strconcat ("/usr", path, NULL);
      checksum = g_hash_table_lookup (index->files, usr_etc);
      if (checksum)
        {
          *out_config = TRUE;
          *out_commit_path = g_steal_pointer (&usr_etc);
          return checksum;
        }
    }
  *out_commit_path = g_strdup (path);
  return NULL;
}

/* The logged signature against the logged digest: MATCH when it verifies
 * (or is a hash of that digest), else the verdict and @out_detail. */
static OimaLogVerdict
check_signature (OimaTrust *trust, const OimaMeasureEntry *e, char **out_detail)
{
  gsize len = 0;
  if (e->sig == NULL || (g_bytes_get_data (e->sig, &len), len == 0))
    {
      *out_detail = g_strdup ("no signature in the log (the file has no security.ima)");
      return OIMA_LOG_UNSIGNED;
    }
  OimaXattrValue v;
  g_autoptr (GError) local_error = NULL;
  if (!oima_measure_entry_decode_sig (e, &v, &local_error))
    {
      *out_detail = g_strdup (local_error->message);
      return OIMA_LOG_BAD_SIGNATURE;
    }
  gboolean sigv3 = v.type == OIMA_XATTR_TYPE_IMA_VERITY_DIGSIG;
  if (sigv3 != (e->digest_type == OIMA_MEASURE_DIGEST_TYPE_VERITY))
    {
      /* The kernel verifies a sigv3 only over a verity digest and a v2
       * signature only over a file hash. */
      *out_detail = g_strdup (sigv3 ? "an fs-verity signature (sigv3) logged with a file hash"
                                    : "a file signature logged with an fs-verity digest");
      return OIMA_LOG_BAD_SIGNATURE;
    }
  if (v.algo != e->digest_algo)
    {
      *out_detail
          = g_strdup_printf ("the signature is over a %s digest, the log holds %s",
                             oima_hash_algo_name (v.algo), oima_hash_algo_name (e->digest_algo));
      return OIMA_LOG_BAD_SIGNATURE;
    }
  gsize digest_len = 0;
  const guint8 *digest = g_bytes_get_data (e->digest, &digest_len);
  OimaVerifyStatus status;
  g_autofree char *detail = NULL;
  if (sigv3)
    {
      guint8 signed_digest[OIMA_MAX_DIGEST_SIZE];
      gsize signed_len = 0;
      if (!oima_fsverity_sigv3_digest (v.algo, digest, digest_len, signed_digest, &signed_len,
                                       &local_error))
        {
          *out_detail = g_strdup (local_error->message);
          return OIMA_LOG_BAD_SIGNATURE;
        }
      oima_trust_verify_signature (trust, &v, signed_digest, signed_len, &status, &detail);
    }
  else if (!oima_trust_verify_ima_digest (trust, e->sig, e->digest_algo, digest, digest_len,
                                          &status, &detail, &local_error))
    {
      *out_detail = g_strdup (local_error->message);
      return OIMA_LOG_BAD_SIGNATURE;
    }
  switch (status)
    {
    case OIMA_VERIFY_VALID:
    case OIMA_VERIFY_DIGEST_ONLY:
      return OIMA_LOG_MATCH;
    case OIMA_VERIFY_UNKNOWN_KEY:
      *out_detail = g_steal_pointer (&detail);
      return OIMA_LOG_UNTRUSTED_KEY;
    case OIMA_VERIFY_UNSIGNED:
      *out_detail = g_steal_pointer (&detail);
      return OIMA_LOG_UNSIGNED;
    default:
      *out_detail
          = detail ? g_steal_pointer (&detail) : g_strdup (oima_verify_status_name (status));
      return OIMA_LOG_BAD_SIGNATURE;
    }
}

static gboolean
is_boot_aggregate (const OimaMeasureEntry *e)
{
  return e->path != NULL && strcmp (e->path, "boot_aggregate") == 0;
}

/* The verdict on one entry; @out_detail and @out_commit_path filled. */
static gboolean
judge (Index *index, const OimaLogCheckOptions *options, const OimaMeasureEntry *e,
       OimaLogVerdict *out_verdict, char **out_detail, char **out_commit_path, gboolean *out_config,
       GCancellable *cancellable, GError **error)
{
  *out_config = FALSE;
  if (e->template_hash_checked && !e->template_hash_ok)
    {
      g_autofree char *hex = oima_measure_entry_template_hash_hex (e);
      *out_verdict = OIMA_LOG_BAD_TEMPLATE_HASH;
      *out_detail = g_strdup_printf ("template hash %s does not match the entry's data", hex);
      return TRUE;
    }
  if (!e->template_known)
    {
      *out_verdict = OIMA_LOG_UNVERIFIABLE;
      *out_detail = g_strdup_printf ("unknown template '%s'", e->template_name);
      return TRUE;
    }
  if (is_boot_aggregate (e))
    {
      *out_verdict = OIMA_LOG_NOT_A_FILE;
      *out_detail = g_strdup ("boot aggregate (PCRs 0-9 at boot)");
      return TRUE;
    }
  if (e->buf != NULL || !e->has_digest || e->path == NULL)
    {
      *out_verdict = OIMA_LOG_NOT_A_FILE;
      *out_detail = g_strdup (e->buf != NULL ? "measured buffer" : "no file digest or name");
      return TRUE;
    }

  const char *rel = strip_location (e->path, options->prefix);
  if (rel == NULL)
    {
      *out_verdict = OIMA_LOG_UNKNOWN_FILE;
      *out_detail
          = g_strdup_printf ("outside %s, where the deployment was mounted", options->prefix);
      return TRUE;
    }
  const char *checksum = lookup (index, rel, out_commit_path, out_config);
  if (e->violation)
    {
      *out_verdict = OIMA_LOG_VIOLATION;
      *out_detail = g_strdup ("the kernel could not measure the file (open for write, or "
                              "read while being written): its content is unknown");
      return TRUE;
    }
  if (!e->digest_algo_known || !oima_hash_algo_is_available (e->digest_algo)
      || (e->digest_type == OIMA_MEASURE_DIGEST_TYPE_VERITY && e->digest_algo != OIMA_HASH_SHA256
          && e->digest_algo != OIMA_HASH_SHA512))
    {
      *out_verdict = OIMA_LOG_UNVERIFIABLE;
      *out_detail
          = g_strdup_printf ("%s%s digests cannot be computed here",
                             e->digest_type == OIMA_MEASURE_DIGEST_TYPE_VERITY ? "fs-verity " : "",
                             e->digest_algo_name ? e->digest_algo_name : "?");
      return TRUE;
    }
  if (checksum == NULL)
    {
      *out_verdict = OIMA_LOG_UNKNOWN_FILE;
      *out_detail = g_strdup_printf ("not in the commit%s",
                                     g_str_has_prefix (rel, "/etc/") ? " (nor in /usr/etc)" : "");
      return TRUE;
    }

  g_autoptr (GBytes) expected
      = commit_digest (index, checksum, e->digest_algo, e->digest_type, cancellable, error);
  if (expected == NULL)
    return FALSE;
  if (g_bytes_get_size (expected) == 0)
    {
      *out_verdict = OIMA_LOG_CONTENT_DIFFERS;
      *out_detail = g_strdup_printf ("%s is not a regular file in the commit", *out_commit_path);
      return TRUE;
    }
  g_autofree char *sig_detail = NULL;
  OimaLogVerdict sig_verdict = options->trust && oima_measure_entry_get_field (e, "sig") != NULL
                                   ? check_signature (options->trust, e, &sig_detail)
                                   : OIMA_LOG_MATCH;
  if (!g_bytes_equal (expected, e->digest))
    {
      g_autofree char *want
          = oima_hex_encode (g_bytes_get_data (expected, NULL), g_bytes_get_size (expected));
      g_autofree char *got
          = oima_hex_encode (g_bytes_get_data (e->digest, NULL), g_bytes_get_size (e->digest));
      *out_verdict = OIMA_LOG_CONTENT_DIFFERS;
      *out_detail
          = g_strdup_printf ("%s%s %s, the commit's %s has %s%s%s",
                             e->digest_type == OIMA_MEASURE_DIGEST_TYPE_VERITY ? "verity " : "",
                             oima_hash_algo_name (e->digest_algo), got, *out_commit_path, want,
                             sig_detail ? "; " : "", sig_detail ? sig_detail : "");
      return TRUE;
    }
  *out_verdict = sig_verdict;
  *out_detail = sig_detail ? g_steal_pointer (&sig_detail)
                           : g_strdup_printf ("%s of the commit%s", *out_commit_path,
                                              *out_config ? " (configuration)" : "");
  return TRUE;
}

gboolean
oima_log_check (OstreeRepo *repo, const char *rev, GInputStream *log,
                const OimaLogCheckOptions *options, OimaLogCheckStats *out_stats,
                GCancellable *cancellable, GError **error)
{
  g_autofree char *commit = NULL;
  g_autofree char *root_tree = NULL;
  if (!oima_resolve_commit (repo, rev, &commit, NULL, &root_tree, error))
    return FALSE;
  g_autoptr (GHashTable) files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GHashTable) digests
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_bytes_unref);
  Index index = { .repo = repo, .files = files, .digests = digests };
  if (!oima_tree_walk (repo, root_tree, index_file, &index, cancellable, error))
    return FALSE;

  g_autoptr (OimaMeasureLogReader) reader
      = oima_measure_log_reader_new (log, OIMA_MEASURE_LOG_AUTO, OIMA_MEASURE_BANK_AUTO);
  OimaLogCheckStats stats = { 0 };
  for (;;)
    {
      g_autoptr (OimaMeasureEntry) e = NULL;
      if (!oima_measure_log_reader_next (reader, &e, cancellable, error))
        return FALSE;
      if (e == NULL)
        break;
      if (options->replay)
        oima_pcr_replay_extend (options->replay, e);
      OimaLogVerdict verdict = OIMA_LOG_MATCH;
      g_autofree char *detail = NULL;
      g_autofree char *commit_path = NULL;
      gboolean config = FALSE;
      if (!judge (&index, options, e, &verdict, &detail, &commit_path, &config, cancellable, error))
        return FALSE;
      stats.n_entries++;
      stats.n_verdicts[verdict]++;
      if (options->func)
        {
          OimaLogFinding f = { .entry = e,
                               .verdict = verdict,
                               .commit_path = verdict == OIMA_LOG_NOT_A_FILE ? NULL : commit_path,
                               .config = config,
                               .detail = detail };
          options->func (&f, options->user_data);
        }
    }
  stats.n_hashed = index.n_hashed;
  stats.format = oima_measure_log_reader_get_format (reader);
  stats.bank = oima_measure_log_reader_get_bank (reader);
  if (out_stats)
    *out_stats = stats;
  return TRUE;
}

guint64
oima_log_check_stats_n_unaccounted (const OimaLogCheckStats *stats)
{
  guint64 n = 0;
  for (guint v = 0; v < OIMA_LOG_N_VERDICTS; v++)
    if (!oima_log_verdict_is_ok (v))
      n += stats->n_verdicts[v];
  return n;
}

gboolean
oima_log_check_stats_ok (const OimaLogCheckStats *stats)
{
  return oima_log_check_stats_n_unaccounted (stats) == 0;
}

char *
oima_log_check_stats_format (const OimaLogCheckStats *stats)
{
  g_autoptr (GString) s = g_string_new (NULL);
  g_string_append_printf (s,
                          "%" G_GUINT64_FORMAT " entries: %" G_GUINT64_FORMAT " match the commit",
                          stats->n_entries, stats->n_verdicts[OIMA_LOG_MATCH]);
  for (guint v = 0; v < OIMA_LOG_N_VERDICTS; v++)
    if (v != OIMA_LOG_MATCH && stats->n_verdicts[v] > 0)
      g_string_append_printf (s, ", %" G_GUINT64_FORMAT " %s", stats->n_verdicts[v],
                              oima_log_verdict_name (v));
  return g_string_free (g_steal_pointer (&s), FALSE);
}
