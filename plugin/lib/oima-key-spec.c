/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "oima-key-spec.h"
#include "oima-util.h"

void
oima_passphrase_free (char *passphrase)
{
  if (passphrase == NULL)
    return;
  OPENSSL_cleanse (passphrase, strlen (passphrase));
  g_free (passphrase);
}

gboolean
oima_passphrase_read_file (const char *pass_file, char **out_passphrase, GError **error)
{
  *out_passphrase = NULL;
  oima_autofd int fd = open (pass_file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return oima_throw_errno (error, pass_file);
  /* One byte more than allowed tells a file that is too large. */
  char *buf = g_malloc0 (OIMA_KEY_PASS_MAX + 2);
  gsize len = 0;
  while (len <= OIMA_KEY_PASS_MAX)
    {
      ssize_t n = read (fd, buf + len, OIMA_KEY_PASS_MAX + 1 - len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          OPENSSL_cleanse (buf, OIMA_KEY_PASS_MAX + 2);
          g_free (buf);
          return oima_throw_errno (error, pass_file);
        }
      if (n == 0)
        break;
      len += n;
    }
  if (len > OIMA_KEY_PASS_MAX)
    {
      OPENSSL_cleanse (buf, OIMA_KEY_PASS_MAX + 2);
      g_free (buf);
      return oima_throw (error, "%s: a passphrase file holds at most %d bytes", pass_file,
                         OIMA_KEY_PASS_MAX);
    }
  /* Like openssl's -pass file:, the passphrase is the first line. */
  char *nl = memchr (buf, '\n', len);
  if (nl != NULL)
    {
      if (nl > buf && nl[-1] == '\r')
        nl--;
      OPENSSL_cleanse (nl, len - (nl - buf));
    }
  *out_passphrase = buf;
  return TRUE;
}

char *
oima_passphrase_take_env (void)
{
  /* getenv gives the string in the environment block itself: wiping it
   * there also clears what /proc/PID/environ shows for the initial
   * environment. */
  char *value = getenv (OIMA_KEY_PASS_ENV);
  if (value == NULL)
    return NULL;
  char *copy = g_strdup (value);
  OPENSSL_cleanse (value, strlen (value));
  g_unsetenv (OIMA_KEY_PASS_ENV);
  return copy;
}

static OimaSigningKey *
fail_at (OimaKeySpecPart part, OimaKeySpecPart *out_failed_part)
{
  if (out_failed_part)
    *out_failed_part = part;
  return NULL;
}

OimaSigningKey *
oima_key_spec_load (const OimaKeySpec *spec, OimaKeySpecPart *out_failed_part, GError **error)
{
  if (spec->key == NULL || spec->key[0] == '\0')
    {
      oima_throw_code (error, OIMA_ERROR_NO_KEY, "No signing key given");
      return fail_at (OIMA_KEY_SPEC_KEY, out_failed_part);
    }
  if (spec->cert && spec->keyid_hex)
    {
      oima_throw (error, "A key id comes from a certificate or is given, not both");
      return fail_at (OIMA_KEY_SPEC_KEYID, out_failed_part);
    }

  char *passphrase = NULL;
  if (spec->pass_file)
    {
      if (!oima_passphrase_read_file (spec->pass_file, &passphrase, error))
        {
          oima_prefix_error (error, "Reading passphrase file");
          return fail_at (OIMA_KEY_SPEC_PASS_FILE, out_failed_part);
        }
    }
  else if (spec->pass_from_env)
    passphrase = oima_passphrase_take_env ();

  g_autoptr (OimaSigningKey) key = oima_signing_key_load_full (
      spec->key, passphrase, spec->allow_insecure_perms ? 0 : OIMA_KEY_LOAD_REFUSE_INSECURE, error);
  oima_passphrase_free (passphrase);
  if (key == NULL)
    return fail_at (OIMA_KEY_SPEC_KEY, out_failed_part);
  if (spec->cert && !oima_signing_key_use_cert (key, spec->cert, error))
    return fail_at (OIMA_KEY_SPEC_CERT, out_failed_part);
  if (spec->keyid_hex && !oima_signing_key_set_keyid_hex (key, spec->keyid_hex, error))
    return fail_at (OIMA_KEY_SPEC_KEYID, out_failed_part);
  return g_steal_pointer (&key);
}
