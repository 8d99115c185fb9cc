/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/rand.h>

#include "oima-key-loader.h"
#include "oima-keygen.h"
#include "oima-signing-key.h"
#include "oima-util.h"

static EVP_PKEY *
generate_pkey (const OimaKeygenOptions *opts, GError **error)
{
  EVP_PKEY *pkey = NULL;
  switch (opts->type)
    {
    case OIMA_KEY_TYPE_RSA:
      {
        guint bits = opts->rsa_bits ? opts->rsa_bits : 3072;
        if (bits != 2048 && bits != 3072 && bits != 4096)
          return oima_null_throw (error,
                                  "RSA key size %u: the kernel verifies 2048, 3072 or "
                                  "4096 bits",
                                  bits);
        pkey = EVP_PKEY_Q_keygen (NULL, NULL, "RSA", (size_t)bits);
        break;
      }
    case OIMA_KEY_TYPE_EC_P256:
      pkey = EVP_PKEY_Q_keygen (NULL, NULL, "EC", "P-256");
      break;
    case OIMA_KEY_TYPE_EC_P384:
      pkey = EVP_PKEY_Q_keygen (NULL, NULL, "EC", "P-384");
      break;
    }
  if (pkey == NULL)
    return oima_null_throw_openssl (error, "Generating key");
  return pkey;
}

static gboolean
add_ext (X509 *cert, X509V3_CTX *ctx, int nid, const char *value, GError **error)
{
  g_autoptr (X509_EXTENSION) ext = X509V3_EXT_conf_nid (NULL, ctx, nid, value);
  if (ext == NULL || !X509_add_ext (cert, ext, -1))
    return oima_throw_openssl (error, "Adding certificate extension %s", OBJ_nid2sn (nid));
  return TRUE;
}

static X509 *
make_cert (EVP_PKEY *pkey, const OimaKeygenOptions *opts, GError **error)
{
  g_autoptr (X509) cert = X509_new ();
  if (cert == NULL || !X509_set_version (cert, 2))
    return oima_null_throw_openssl (error, "Creating certificate");
  guint8 serial_bytes[16];
  if (RAND_bytes (serial_bytes, sizeof serial_bytes) != 1)
    return oima_null_throw_openssl (error, "Random serial number");
  serial_bytes[0] &= 0x7f;
  BIGNUM *bn = BN_bin2bn (serial_bytes, sizeof serial_bytes, NULL);
  gboolean serial_ok = bn && BN_to_ASN1_INTEGER (bn, X509_get_serialNumber (cert)) != NULL;
  BN_free (bn);
  if (!serial_ok)
    return oima_null_throw_openssl (error, "Setting serial number");

  guint days = opts->days ? opts->days : 3650;
  if (!X509_gmtime_adj (X509_getm_notBefore (cert), 0)
      || !X509_time_adj_ex (X509_getm_notAfter (cert), (int)days, 0, NULL))
    return oima_null_throw_openssl (error, "Setting validity");

  X509_NAME *name = X509_get_subject_name (cert);
  const char *cn = opts->subject ? opts->subject : "ostree-ima signing key";
  if (!X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0)
      || !X509_set_issuer_name (cert, name) || !X509_set_pubkey (cert, pkey))
    return oima_null_throw_openssl (error, "Setting subject");

  X509V3_CTX ctx;
  X509V3_set_ctx_nodb (&ctx);
  X509V3_set_ctx (&ctx, cert, cert, NULL, NULL, 0);
  if (!add_ext (cert, &ctx, NID_basic_constraints, "critical,CA:FALSE", error)
      || !add_ext (cert, &ctx, NID_key_usage, "critical,digitalSignature", error)
      || !add_ext (cert, &ctx, NID_subject_key_identifier, "hash", error)
      || !add_ext (cert, &ctx, NID_authority_key_identifier, "keyid:always", error))
    return NULL;

  if (X509_sign (cert, pkey,
                 EVP_PKEY_is_a (pkey, "RSA") || EVP_PKEY_is_a (pkey, "EC") ? EVP_sha256 () : NULL)
      <= 0)
    return oima_null_throw_openssl (error, "Self-signing certificate");
  return g_steal_pointer (&cert);
}

/* Write @len bytes atomically to @dir/@name with @mode. */
static gboolean
write_file (const char *dir, const char *name, const void *data, gsize len, mode_t mode,
            GError **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *tmp = g_strconcat (path, ".XXXXXX", NULL);
  int fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, mode);
  if (fd < 0)
    return oima_throw_errno (error, path);
  gboolean ok = fchmod (fd, mode) == 0;
  const guint8 *p = data;
  gsize left = len;
  while (ok && left > 0)
    {
      ssize_t n = write (fd, p, left);
      if (n < 0 && errno == EINTR)
        continue;
      ok = n > 0;
      p += n > 0 ? n : 0;
      left -= n > 0 ? n : 0;
    }
  ok = ok && fsync (fd) == 0;
  int errsv = errno;
  close (fd);
  if (!ok || rename (tmp, path) < 0)
    {
      errsv = ok ? errno : errsv;
      unlink (tmp);
      errno = errsv;
      return oima_throw_errno (error, path);
    }
  return TRUE;
}

static GBytes *
bio_contents (BIO *bio)
{
  char *data = NULL;
  long len = BIO_get_mem_data (bio, &data);
  return g_bytes_new (data, len);
}

gboolean
oima_keygen (const char *dir, const OimaKeygenOptions *options, guint32 *out_keyid, GError **error)
{
  g_autofree char *key_path = g_build_filename (dir, "ima-key.pem", NULL);
  if (g_mkdir_with_parents (dir, 0755) < 0)
    return oima_throw_errno (error, dir);
  if (g_file_test (key_path, G_FILE_TEST_EXISTS))
    return oima_throw (error, "%s already exists: refusing to overwrite a signing key", key_path);

  g_autoptr (EVP_PKEY) pkey = generate_pkey (options, error);
  if (pkey == NULL)
    return FALSE;
  g_autoptr (X509) cert = make_cert (pkey, options, error);
  if (cert == NULL)
    return FALSE;

  g_autoptr (BIO) key_bio = BIO_new (BIO_s_secmem ());
  g_autoptr (BIO) pem_bio = BIO_new (BIO_s_mem ());
  g_autoptr (BIO) der_bio = BIO_new (BIO_s_mem ());
  if (!key_bio || !pem_bio || !der_bio
      || !PEM_write_bio_PrivateKey (key_bio, pkey, NULL, NULL, 0, NULL, NULL)
      || !PEM_write_bio_X509 (pem_bio, cert) || !i2d_X509_bio (der_bio, cert))
    return oima_throw_openssl (error, "Encoding key and certificate");

  g_autoptr (GBytes) cert_pem = bio_contents (pem_bio);
  g_autoptr (GBytes) cert_der = bio_contents (der_bio);
  gsize len;
  const void *data;
  /* Certificates first: a half-written result never has a key without cert. */
  data = g_bytes_get_data (cert_pem, &len);
  if (!write_file (dir, "ima-cert.pem", data, len, 0644, error))
    return FALSE;
  data = g_bytes_get_data (cert_der, &len);
  if (!write_file (dir, "ima-cert.der", data, len, 0644, error))
    return FALSE;
  /* Straight from the secure-memory BIO, which wipes it when freed. */
  char *key_data = NULL;
  long key_len = BIO_get_mem_data (key_bio, &key_data);
  if (!write_file (dir, "ima-key.pem", key_data, key_len, 0600, error))
    return FALSE;

  if (out_keyid && !oima_cert_skid_keyid (cert, out_keyid))
    return oima_throw (error, "Generated certificate lacks a subjectKeyIdentifier");
  return TRUE;
}
