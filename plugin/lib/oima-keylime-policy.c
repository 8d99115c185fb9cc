/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The format is Keylime's (keylime/ima/ima.py: EMPTY_RUNTIME_POLICY and
 * RUNTIME_POLICY_SCHEMA; keylime/ima/file_signatures.py: ImaKeyring), as
 * of Keylime 7.14; tests/data/keylime holds the schema the tests check
 * against.
 */

#include <string.h>

#include "oima-key-loader.h"
#include "oima-keylime-policy.h"
#include "oima-tree-scan.h"
#include "oima-tree-walk.h"
#include "oima-util.h"

/* meta.version: RUNTIME_POLICY_CURRENT_VERSION. */
#define KEYLIME_POLICY_VERSION 1
/* meta.generator: RUNTIME_POLICY_GENERATOR.LegacyAllowList, what Keylime's
 * own `keylime-policy create runtime` writes; the verifier reports an agent
 * as having a runtime policy only for a generator above EmptyAllowList. */
#define KEYLIME_POLICY_GENERATOR 3

typedef struct
{
  const OimaKeylimePolicyOptions *options;
  char *prefix;       /* "" or "/dir" (no trailing slash) */
  GPtrArray *exclude; /* GRegex: immutable, so shared by the workers */
  GMutex lock;
  GTree *digests; /* path -> GPtrArray of lowercase hex digests, under @lock */
} Policy;

static void
policy_clear (Policy *p)
{
  g_free (p->prefix);
  g_clear_pointer (&p->exclude, g_ptr_array_unref);
  g_clear_pointer (&p->digests, g_tree_unref);
  g_mutex_clear (&p->lock);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Policy, policy_clear)

static gint
compare_paths (gconstpointer a, gconstpointer b, gpointer user_data)
{
  return strcmp (a, b);
}

static void
policy_init (Policy *p, const OimaKeylimePolicyOptions *options)
{
  p->options = options;
  p->exclude = g_ptr_array_new_with_free_func ((GDestroyNotify)g_regex_unref);
  g_mutex_init (&p->lock);
  p->digests = g_tree_new_full (compare_paths, NULL, g_free, (GDestroyNotify)g_ptr_array_unref);
}

/* The digest patterns of Keylime's schema take 40 to 128 hex digits, and its
 * tools know these four. */
static gboolean
is_policy_algo (OimaHashAlgo algo)
{
  switch (algo)
    {
    case OIMA_HASH_SHA1:
    case OIMA_HASH_SHA256:
    case OIMA_HASH_SHA384:
    case OIMA_HASH_SHA512:
      return oima_hash_algo_is_available (algo);
    default:
      return FALSE;
    }
}

#define POLICY_ALGOS "sha1, sha256, sha384 or sha512"

gboolean
oima_keylime_policy_algo_from_name (const char *name, OimaHashAlgo *out_algo, GError **error)
{
  OimaHashAlgo algo = OIMA_HASH_SHA256;
  if (!oima_hash_algo_from_name (name, &algo, NULL) || !is_policy_algo (algo))
    return oima_throw (error,
                       "Hash algorithm '%s' cannot be used in a Keylime runtime policy "
                       "(" POLICY_ALGOS ")",
                       name);
  *out_algo = algo;
  return TRUE;
}

static gboolean
set_prefix (Policy *p, const char *prefix, GError **error)
{
  if (prefix == NULL || *prefix == '\0')
    {
      p->prefix = g_strdup ("");
      return TRUE;
    }
  if (prefix[0] != '/')
    return oima_throw (error, "The path prefix '%s' is not absolute", prefix);
  /* Drops "//", "." and a trailing slash: "/" becomes no prefix. */
  g_autofree char *canon = g_canonicalize_filename (prefix, "/");
  p->prefix = g_strdup (strcmp (canon, "/") == 0 ? "" : canon);
  return TRUE;
}

/* Keylime joins the excludes into one Python regex and re.match()es it:
 * anchored at the start of the path, not at its end.  GRegex (PCRE) reads
 * the usual Python syntax the same way. */
static gboolean
compile_excludes (Policy *p, const char *const *excludes, GError **error)
{
  for (const char *const *e = excludes; e && *e; e++)
    {
      g_autoptr (GError) local_error = NULL;
      GRegex *re = g_regex_new (*e, G_REGEX_ANCHORED, 0, &local_error);
      if (re == NULL)
        return oima_throw (error, "Invalid exclude pattern: %s", local_error->message);
      g_ptr_array_add (p->exclude, re);
    }
  return TRUE;
}

/* ------------------------------------------------------------ keyring */

typedef struct
{
  guint32 keyid;
  GBytes *spki; /* DER SubjectPublicKeyInfo */
  char *source;
} KeyringKey;

static void
keyring_key_clear (gpointer data)
{
  KeyringKey *k = data;
  g_bytes_unref (k->spki);
  g_free (k->source);
}

/* Add @cert's key to @keys, once; Keylime keeps one key per key id. */
static gboolean
keyring_add_cert (GArray *keys, X509 *cert, const char *source, GError **error)
{
  guint32 keyid = 0;
  if (!oima_cert_skid_keyid (cert, &keyid))
    return oima_throw (error,
                       "Certificate %s has no subjectKeyIdentifier: the kernel could not find "
                       "its key by the key id IMA signatures carry",
                       source);
  EVP_PKEY *pkey = X509_get0_pubkey (cert);
  if (pkey == NULL)
    return oima_throw_openssl (error, "Certificate %s: cannot read its public key", source);
  if (!EVP_PKEY_is_a (pkey, "RSA") && !EVP_PKEY_is_a (pkey, "EC"))
    return oima_throw (error, "Certificate %s: Keylime verifies only RSA and ECDSA keys, not %s",
                       source, EVP_PKEY_get0_type_name (pkey));
  unsigned char *der = NULL;
  int len = i2d_PUBKEY (pkey, &der);
  if (len <= 0)
    return oima_throw_openssl (error, "Certificate %s: cannot encode its public key", source);
  g_autoptr (GBytes) spki = g_bytes_new (der, len);
  OPENSSL_free (der);

  for (guint i = 0; i < keys->len; i++)
    {
      KeyringKey *k = &g_array_index (keys, KeyringKey, i);
      if (k->keyid != keyid)
        continue;
      if (g_bytes_equal (k->spki, spki))
        return TRUE;
      return oima_throw (error,
                         "Certificates %s and %s have different keys with one IMA key id "
                         "%08x: Keylime keeps one key per key id",
                         k->source, source, keyid);
    }
  KeyringKey k = { keyid, g_steal_pointer (&spki), g_strdup (source) };
  g_array_append_val (keys, k);
  return TRUE;
}

/* "verification-keys": what ImaKeyring.to_string() writes, a JSON object
 * {"pubkeys": [base64 DER SubjectPublicKeyInfo...], "keyids": [u32...]} as
 * a string; "" (Keylime's empty policy) without certificates. */
static char *
keyring_json (const char *const *certs, GError **error)
{
  if (certs == NULL || certs[0] == NULL)
    return g_strdup ("");
  g_autoptr (GArray) keys = g_array_new (FALSE, TRUE, sizeof (KeyringKey));
  g_array_set_clear_func (keys, keyring_key_clear);
  for (const char *const *c = certs; *c; c++)
    {
      g_autoptr (GPtrArray) files = oima_key_loader_cert_files (*c, error);
      if (files == NULL)
        return NULL;
      for (guint f = 0; f < files->len; f++)
        {
          const char *file = files->pdata[f];
          g_autoptr (GPtrArray) loaded = oima_key_loader_load_certs (file, error);
          if (loaded == NULL)
            return NULL;
          for (guint i = 0; i < loaded->len; i++)
            if (!keyring_add_cert (keys, loaded->pdata[i], file, error))
              return NULL;
        }
    }
  g_autoptr (GString) out = g_string_new ("{\"pubkeys\": [");
  for (guint i = 0; i < keys->len; i++)
    {
      KeyringKey *k = &g_array_index (keys, KeyringKey, i);
      gsize len = 0;
      const guchar *der = g_bytes_get_data (k->spki, &len);
      g_autofree char *b64 = g_base64_encode (der, len);
      g_string_append_printf (out, "%s\"%s\"", i ? ", " : "", b64);
    }
  g_string_append (out, "], \"keyids\": [");
  for (guint i = 0; i < keys->len; i++)
    g_string_append_printf (out, "%s%u", i ? ", " : "",
                            (unsigned)g_array_index (keys, KeyringKey, i).keyid);
  g_string_append (out, "]}");
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* ------------------------------------------------------------ digests */

/* Add @path under the prefix to @names unless an exclude matches it. */
static void
add_name (Policy *p, GPtrArray *names, const char *path)
{
  /* Stock ostree refuses file names that are not UTF-8, but a commit
   * written through the API may hold them.  A JSON string cannot carry
   * them: each invalid byte becomes U+FFFD, so such a file is listed under
   * a name that is not quite its own (and Keylime will not find it). */
  g_autofree char *raw = g_strconcat (p->prefix, path, NULL);
  g_autofree char *name = g_utf8_make_valid (raw, -1);
  for (guint i = 0; i < p->exclude->len; i++)
    if (g_regex_match (p->exclude->pdata[i], name, 0, NULL))
      return;
  g_ptr_array_add (names, g_steal_pointer (&name));
}

static void
record_digest (Policy *p, char *name, const char *hex)
{
  GPtrArray *list = g_tree_lookup (p->digests, name);
  if (list == NULL)
    {
      list = g_ptr_array_new_with_free_func (g_free);
      g_tree_insert (p->digests, name, list);
    }
  else
    g_free (name);
  for (guint i = 0; i < list->len; i++)
    if (strcmp (list->pdata[i], hex) == 0)
      return;
  /* A second digest: a commit with both /etc/X and /usr/etc/X (ostree
   * refuses to deploy it).  Sorted, for output that does not depend on
   * which worker came first. */
  g_ptr_array_add (list, g_strdup (hex));
  g_ptr_array_sort (list, oima_strcmp_p);
}

/* Worker: one regular file of the commit. */
static gboolean
hash_file (OimaScanFile *file, gpointer user_data, GCancellable *cancellable, GError **error)
{
  Policy *p = user_data;
  const char *path = oima_scan_file_get_path (file);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  add_name (p, names, path);
  /* ostree deploys /usr/etc as /etc: the device measures it there. */
  if (g_str_has_prefix (path, "/usr/etc/"))
    add_name (p, names, path + strlen ("/usr"));
  if (names->len == 0)
    return TRUE;

  guint8 digest[OIMA_MAX_DIGEST_SIZE];
  gsize len = 0;
  if (!oima_scan_file_digest (file, p->options->algo, digest, &len, cancellable, error))
    return FALSE;
  g_autofree char *hex = oima_hex_encode (digest, len);
  g_mutex_lock (&p->lock);
  for (guint i = 0; i < names->len; i++)
    record_digest (p, g_steal_pointer (&names->pdata[i]), hex);
  g_mutex_unlock (&p->lock);
  return TRUE;
}

/* ------------------------------------------------------------ output */

static gboolean
append_digest_entry (gpointer key, gpointer value, gpointer user_data)
{
  GString *out = user_data;
  GPtrArray *list = value;
  g_string_append (out, out->str[out->len - 1] == '{' ? "\n    " : ",\n    ");
  oima_json_append_string (out, key);
  g_string_append (out, ": [");
  for (guint i = 0; i < list->len; i++)
    g_string_append_printf (out, "%s\"%s\"", i ? ", " : "", (const char *)list->pdata[i]);
  g_string_append_c (out, ']');
  return FALSE;
}

/* One digest entry a line, in path order: the same commit gives the same
 * policy, and two policies diff well. */
static char *
format_policy (Policy *p, const char *keyring)
{
  g_autoptr (GString) out = g_string_new (NULL);
  g_string_append_printf (out,
                          "{\n  \"meta\": {\"version\": %d, \"generator\": %d},\n"
                          "  \"release\": 0,\n  \"digests\": {",
                          KEYLIME_POLICY_VERSION, KEYLIME_POLICY_GENERATOR);
  g_tree_foreach (p->digests, append_digest_entry, out);
  g_string_append (out, g_tree_nnodes (p->digests) ? "\n  },\n" : "},\n");
  g_string_append (out, "  \"excludes\": [");
  for (const char *const *e = p->options->excludes; e && *e; e++)
    {
      if (e != p->options->excludes)
        g_string_append (out, ", ");
      oima_json_append_string (out, *e);
    }
  /* The rest as in Keylime's empty policy: log_hash_alg is the template
   * hash (sha1 in every kernel so far), not the file digests'. */
  g_string_append (out, "],\n  \"keyrings\": {},\n"
                        "  \"ima\": {\"ignored_keyrings\": [], \"log_hash_alg\": \"sha1\", "
                        "\"dm_policy\": null},\n"
                        "  \"ima-buf\": {},\n  \"verification-keys\": ");
  oima_json_append_string (out, keyring);
  g_string_append (out, "\n}\n");
  return g_string_free (g_steal_pointer (&out), FALSE);
}

char *
oima_keylime_policy_build (OstreeRepo *repo, const char *rev,
                           const OimaKeylimePolicyOptions *options, GCancellable *cancellable,
                           GError **error)
{
  g_return_val_if_fail (options != NULL, NULL);
  if (!is_policy_algo (options->algo))
    return oima_null_throw (error,
                            "Hash algorithm %s cannot be used in a Keylime runtime policy "
                            "(" POLICY_ALGOS ")",
                            oima_hash_algo_name (options->algo));
  g_auto (Policy) p = { 0 };
  policy_init (&p, options);
  if (!set_prefix (&p, options->prefix, error) || !compile_excludes (&p, options->excludes, error))
    return NULL;
  g_autofree char *keyring = keyring_json (options->certs, error);
  if (keyring == NULL)
    return NULL;

  g_autofree char *commit = NULL;
  if (!oima_resolve_commit (repo, rev, &commit, NULL, NULL, error)
      || !oima_tree_scan_commit (repo, commit, NULL, options->n_jobs, hash_file, &p, cancellable,
                                 error))
    return NULL;
  return format_policy (&p, keyring);
}
