/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>
#include <openssl/pem.h>
#include <unistd.h>

#include "oima-keygen.h"
#include "oima-signing-key.h"
#include "oima-trust.h"

typedef struct
{
  char *dir;
  char *key_path;
  char *cert_path;
  OimaSigningKey *key;
  OimaTrust *trust;
  guint32 keyid;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  const OimaKeygenOptions *kopts = data;
  g_autoptr (GError) error = NULL;
  f->dir = g_dir_make_tmp ("oima-test-XXXXXX", &error);
  g_assert_no_error (error);
  g_assert_true (oima_keygen (f->dir, kopts, &f->keyid, &error));
  g_assert_no_error (error);
  f->key_path = g_build_filename (f->dir, "ima-key.pem", NULL);
  f->cert_path = g_build_filename (f->dir, "ima-cert.der", NULL);
  f->key = oima_signing_key_load (f->key_path, NULL, &error);
  g_assert_no_error (error);
  f->trust = oima_trust_new ();
  g_assert_true (oima_trust_add_path (f->trust, f->cert_path, &error));
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  oima_signing_key_unref (f->key);
  oima_trust_unref (f->trust);
  g_autofree char *pem = g_build_filename (f->dir, "ima-cert.pem", NULL);
  g_unlink (f->key_path);
  g_unlink (f->cert_path);
  g_unlink (pem);
  g_rmdir (f->dir);
  g_free (f->key_path);
  g_free (f->cert_path);
  g_free (f->dir);
}

static void
test_keygen_files (Fixture *f, gconstpointer data)
{
  struct stat st;
  g_assert_cmpint (stat (f->key_path, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 07777, ==, 0600);
  /* The computed key id equals the SKID tail (subjectKeyIdentifier=hash). */
  g_assert_cmphex (oima_signing_key_get_keyid (f->key), ==, f->keyid);
  g_autoptr (GError) error = NULL;
  g_autofree char *pem = g_build_filename (f->dir, "ima-cert.pem", NULL);
  g_assert_true (oima_signing_key_use_cert (f->key, pem, &error));
  g_assert_no_error (error);
  g_assert_cmphex (oima_signing_key_get_keyid (f->key), ==, f->keyid);
  /* Refuses to overwrite. */
  OimaKeygenOptions kopts = { OIMA_KEY_TYPE_EC_P256, 0, 0, NULL };
  g_assert_false (oima_keygen (f->dir, &kopts, NULL, &error));
  g_assert_nonnull (strstr (error->message, "refusing to overwrite"));
}

static void
check_verify (Fixture *f, GBytes *ima, const char *content, OimaVerifyStatus expected)
{
  g_autoptr (GInputStream) in
      = g_memory_input_stream_new_from_data (content, strlen (content), NULL);
  OimaVerifyStatus status;
  g_autofree char *detail = NULL;
  g_autoptr (GError) error = NULL;
  g_assert_true (oima_trust_verify_ima (f->trust, ima, in, &status, &detail, NULL, &error));
  g_assert_no_error (error);
  if (status != expected)
    g_error ("expected %s, got %s (%s)", oima_verify_status_name (expected),
             oima_verify_status_name (status), detail ? detail : "");
}

static GBytes *
sign_content (OimaSigningKey *key, OimaHashAlgo algo, const char *content)
{
  guint8 digest[OIMA_MAX_DIGEST_SIZE];
  gsize len = 0;
  g_autoptr (GError) error = NULL;
  g_assert_true (oima_hash_buffer (algo, content, strlen (content), digest, &len, &error));
  GBytes *ima
      = oima_signing_key_sign_xattr (key, OIMA_XATTR_TYPE_DIGSIG, algo, digest, len, &error);
  g_assert_no_error (error);
  return ima;
}

static void
test_sign_and_verify (Fixture *f, gconstpointer data)
{
  OimaHashAlgo algos[] = { OIMA_HASH_SHA256, OIMA_HASH_SHA384, OIMA_HASH_SHA512, OIMA_HASH_SHA1 };
  for (gsize i = 0; i < G_N_ELEMENTS (algos); i++)
    {
      g_autoptr (GBytes) ima = sign_content (f->key, algos[i], "hello world\n");
      check_verify (f, ima, "hello world\n", OIMA_VERIFY_VALID);
      check_verify (f, ima, "hello world!", OIMA_VERIFY_BAD_SIGNATURE);
    }
  check_verify (f, NULL, "x", OIMA_VERIFY_UNSIGNED);

  /* Same signature, key id nobody trusts. */
  g_autoptr (GError) error = NULL;
  g_assert_true (oima_signing_key_set_keyid_hex (f->key, "0x12345678", &error));
  g_autoptr (GBytes) other = sign_content (f->key, OIMA_HASH_SHA256, "abc");
  check_verify (f, other, "abc", OIMA_VERIFY_UNKNOWN_KEY);
  g_assert_false (oima_signing_key_set_keyid_hex (f->key, "xyz", &error));
  g_assert_nonnull (strstr (error->message, "Invalid key id"));
}

typedef struct
{
  OimaSigningKey *key;
  GBytes *result;
} SignThread;

static gpointer
sign_thread (gpointer data)
{
  SignThread *t = data;
  for (int i = 0; i < 20; i++)
    {
      g_autoptr (GBytes) ima = sign_content (t->key, OIMA_HASH_SHA256, "same content");
      if (t->result == NULL)
        t->result = g_bytes_ref (ima);
      else
        g_assert_true (g_bytes_equal (t->result, ima));
    }
  return NULL;
}

/* RSA PKCS#1 v1.5 is deterministic: threads sharing one key must all get
 * the identical value. */
static void
test_threads (Fixture *f, gconstpointer data)
{
  SignThread threads[8] = { 0 };
  GThread *handles[8];
  for (int i = 0; i < 8; i++)
    {
      threads[i].key = f->key;
      handles[i] = g_thread_new ("sign", sign_thread, &threads[i]);
    }
  for (int i = 0; i < 8; i++)
    g_thread_join (handles[i]);
  for (int i = 1; i < 8; i++)
    g_assert_true (g_bytes_equal (threads[0].result, threads[i].result));
  for (int i = 0; i < 8; i++)
    g_bytes_unref (threads[i].result);
}

static void
test_cert_mismatch (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("oima-test-XXXXXX", &error);
  OimaKeygenOptions kopts = { OIMA_KEY_TYPE_EC_P256, 0, 0, NULL };
  g_assert_true (oima_keygen (dir, &kopts, NULL, &error));
  g_autofree char *other_cert = g_build_filename (dir, "ima-cert.pem", NULL);
  guint32 before = oima_signing_key_get_keyid (f->key);
  g_assert_false (oima_signing_key_use_cert (f->key, other_cert, &error));
  g_assert_nonnull (strstr (error->message, "does not match the signing key"));
  g_assert_cmphex (oima_signing_key_get_keyid (f->key), ==, before);
  g_autofree char *k = g_build_filename (dir, "ima-key.pem", NULL);
  g_autofree char *d = g_build_filename (dir, "ima-cert.der", NULL);
  g_unlink (k);
  g_unlink (d);
  g_unlink (other_cert);
  g_rmdir (dir);
}

static void
assert_key_rejected (EVP_PKEY *pkey, const char *fragment)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  int fd = g_file_open_tmp ("oima-key-XXXXXX.pem", &path, &error);
  g_assert_cmpint (fd, >=, 0);
  close (fd);
  FILE *f = fopen (path, "w");
  g_assert_true (PEM_write_PrivateKey (f, pkey, NULL, NULL, 0, NULL, NULL));
  fclose (f);
  g_assert_null (oima_signing_key_load (path, NULL, &error));
  if (strstr (error->message, fragment) == NULL)
    g_error ("expected '%s' in '%s'", fragment, error->message);
  g_unlink (path);
  EVP_PKEY_free (pkey);
}

/* Keys the kernel cannot verify are refused up front. */
static void
test_unsupported_keys (void)
{
  assert_key_rejected (
      EVP_PKEY_Q_keygen (NULL, NULL, "RSA", (size_t)1024),
      "Unsupported key RSA-1024: the kernel verifies RSA keys of 2048, 3072 or 4096 bits");
  assert_key_rejected (EVP_PKEY_Q_keygen (NULL, NULL, "RSA", (size_t)2560),
                       "Unsupported key RSA-2560");
  assert_key_rejected (
      EVP_PKEY_Q_keygen (NULL, NULL, "EC", "secp256k1"),
      "Unsupported key EC-secp256k1: the kernel verifies ECDSA on NIST P-256 and P-384 only");
  assert_key_rejected (EVP_PKEY_Q_keygen (NULL, NULL, "ED25519"), "Unsupported key type ED25519");
}

static void
test_load_errors (void)
{
  g_autoptr (GError) error = NULL;
  g_assert_null (oima_signing_key_load ("/nonexistent/key.pem", NULL, &error));
  g_assert_nonnull (strstr (error->message, "Private key /nonexistent/key.pem: No such file"));
  g_clear_error (&error);
  g_assert_null (oima_signing_key_load ("/etc/hostname", NULL, &error));
  g_assert_nonnull (strstr (error->message, "No private key found in /etc/hostname"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  static const OimaKeygenOptions rsa = { OIMA_KEY_TYPE_RSA, 2048, 0, NULL };
  static const OimaKeygenOptions ec = { OIMA_KEY_TYPE_EC_P256, 0, 0, NULL };
  static const OimaKeygenOptions ec384 = { OIMA_KEY_TYPE_EC_P384, 0, 0, NULL };
  g_test_add ("/key/rsa/keygen", Fixture, &rsa, fixture_setup, test_keygen_files, fixture_teardown);
  g_test_add ("/key/rsa/sign-verify", Fixture, &rsa, fixture_setup, test_sign_and_verify,
              fixture_teardown);
  g_test_add ("/key/rsa/threads", Fixture, &rsa, fixture_setup, test_threads, fixture_teardown);
  g_test_add ("/key/rsa/cert-mismatch", Fixture, &rsa, fixture_setup, test_cert_mismatch,
              fixture_teardown);
  g_test_add ("/key/ec-p256/keygen", Fixture, &ec, fixture_setup, test_keygen_files,
              fixture_teardown);
  g_test_add ("/key/ec-p256/sign-verify", Fixture, &ec, fixture_setup, test_sign_and_verify,
              fixture_teardown);
  g_test_add ("/key/ec-p384/sign-verify", Fixture, &ec384, fixture_setup, test_sign_and_verify,
              fixture_teardown);
  g_test_add_func ("/key/load-errors", test_load_errors);
  g_test_add_func ("/key/unsupported", test_unsupported_keys);
  return g_test_run ();
}
