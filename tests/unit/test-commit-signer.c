/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The commit signer against real ostree repositories (archive mode, so the
 * test needs no root), with the verifier as the check.
 */

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "oima-commit-signer.h"
#include "oima-commit-verifier.h"
#include "oima-error.h"
#include "oima-keygen.h"
#include "oima-sig-reuse.h"
#include "oima-sign-cache.h"
#include "oima-xattrs.h"
#include "test-files.h"

typedef struct
{
  char *dir;
  OstreeRepo *repo;
  OimaSigningKey *key;
  OimaSigningKey *other_key;
  OimaTrust *trust;
  OimaTrust *other_trust;
} Fixture;

static OimaSigningKey *
make_key (const char *dir, const char *sub, OimaTrust **out_trust)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *kdir = g_build_filename (dir, sub, NULL);
  OimaKeygenOptions kopts = { OIMA_KEY_TYPE_RSA, 2048, 0, NULL };
  g_assert_true (oima_keygen (kdir, &kopts, NULL, &error));
  g_assert_no_error (error);
  g_autofree char *key_path = g_build_filename (kdir, "ima-key.pem", NULL);
  g_autofree char *cert_path = g_build_filename (kdir, "ima-cert.pem", NULL);
  OimaSigningKey *key = oima_signing_key_load (key_path, NULL, &error);
  g_assert_no_error (error);
  *out_trust = oima_trust_new ();
  g_assert_true (oima_trust_add_path (*out_trust, cert_path, &error));
  return key;
}

/* Optionally plant a garbage security.ima on /usr/bin/bad. */
static GVariant *
xattr_cb (OstreeRepo *repo, const char *path, GFileInfo *info, gpointer user_data)
{
  if (!g_str_equal (path, "/usr/bin/bad"))
    return NULL;
  g_autoptr (GBytes) garbage = g_bytes_new_static ("\x03\x02\x04", 3);
  return oima_xattrs_set (NULL, "security.ima", garbage);
}

static char *
commit_tree (Fixture *f, const char *branch, gboolean with_garbage)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *tree = g_build_filename (f->dir, "tree", NULL);
  g_autofree char *bin = g_build_filename (tree, "usr", "bin", NULL);
  g_assert_cmpint (g_mkdir_with_parents (bin, 0755), ==, 0);
  const char *files[][2] = {
    { "usr/bin/a", "content a\n" },
    { "usr/bin/b", "content b\n" },
    { "usr/bin/same-as-a", "content a\n" },
    { "etc/empty", "" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *p = g_build_filename (tree, files[i][0], NULL);
      g_autofree char *d = g_path_get_dirname (p);
      g_assert_cmpint (g_mkdir_with_parents (d, 0755), ==, 0);
      g_assert_true (g_file_set_contents (p, files[i][1], -1, &error));
    }
  g_autofree char *link = g_build_filename (bin, "link", NULL);
  (void)symlink ("a", link);
  g_autofree char *bad = g_build_filename (bin, "bad", NULL);
  if (with_garbage)
    g_assert_true (g_file_set_contents (bad, "bad\n", -1, &error));
  else
    g_unlink (bad);

  g_autoptr (OstreeRepoCommitModifier) modifier = ostree_repo_commit_modifier_new (
      OSTREE_REPO_COMMIT_MODIFIER_FLAGS_CANONICAL_PERMISSIONS, NULL, NULL, NULL);
  if (with_garbage)
    ostree_repo_commit_modifier_set_xattr_callback (modifier, xattr_cb, NULL, NULL);
  g_assert_true (ostree_repo_prepare_transaction (f->repo, NULL, NULL, &error));
  g_autoptr (OstreeMutableTree) mtree = ostree_mutable_tree_new ();
  g_assert_true (
      ostree_repo_write_dfd_to_mtree (f->repo, AT_FDCWD, tree, mtree, modifier, NULL, &error));
  g_assert_no_error (error);
  g_autoptr (GFile) root = NULL;
  g_assert_true (ostree_repo_write_mtree (f->repo, mtree, &root, NULL, &error));
  g_autoptr (GVariantBuilder) md = g_variant_builder_new (G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (md, "{sv}", "version", g_variant_new_string ("42"));
  const char *binding[] = { branch, NULL };
  g_variant_builder_add (md, "{sv}", OSTREE_COMMIT_META_KEY_REF_BINDING,
                         g_variant_new_strv (binding, -1));
  char *commit = NULL;
  g_assert_true (ostree_repo_write_commit_with_time (
      f->repo, NULL, "the subject", "the body", g_variant_builder_end (md), OSTREE_REPO_FILE (root),
      1700000000, &commit, NULL, &error));
  ostree_repo_transaction_set_ref (f->repo, NULL, branch, commit);
  g_assert_true (ostree_repo_commit_transaction (f->repo, NULL, NULL, &error));
  g_assert_no_error (error);
  return commit;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  f->dir = g_dir_make_tmp ("oima-signer-XXXXXX", &error);
  g_autofree char *repo_path = g_build_filename (f->dir, "repo", NULL);
  g_autoptr (GFile) repo_file = g_file_new_for_path (repo_path);
  f->repo = ostree_repo_new (repo_file);
  g_assert_true (ostree_repo_create (f->repo, OSTREE_REPO_MODE_ARCHIVE, NULL, &error));
  g_assert_no_error (error);
  f->key = make_key (f->dir, "key", &f->trust);
  f->other_key = make_key (f->dir, "other", &f->other_trust);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_object_unref (f->repo);
  oima_signing_key_unref (f->key);
  oima_signing_key_unref (f->other_key);
  oima_trust_unref (f->trust);
  oima_trust_unref (f->other_trust);
  remove_tree (f->dir);
  g_free (f->dir);
}

static OimaCommitVerifyStats
verify (Fixture *f, OimaTrust *trust, const char *rev)
{
  OimaCommitVerifyStats stats = { 0 };
  g_autoptr (GError) error = NULL;
  OimaCommitVerifyOptions opts = { .trust = trust };
  g_assert_true (oima_commit_verify (f->repo, rev, &opts, &stats, NULL, &error));
  g_assert_no_error (error);
  return stats;
}

static char *
resolve (Fixture *f, const char *ref)
{
  char *rev = NULL;
  g_autoptr (GError) error = NULL;
  g_assert_true (ostree_repo_resolve_rev (f->repo, ref, TRUE, &rev, &error));
  return rev;
}

static void
test_sign_keeps_commit (Fixture *f, gconstpointer data)
{
  g_autofree char *src = commit_tree (f, "src", FALSE);
  OimaCommitVerifyStats before = verify (f, f->trust, "src");
  g_assert_cmpuint (before.n_status[OIMA_VERIFY_UNSIGNED], ==, 4);

  OimaCommitSignOptions opts = { .key = f->key, .algo = OIMA_HASH_SHA256, .n_jobs = 2 };
  g_autofree char *signed_commit = NULL;
  OimaCommitSignProgress stats = { 0 };
  g_autoptr (GError) error = NULL;
  g_assert_true (
      oima_commit_sign (f->repo, "src", "signed", &opts, &signed_commit, &stats, NULL, &error));
  g_assert_no_error (error);
  /* a, b, empty; same-as-a shares a's object; the symlink is kept. */
  g_assert_cmpuint (stats.files.files_total, ==, 4);
  g_assert_cmpuint (stats.files.files_changed, ==, 3);
  g_assert_cmpuint (stats.signatures_made, ==, 3);

  OimaCommitVerifyStats after = verify (f, f->trust, "signed");
  g_assert_cmpuint (after.n_files, ==, 4);
  g_assert_cmpuint (after.n_status[OIMA_VERIFY_VALID], ==, 4);
  OimaCommitVerifyStats other = verify (f, f->other_trust, "signed");
  g_assert_cmpuint (other.n_status[OIMA_VERIFY_UNKNOWN_KEY], ==, 4);

  g_autoptr (GVariant) a = NULL;
  g_autoptr (GVariant) b = NULL;
  g_assert_true (ostree_repo_load_commit (f->repo, src, &a, NULL, &error));
  g_assert_true (ostree_repo_load_commit (f->repo, signed_commit, &b, NULL, &error));
  for (gsize i = 0; i < 8; i++)
    {
      g_autoptr (GVariant) ca = g_variant_get_child_value (a, i);
      g_autoptr (GVariant) cb = g_variant_get_child_value (b, i);
      if (i == 0)
        {
          /* Only the target ref is added to the ref binding. */
          g_autofree const char **refs = NULL;
          g_assert_true (g_variant_lookup (cb, OSTREE_COMMIT_META_KEY_REF_BINDING, "^a&s", &refs));
          g_assert_cmpuint (g_strv_length ((char **)refs), ==, 2);
          g_assert_cmpstr (refs[0], ==, "signed");
          g_assert_cmpstr (refs[1], ==, "src");
          g_autofree char *version = NULL;
          g_assert_true (g_variant_lookup (cb, "version", "s", &version));
          g_assert_cmpstr (version, ==, "42");
          g_assert_cmpuint (g_variant_n_children (ca), ==, g_variant_n_children (cb));
        }
      else if (i == 6)
        g_assert_false (g_variant_equal (ca, cb));
      else
        g_assert_true (g_variant_equal (ca, cb));
    }
  g_autofree char *ref = resolve (f, "signed");
  g_assert_cmpstr (ref, ==, signed_commit);

  /* Deterministic: another run, another thread count, no cache. */
  opts.n_jobs = 1;
  opts.no_cache = TRUE;
  g_autofree char *again = NULL;
  g_assert_true (oima_commit_sign (f->repo, "src", "signed", &opts, &again, NULL, NULL, &error));
  g_assert_cmpstr (again, ==, signed_commit);
}

/* Every content object of @rev is stored under its checksum: the rewrite
 * computes new objects' checksums itself, and ostree, given one, trusts it. */
static guint
assert_content_checksums (Fixture *f, const char *rev)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *commit = resolve (f, rev);
  g_autoptr (GHashTable) reachable = NULL;
  g_assert_true (ostree_repo_traverse_commit (f->repo, commit, 0, &reachable, NULL, &error));
  g_assert_no_error (error);
  GHashTableIter it;
  gpointer key;
  guint n = 0;
  g_hash_table_iter_init (&it, reachable);
  while (g_hash_table_iter_next (&it, &key, NULL))
    {
      const char *checksum;
      OstreeObjectType type;
      ostree_object_name_deserialize (key, &checksum, &type);
      if (type != OSTREE_OBJECT_TYPE_FILE)
        continue;
      /* ostree's own check: it checksums the object and compares. */
      g_assert_true (ostree_repo_fsck_object (f->repo, type, checksum, NULL, &error));
      g_assert_no_error (error);
      n++;
    }
  return n;
}

/* Small objects are checksummed from memory, large ones (over 4 MiB)
 * streamed: both are stored under the checksum ostree computes. */
static void
test_object_checksums (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *lib = g_build_filename (f->dir, "tree", "usr", "lib", NULL);
  g_assert_cmpint (g_mkdir_with_parents (lib, 0755), ==, 0);
  gsize big_len = 5 * 1024 * 1024 + 3;
  g_autofree char *big = g_malloc (big_len);
  for (gsize i = 0; i < big_len; i++)
    big[i] = (char)(i * 7 + i / 4096);
  g_autofree char *big_path = g_build_filename (lib, "big", NULL);
  g_assert_true (g_file_set_contents (big_path, big, big_len, &error));
  g_autofree char *src = commit_tree (f, "src", FALSE);

  OimaCommitSignOptions opts = { .key = f->key, .algo = OIMA_HASH_SHA256, .n_jobs = 2 };
  OimaCommitSignProgress stats = { 0 };
  g_assert_true (oima_commit_sign (f->repo, "src", "signed", &opts, NULL, &stats, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.files.files_changed, ==, 4); /* a, b, empty, big */
  /* a, b, empty, big and the symlink's object */
  g_assert_cmpuint (assert_content_checksums (f, "signed"), ==, 5);
  OimaCommitVerifyStats after = verify (f, f->trust, "signed");
  g_assert_cmpuint (after.n_status[OIMA_VERIFY_VALID], ==, 5);
}

static void
test_cache (Fixture *f, gconstpointer data)
{
  g_free (commit_tree (f, "src", FALSE));
  OimaCommitSignOptions opts = { .key = f->key, .algo = OIMA_HASH_SHA256 };
  OimaCommitSignProgress s1 = { 0 }, s2 = { 0 }, s3 = { 0 };
  g_autoptr (GError) error = NULL;
  g_autofree char *c1 = NULL, *c2 = NULL, *c3 = NULL;
  g_assert_true (oima_commit_sign (f->repo, "src", "signed", &opts, &c1, &s1, NULL, &error));
  g_assert_true (oima_commit_sign (f->repo, "src", "signed", &opts, &c2, &s2, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (s1.files.files_cached, ==, 0);
  g_assert_cmpuint (s2.files.files_cached, ==, 3);
  g_assert_cmpuint (s2.signatures_made, ==, 0);
  g_assert_cmpstr (c1, ==, c2);
  /* A damaged cache is no reason to fail, nor to trust it. */
  g_autofree char *cache_dir
      = g_build_filename (f->dir, "repo", "extensions", "ostree-ima", "sign-cache", NULL);
  g_autoptr (GDir) d = g_dir_open (cache_dir, 0, &error);
  g_assert_no_error (error);
  const char *name = g_dir_read_name (d);
  g_assert_nonnull (name);
  g_autofree char *cache_file = g_build_filename (cache_dir, name, NULL);
  const char *damaged[] = { "", "garbage\n", "ostree-ima sign-cache v1\nshort line\n" };
  for (gsize i = 0; i < G_N_ELEMENTS (damaged); i++)
    {
      g_assert_true (g_file_set_contents (cache_file, damaged[i], -1, &error));
      OimaCommitSignProgress sd = { 0 };
      g_autofree char *cd = NULL;
      g_assert_true (oima_commit_sign (f->repo, "src", "signed", &opts, &cd, &sd, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (sd.files.files_cached, ==, 0);
      g_assert_cmpstr (cd, ==, c1);
    }

  /* Another algorithm is another cache. */
  opts.algo = OIMA_HASH_SHA512;
  g_assert_true (oima_commit_sign (f->repo, "src", "signed", &opts, &c3, &s3, NULL, &error));
  g_assert_cmpuint (s3.files.files_cached, ==, 0);
  g_assert_cmpstr (c1, !=, c3);
}

static void
test_overwrite (Fixture *f, gconstpointer data)
{
  g_free (commit_tree (f, "src", FALSE));
  g_autoptr (GError) error = NULL;
  OimaCommitSignOptions opts = { .key = f->key, .algo = OIMA_HASH_SHA256 };
  g_assert_true (oima_commit_sign (f->repo, "src", "by-key", &opts, NULL, NULL, NULL, &error));

  OimaCommitSignOptions other = { .key = f->other_key, .algo = OIMA_HASH_SHA256 };
  OimaCommitSignProgress stats = { 0 };
  g_assert_true (oima_commit_sign (f->repo, "by-key", "kept", &other, NULL, &stats, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.files.files_changed, ==, 0);
  g_assert_cmpuint (verify (f, f->trust, "kept").n_status[OIMA_VERIFY_VALID], ==, 4);

  other.overwrite = TRUE;
  g_assert_true (
      oima_commit_sign (f->repo, "by-key", "replaced", &other, NULL, &stats, NULL, &error));
  g_assert_cmpuint (stats.files.files_changed, ==, 3);
  g_assert_cmpuint (verify (f, f->other_trust, "replaced").n_status[OIMA_VERIFY_VALID], ==, 4);
}

static void
test_filter (Fixture *f, gconstpointer data)
{
  g_free (commit_tree (f, "src", FALSE));
  g_autoptr (GError) error = NULL;
  const char *inc[] = { "/usr/*", NULL };
  const char *exc[] = { "/usr/bin/b", NULL };
  g_autoptr (OimaPathFilter) filter = oima_path_filter_new (inc, exc, &error);
  OimaCommitSignOptions opts = { .key = f->key, .algo = OIMA_HASH_SHA256, .filter = filter };
  g_assert_true (oima_commit_sign (f->repo, "src", "filtered", &opts, NULL, NULL, NULL, &error));
  OimaCommitVerifyStats v = verify (f, f->trust, "filtered");
  /* a and same-as-a signed; b and /etc/empty not. */
  g_assert_cmpuint (v.n_status[OIMA_VERIFY_VALID], ==, 2);
  g_assert_cmpuint (v.n_status[OIMA_VERIFY_UNSIGNED], ==, 2);

  const char *relative[] = { "usr/*", NULL };
  g_assert_null (oima_path_filter_new (relative, NULL, &error));
  g_assert_nonnull (strstr (error->message, "is not an absolute path"));
}

static void
test_errors_leave_refs (Fixture *f, gconstpointer data)
{
  g_free (commit_tree (f, "src", TRUE));
  g_autoptr (GError) error = NULL;
  OimaCommitSignOptions opts = { .key = f->key, .algo = OIMA_HASH_SHA256 };

  g_assert_false (oima_commit_sign (f->repo, "src", "target", &opts, NULL, NULL, NULL, &error));
  g_assert_error (error, OIMA_ERROR, OIMA_ERROR_EXISTING_VALUE);
  g_assert_nonnull (strstr (error->message, "Invalid security.ima"));
  g_autofree char *t1 = resolve (f, "target");
  g_assert_null (t1);
  g_clear_error (&error);

  g_assert_false (
      oima_commit_sign (f->repo, "nosuchref", "target", &opts, NULL, NULL, NULL, &error));
  g_assert_nonnull (strstr (error->message, "nosuchref"));
  g_clear_error (&error);

  /* Cancelled before it starts: nothing moves. */
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_cancellable_cancel (cancellable);
  opts.overwrite = TRUE;
  g_assert_false (
      oima_commit_sign (f->repo, "src", "target", &opts, NULL, NULL, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_autofree char *t2 = resolve (f, "target");
  g_assert_null (t2);
  g_clear_error (&error);

  /* --overwrite replaces the garbage. */
  g_assert_true (oima_commit_sign (f->repo, "src", "target", &opts, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (verify (f, f->trust, "target").n_status[OIMA_VERIFY_VALID], ==, 5);
}

static GVariant *
detached_with (const char *key, const char *value, const char *key2, const char *value2)
{
  g_autoptr (GVariantDict) d = g_variant_dict_new (NULL);
  g_variant_dict_insert (d, key, "s", value);
  if (key2)
    g_variant_dict_insert (d, key2, "s", value2);
  return g_variant_ref_sink (g_variant_dict_end (d));
}

static void
test_detached_metadata (Fixture *f, gconstpointer data)
{
  g_autofree char *src = commit_tree (f, "src", FALSE);
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) md = detached_with ("ostree.sign.dummy", "sig-over-src", "custom", "kept");
  g_assert_true (ostree_repo_write_commit_detached_metadata (f->repo, src, md, NULL, &error));

  OimaCommitSignOptions opts = { .key = f->key, .algo = OIMA_HASH_SHA256 };
  OimaCommitSignProgress stats = { 0 };
  g_autofree char *signed_commit = NULL;
  g_assert_true (
      oima_commit_sign (f->repo, "src", "signed", &opts, &signed_commit, &stats, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.files.commit_signatures_dropped, ==, 1);
  g_autoptr (GVariant) got = NULL;
  g_assert_true (
      ostree_repo_read_commit_detached_metadata (f->repo, signed_commit, &got, NULL, &error));
  g_assert_nonnull (got);
  g_autofree char *custom = NULL;
  g_assert_true (g_variant_lookup (got, "custom", "s", &custom));
  g_assert_cmpstr (custom, ==, "kept");
  g_assert_false (g_variant_lookup (got, "ostree.sign.dummy", "s", NULL));

  /* Someone signs the new commit; running again yields the same commit
   * and must not drop that signature. */
  g_autoptr (GVariant) with_sig
      = detached_with ("ostree.sign.dummy", "sig-over-signed", "custom", "kept");
  g_assert_true (
      ostree_repo_write_commit_detached_metadata (f->repo, signed_commit, with_sig, NULL, &error));
  g_autofree char *again = NULL;
  g_assert_true (oima_commit_sign (f->repo, "src", "signed", &opts, &again, NULL, NULL, &error));
  g_assert_cmpstr (again, ==, signed_commit);
  g_autoptr (GVariant) got2 = NULL;
  g_assert_true (
      ostree_repo_read_commit_detached_metadata (f->repo, signed_commit, &got2, NULL, &error));
  g_autofree char *sig = NULL;
  g_assert_true (g_variant_lookup (got2, "ostree.sign.dummy", "s", &sig));
  g_assert_cmpstr (sig, ==, "sig-over-signed");

  /* Signing a fully signed commit to its own ref binding changes nothing:
   * the source's own signatures stay. */
  g_autofree char *same = NULL;
  g_assert_true (oima_commit_sign (f->repo, "signed", "signed", &opts, &same, NULL, NULL, &error));
  g_assert_cmpstr (same, ==, signed_commit);
  g_autoptr (GVariant) got3 = NULL;
  g_assert_true (
      ostree_repo_read_commit_detached_metadata (f->repo, signed_commit, &got3, NULL, &error));
  g_assert_true (g_variant_equal (got2, got3));
}

static void
sha256_of (const char *content, guint8 out[32])
{
  gsize len = 32;
  g_autoptr (GChecksum) c = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (c, (const guchar *)content, strlen (content));
  g_checksum_get_digest (c, out, &len);
}

/* The content object and security.ima of @path in @rev. */
static char *
object_at (Fixture *f, const char *rev, const char *path, GBytes **out_ima)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) root = NULL;
  g_assert_true (ostree_repo_read_commit (f->repo, rev, &root, NULL, NULL, &error));
  g_autoptr (GFile) file = g_file_resolve_relative_path (root, path + 1);
  g_assert_true (ostree_repo_file_ensure_resolved (OSTREE_REPO_FILE (file), &error));
  g_assert_no_error (error);
  char *checksum = g_strdup (ostree_repo_file_get_checksum (OSTREE_REPO_FILE (file)));
  if (out_ima)
    {
      g_autoptr (GVariant) xattrs = NULL;
      g_assert_true (ostree_repo_load_file (f->repo, checksum, NULL, NULL, &xattrs, NULL, &error));
      *out_ima = oima_xattrs_lookup (xattrs, OIMA_XATTR_IMA);
    }
  return checksum;
}

/* "src" signed into "signed" (with or without the signing cache): the
 * sha256 of /usr/bin/a and of /usr/bin/b, and /usr/bin/a's security.ima. */
static GBytes *
sign_for_reuse (Fixture *f, gboolean no_cache, guint8 da[32], guint8 db[32])
{
  g_free (commit_tree (f, "src", FALSE));
  OimaCommitSignOptions opts = { .key = f->key, .algo = OIMA_HASH_SHA256, .no_cache = no_cache };
  g_autoptr (GError) error = NULL;
  g_assert_true (oima_commit_sign (f->repo, "src", "signed", &opts, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  sha256_of ("content a\n", da);
  sha256_of ("content b\n", db);
  GBytes *ima_a = NULL;
  g_free (object_at (f, "signed", "/usr/bin/a", &ima_a));
  return ima_a;
}

/* Reuse by path: only this key's signature over the same content. */
static void
test_reuse_by_path (Fixture *f, gconstpointer data)
{
  guint8 da[32], db[32];
  g_autoptr (GBytes) ima_a = sign_for_reuse (f, TRUE, da, db);
  g_autoptr (GError) error = NULL;

  g_autoptr (OimaSigReuse) reuse = oima_sig_reuse_new (f->key, OIMA_HASH_SHA256);
  gboolean found = TRUE;
  g_assert_true (oima_sig_reuse_add_ref (reuse, f->repo, "no-such-ref", &found, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (found);
  g_assert_true (oima_sig_reuse_add_ref (reuse, f->repo, "signed", &found, NULL, &error));
  g_assert_true (found);
  g_autoptr (GBytes) got = oima_sig_reuse_find (reuse, "/usr/bin/a", NULL, da, 32);
  g_assert_nonnull (got);
  g_assert_true (g_bytes_equal (got, ima_a));
  /* Another content at that path, another path, no path. */
  g_assert_null (oima_sig_reuse_find (reuse, "/usr/bin/a", NULL, db, 32));
  g_assert_null (oima_sig_reuse_find (reuse, "/usr/bin/nope", NULL, da, 32));
  g_assert_null (oima_sig_reuse_find (reuse, NULL, NULL, da, 32));
  g_assert_cmpuint (oima_sig_reuse_get_n_reused (reuse), ==, 1);

  /* Another key never reuses this key's values. */
  g_autoptr (OimaSigReuse) other = oima_sig_reuse_new (f->other_key, OIMA_HASH_SHA256);
  g_assert_true (oima_sig_reuse_add_ref (other, f->repo, "signed", &found, NULL, &error));
  g_assert_null (oima_sig_reuse_find (other, "/usr/bin/a", NULL, da, 32));
  /* Nor another hash algorithm. */
  g_autoptr (OimaSigReuse) sha512 = oima_sig_reuse_new (f->key, OIMA_HASH_SHA512);
  g_assert_true (oima_sig_reuse_add_commit (sha512, f->repo, "signed", NULL, &error));
  g_assert_null (oima_sig_reuse_find (sha512, "/usr/bin/a", NULL, da, 32));
}

/* Reuse by source object: the signed object the signing cache names. */
static void
test_reuse_by_source (Fixture *f, gconstpointer data)
{
  guint8 da[32], db[32];
  g_autoptr (GBytes) ima_a = sign_for_reuse (f, FALSE, da, db);
  g_autofree char *src_a = object_at (f, "src", "/usr/bin/a", NULL);

  g_autoptr (OimaSigReuse) reuse = oima_sig_reuse_new (f->key, OIMA_HASH_SHA256);
  g_autoptr (OimaSignCache) cache = oima_sign_cache_load (f->repo, f->key, OIMA_HASH_SHA256);
  oima_sig_reuse_set_cache (reuse, f->repo, cache);
  /* Any path, or none: the source object decides. */
  g_autoptr (GBytes) got = oima_sig_reuse_find (reuse, "/elsewhere", src_a, da, 32);
  g_assert_nonnull (got);
  g_assert_true (g_bytes_equal (got, ima_a));
  g_assert_null (oima_sig_reuse_find (reuse, NULL, src_a, db, 32));
  g_assert_null (oima_sig_reuse_find (
      reuse, NULL, "0000000000000000000000000000000000000000000000000000000000000000", da, 32));
  g_assert_cmpuint (oima_sig_reuse_get_n_reused (reuse), ==, 1);
  /* Content signed before its source was known: the cached value, unless
   * it is the one made. */
  g_autoptr (GBytes) made_elsewhere = g_bytes_new_static ("\x03\x02", 2);
  g_autoptr (GBytes) better = oima_sig_reuse_find_cached (reuse, src_a, made_elsewhere, da, 32);
  g_assert_nonnull (better);
  g_assert_true (g_bytes_equal (better, ima_a));
  g_assert_null (oima_sig_reuse_find_cached (reuse, src_a, ima_a, da, 32));
  g_assert_null (oima_sig_reuse_find_cached (reuse, src_a, made_elsewhere, db, 32));
  g_assert_null (oima_sig_reuse_find_cached (NULL, src_a, made_elsewhere, da, 32));
  g_assert_cmpuint (oima_sig_reuse_get_n_reused (reuse), ==, 2);

  /* The other key's cache knows nothing of it. */
  g_autoptr (OimaSigReuse) other = oima_sig_reuse_new (f->other_key, OIMA_HASH_SHA256);
  g_autoptr (OimaSignCache) other_cache
      = oima_sign_cache_load (f->repo, f->other_key, OIMA_HASH_SHA256);
  oima_sig_reuse_set_cache (other, f->repo, other_cache);
  g_assert_null (oima_sig_reuse_find (other, NULL, src_a, da, 32));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/signer/keeps-commit", Fixture, NULL, fixture_setup, test_sign_keeps_commit,
              fixture_teardown);
  g_test_add ("/signer/object-checksums", Fixture, NULL, fixture_setup, test_object_checksums,
              fixture_teardown);
  g_test_add ("/signer/cache", Fixture, NULL, fixture_setup, test_cache, fixture_teardown);
  g_test_add ("/signer/reuse-by-path", Fixture, NULL, fixture_setup, test_reuse_by_path,
              fixture_teardown);
  g_test_add ("/signer/reuse-by-source", Fixture, NULL, fixture_setup, test_reuse_by_source,
              fixture_teardown);
  g_test_add ("/signer/overwrite", Fixture, NULL, fixture_setup, test_overwrite, fixture_teardown);
  g_test_add ("/signer/filter", Fixture, NULL, fixture_setup, test_filter, fixture_teardown);
  g_test_add ("/signer/detached-metadata", Fixture, NULL, fixture_setup, test_detached_metadata,
              fixture_teardown);
  g_test_add ("/signer/errors-leave-refs", Fixture, NULL, fixture_setup, test_errors_leave_refs,
              fixture_teardown);
  return g_test_run ();
}
