/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/pem.h>
#include <openssl/store.h>
#include <openssl/ui.h>

#include "oima-key-engine.h"
#include "oima-key-loader.h"
#include "oima-util.h"

typedef struct
{
  const char *passphrase;
  gboolean asked;
} PassphraseRequest;

/* pem_password_cb: hands out the passphrase we were given, and remembers
 * that one was needed so errors can say so. */
static int
passphrase_cb (char *buf, int size, int rwflag, void *userdata)
{
  PassphraseRequest *req = userdata;
  req->asked = TRUE;
  if (req->passphrase == NULL)
    return -1;
  size_t len = strlen (req->passphrase);
  if (len > (size_t)size)
    return -1;
  memcpy (buf, req->passphrase, len);
  return (int)len;
}

static gboolean
is_uri (const char *key)
{
  /* "scheme:..." where scheme is letters (not a path like ./a:b or C:) */
  const char *colon = strchr (key, ':');
  if (colon == NULL || colon - key < 2)
    return FALSE;
  for (const char *p = key; p < colon; p++)
    if (!g_ascii_isalnum (*p) && *p != '+' && *p != '-' && *p != '.')
      return FALSE;
  return TRUE;
}

static gboolean
check_readable_file (const char *what, const char *path, struct stat *out_st, GError **error)
{
  struct stat st_local;
  struct stat *st_p = out_st ? out_st : &st_local;
  if (stat (path, st_p) < 0)
    {
      int errsv = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "%s %s: %s", what, path,
                   g_strerror (errsv));
      return FALSE;
    }
  if (!S_ISREG (st_p->st_mode))
    return oima_throw (error, "%s %s: not a regular file", what, path);
  return TRUE;
}

static EVP_PKEY *
load_from_store (const char *uri, const char *display, const char *passphrase,
                 gboolean *out_encrypted, GError **error)
{
  PassphraseRequest req = { passphrase, FALSE };
  UI_METHOD *ui = UI_UTIL_wrap_read_pem_callback (passphrase_cb, 0);
  if (ui == NULL)
    return oima_null_throw_openssl (error, "Creating passphrase callback");

  EVP_PKEY *pkey = NULL;
  g_autoptr (OSSL_STORE_CTX) store
      = OSSL_STORE_open_ex (uri, NULL, NULL, ui, &req, NULL, NULL, NULL);
  if (store != NULL)
    {
      OSSL_STORE_expect (store, OSSL_STORE_INFO_PKEY);
      while (pkey == NULL && !OSSL_STORE_eof (store))
        {
          g_autoptr (OSSL_STORE_INFO) info = OSSL_STORE_load (store);
          if (info == NULL)
            {
              if (OSSL_STORE_error (store))
                break;
              continue;
            }
          if (OSSL_STORE_INFO_get_type (info) == OSSL_STORE_INFO_PKEY)
            pkey = OSSL_STORE_INFO_get1_PKEY (info);
        }
    }
  UI_destroy_method (ui);

  if (out_encrypted)
    *out_encrypted = req.asked;
  if (pkey != NULL)
    {
      ERR_clear_error ();
      return pkey;
    }
  if (req.asked && passphrase == NULL)
    {
      ERR_clear_error ();
      return oima_throw_code (error, OIMA_ERROR_PASSPHRASE_NEEDED,
                              "Private key %s is encrypted and no passphrase was given", display),
             NULL;
    }
  if (req.asked)
    {
      ERR_clear_error ();
      return oima_throw_code (error, OIMA_ERROR_PASSPHRASE_WRONG,
                              "Cannot decrypt private key %s: wrong passphrase", display),
             NULL;
    }
  return oima_null_throw_openssl (error, "No private key found in %s", display);
}

EVP_PKEY *
oima_key_loader_load_private (const char *key, const char *passphrase, gboolean refuse_insecure,
                              gboolean *out_from_token, GError **error)
{
  *out_from_token = FALSE;
  if (key == NULL || *key == '\0')
    return oima_throw_code (error, OIMA_ERROR_NO_KEY, "No signing key given"), NULL;

  if (g_str_has_prefix (key, "pkcs11:"))
    {
      /* The key name is on command lines; the PIN must not be. */
      if (strstr (key, "pin-value=") != NULL)
        return oima_throw_code (error, OIMA_ERROR_SECRET_IN_URI,
                                "The PKCS#11 URI carries pin-value: a PIN must not be part of "
                                "a key name"),
               NULL;
      *out_from_token = TRUE;
      return oima_key_engine_load_pkcs11 (key, passphrase, error);
    }
  if (is_uri (key) && !g_file_test (key, G_FILE_TEST_EXISTS))
    {
      /* Any other scheme an OpenSSL provider registered (file:, ...).  Do
       * not echo the URI: it may carry a PIN. */
      return load_from_store (key, "(store URI)", passphrase, NULL, error);
    }

  struct stat st;
  if (!check_readable_file ("Private key", key, &st, error))
    return NULL;
  g_autofree char *abs = g_canonicalize_filename (key, NULL);
  g_autofree char *uri = g_strconcat ("file:", abs, NULL);
  gboolean encrypted = FALSE;
  EVP_PKEY *pkey = load_from_store (uri, key, passphrase, &encrypted, error);
  if (pkey != NULL && refuse_insecure && !encrypted && (st.st_mode & 0077) != 0)
    {
      EVP_PKEY_free (pkey);
      return oima_throw_code (error, OIMA_ERROR_INSECURE_KEY,
                              "Private key %s is not encrypted and is readable by group or "
                              "others (mode %04o): anyone who can read it can sign",
                              key, (unsigned)(st.st_mode & 07777)),
             NULL;
    }
  return pkey;
}

static char *
format_time (const ASN1_TIME *t)
{
  struct tm tm;
  if (ASN1_TIME_to_tm (t, &tm) != 1)
    return g_strdup ("(unreadable date)");
  char buf[32];
  strftime (buf, sizeof buf, "%Y-%m-%d", &tm);
  return g_strdup (buf);
}

char *
oima_cert_describe_problem (X509 *cert)
{
  const ASN1_TIME *not_after = X509_get0_notAfter (cert);
  const ASN1_TIME *not_before = X509_get0_notBefore (cert);
  char *problem = NULL;
  if (not_after && X509_cmp_current_time (not_after) < 0)
    {
      g_autofree char *when = format_time (not_after);
      problem = g_strdup_printf ("expired on %s", when);
    }
  else if (not_before && X509_cmp_current_time (not_before) > 0)
    {
      g_autofree char *when = format_time (not_before);
      problem = g_strdup_printf ("not valid before %s", when);
    }
  else if ((X509_get_extension_flags (cert) & EXFLAG_KUSAGE)
           && !(X509_get_key_usage (cert) & KU_DIGITAL_SIGNATURE))
    problem = g_strdup ("its keyUsage does not allow digitalSignature");
  ERR_clear_error ();
  return problem;
}

GPtrArray *
oima_key_loader_load_certs (const char *path, GError **error)
{
  if (!check_readable_file ("Certificate", path, NULL, error))
    return NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;
  if (!g_file_get_contents (path, &contents, &len, error))
    return NULL;
  if (len > G_MAXINT)
    return oima_null_throw (error, "Certificate %s: file too large", path);

  g_autoptr (GPtrArray) certs = g_ptr_array_new_with_free_func ((GDestroyNotify)X509_free);
  if (memmem (contents, len, "-----BEGIN", 10) != NULL)
    {
      g_autoptr (BIO) bio = BIO_new_mem_buf (contents, (int)len);
      X509 *cert;
      while ((cert = PEM_read_bio_X509 (bio, NULL, NULL, NULL)) != NULL)
        g_ptr_array_add (certs, cert);
      ERR_clear_error ();
    }
  else
    {
      const unsigned char *p = (const unsigned char *)contents;
      X509 *cert = d2i_X509 (NULL, &p, (long)len);
      if (cert != NULL)
        {
          g_ptr_array_add (certs, cert);
          if (p != (const unsigned char *)contents + len)
            return oima_null_throw (error, "Certificate %s: trailing data after DER certificate",
                                    path);
        }
    }
  if (certs->len == 0)
    return oima_null_throw_openssl (error, "Certificate %s: no PEM or DER X.509 certificate", path);
  return g_steal_pointer (&certs);
}

X509 *
oima_key_loader_load_cert (const char *path, GError **error)
{
  g_autoptr (GPtrArray) certs = oima_key_loader_load_certs (path, error);
  if (certs == NULL)
    return NULL;
  if (certs->len != 1)
    return oima_null_throw (error, "Certificate %s holds %u certificates, expected one", path,
                            certs->len);
  return X509_up_ref (certs->pdata[0]) ? certs->pdata[0] : NULL;
}

gboolean
oima_cert_skid_keyid (X509 *cert, guint32 *out_keyid)
{
  const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id (cert);
  ERR_clear_error ();
  if (skid == NULL || ASN1_STRING_length (skid) < 4)
    return FALSE;
  const unsigned char *p = ASN1_STRING_get0_data (skid) + ASN1_STRING_length (skid) - 4;
  *out_keyid = oima_read_be32 (p);
  return TRUE;
}

GPtrArray *
oima_key_loader_cert_files (const char *path, GError **error)
{
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_ptr_array_add (files, g_strdup (path));
      return g_steal_pointer (&files);
    }
  g_autoptr (GDir) dir = g_dir_open (path, 0, error);
  if (dir == NULL)
    return NULL;
  const char *name;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      if (g_file_test (child, G_FILE_TEST_IS_REGULAR))
        g_ptr_array_add (files, g_steal_pointer (&child));
    }
  g_ptr_array_sort (files, oima_strcmp_p);
  if (files->len == 0)
    {
      oima_throw (error, "Certificate directory %s holds no files", path);
      return NULL;
    }
  return g_steal_pointer (&files);
}
