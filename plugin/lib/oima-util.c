/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <string.h>

#include <gio/gfiledescriptorbased.h>

#include "oima-util.h"

gboolean
oima_throw (GError **error, const char *fmt, ...)
{
  va_list args;
  va_start (args, fmt);
  if (error != NULL)
    *error = g_error_new_valist (G_IO_ERROR, G_IO_ERROR_FAILED, fmt, args);
  va_end (args);
  return FALSE;
}

gboolean
oima_throw_errno (GError **error, const char *what)
{
  int errsv = errno;
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "%s: %s", what,
               g_strerror (errsv));
  return FALSE;
}

gboolean
oima_throw_openssl (GError **error, const char *fmt, ...)
{
  unsigned long code = ERR_peek_last_error ();
  const char *reason = code != 0 ? ERR_reason_error_string (code) : NULL;
  va_list args;
  va_start (args, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, args);
  va_end (args);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s%s%s", msg, reason ? ": " : "",
               reason ? reason : "");
  ERR_clear_error ();
  return FALSE;
}

void
oima_prefix_error (GError **error, const char *fmt, ...)
{
  if (error == NULL || *error == NULL)
    return;
  va_list args;
  va_start (args, fmt);
  g_autofree char *prefix = g_strdup_vprintf (fmt, args);
  va_end (args);
  g_prefix_error (error, "%s: ", prefix);
}

gint
oima_strcmp_p (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

G_DEFINE_QUARK (oima - error - quark, oima_error)

gboolean
oima_throw_code (GError **error, OimaErrorCode code, const char *fmt, ...)
{
  va_list args;
  va_start (args, fmt);
  if (error != NULL)
    *error = g_error_new_valist (OIMA_ERROR, code, fmt, args);
  va_end (args);
  return FALSE;
}

char *
oima_hex_encode (const guint8 *data, gsize len)
{
  static const char hexchars[] = "0123456789abcdef";
  char *out = g_malloc (len * 2 + 1);
  for (gsize i = 0; i < len; i++)
    {
      out[2 * i] = hexchars[data[i] >> 4];
      out[2 * i + 1] = hexchars[data[i] & 0xf];
    }
  out[len * 2] = '\0';
  return out;
}

void
oima_json_append_string (GString *out, const char *s)
{
  g_autofree char *valid = g_utf8_make_valid (s, -1);
  g_string_append_c (out, '"');
  for (const char *p = valid; *p; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_printf (out, "\\%c", *p);
      else if ((guchar)*p < 0x20)
        g_string_append_printf (out, "\\u%04x", (guchar)*p);
      else
        g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

gssize
oima_fd_read (int fd, void *buf, gsize len, GCancellable *cancellable, GError **error)
{
  for (;;)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return -1;
      ssize_t n = read (fd, buf, len);
      if (n >= 0)
        return n;
      if (errno != EINTR)
        return oima_throw_errno (error, "Reading content"), -1;
    }
}

gboolean
oima_input_stream_read_all (GInputStream *in, void *buf, gsize len, gsize *out_n,
                            GCancellable *cancellable, GError **error)
{
  if (!G_IS_FILE_DESCRIPTOR_BASED (in))
    return g_input_stream_read_all (in, buf, len, out_n, cancellable, error);
  int fd = g_file_descriptor_based_get_fd (G_FILE_DESCRIPTOR_BASED (in));
  gsize n = 0;
  while (n < len)
    {
      gssize r = oima_fd_read (fd, (guint8 *)buf + n, len - n, cancellable, error);
      if (r < 0)
        return FALSE;
      if (r == 0)
        break;
      n += (gsize)r;
    }
  *out_n = n;
  return TRUE;
}
