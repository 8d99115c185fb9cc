/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * POSIX ustar headers (512-byte blocks), with the pax ('x': path, size)
 * and GNU ('L': long name) extensions for the next entry; global pax
 * headers ('g') and GNU long link names ('K') are read and ignored.
 */

#include <string.h>

#include "oima-tar-reader.h"
#include "oima-util.h"

#define BLOCK 512
/* pax and GNU long-name data is held in memory: a path is never this long. */
#define MAX_EXTENSION_SIZE (1024 * 1024)

struct _OimaTarReader
{
  GInputStream *in;
  guint64 offset;    /* bytes read from the (decompressed) archive */
  guint64 remaining; /* data bytes of the current entry not read yet */
  guint64 padding;   /* then this many bytes up to the next block */
  gboolean hashed;   /* the current entry's data was read by _hash */
  gboolean ended;
  char *path;
  char *next_path; /* from a pax or GNU header, for the next entry */
  gboolean next_size_set;
  guint64 next_size;
};

static gboolean
read_exact (OimaTarReader *r, void *buf, gsize len, GCancellable *cancellable, GError **error)
{
  gsize n = 0;
  if (!g_input_stream_read_all (r->in, buf, len, &n, cancellable, error))
    return FALSE;
  r->offset += n;
  if (n != len)
    return oima_throw (error, "truncated tar archive at byte %" G_GUINT64_FORMAT, r->offset);
  return TRUE;
}

static gboolean
skip_exact (OimaTarReader *r, guint64 len, GCancellable *cancellable, GError **error)
{
  guint8 buf[16384];
  while (len > 0)
    {
      gsize chunk = MIN (len, sizeof buf);
      if (!read_exact (r, buf, chunk, cancellable, error))
        return FALSE;
      len -= chunk;
    }
  return TRUE;
}

OimaTarReader *
oima_tar_reader_new (GInputStream *stream, GError **error)
{
  g_autoptr (GBufferedInputStream) buffered
      = G_BUFFERED_INPUT_STREAM (g_buffered_input_stream_new_sized (stream, 65536));
  if (g_buffered_input_stream_fill (buffered, 6, NULL, error) < 0)
    return NULL;
  gsize n = 0;
  const guint8 *magic = g_buffered_input_stream_peek_buffer (buffered, &n);
  OimaTarReader *r = g_new0 (OimaTarReader, 1);
  if (n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b)
    {
      g_autoptr (GZlibDecompressor) gz = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP);
      r->in = g_converter_input_stream_new (G_INPUT_STREAM (buffered), G_CONVERTER (gz));
      return r;
    }
  const char *other = NULL;
  if (n >= 6
      && memcmp (magic,
                 "\xfd"
                 "7zXZ\0",
                 6)
             == 0)
    other = "xz";
  else if (n >= 4 && memcmp (magic, "\x28\xb5\x2f\xfd", 4) == 0)
    other = "zstd";
  else if (n >= 3 && memcmp (magic, "BZh", 3) == 0)
    other = "bzip2";
  if (other)
    {
      g_free (r);
      return oima_null_throw (error, "%s-compressed tar archives are not read (plain or gzip)",
                              other);
    }
  r->in = G_INPUT_STREAM (g_steal_pointer (&buffered));
  return r;
}

void
oima_tar_reader_free (OimaTarReader *reader)
{
  g_clear_object (&reader->in);
  g_free (reader->path);
  g_free (reader->next_path);
  g_free (reader);
}

/* A header number: octal digits (NUL or space terminated), or base-256
 * with the high bit of the first byte set. */
static gboolean
parse_number (const guint8 *field, gsize len, guint64 *out, GError **error)
{
  guint64 v = 0;
  if (field[0] & 0x80)
    {
      if (field[0] != 0x80)
        return oima_throw (error, "negative or oversized base-256 number in a tar header");
      for (gsize i = 1; i < len; i++)
        {
          if (v >> 56)
            return oima_throw (error, "base-256 number too large in a tar header");
          v = (v << 8) | field[i];
        }
      *out = v;
      return TRUE;
    }
  gsize i = 0;
  while (i < len && field[i] == ' ')
    i++;
  for (; i < len && field[i] != '\0' && field[i] != ' '; i++)
    {
      if (field[i] < '0' || field[i] > '7')
        return oima_throw (error, "bad octal number in a tar header");
      if (v >> 61)
        return oima_throw (error, "octal number too large in a tar header");
      v = (v << 3) | (guint64)(field[i] - '0');
    }
  *out = v;
  return TRUE;
}

static gboolean
checksum_ok (const guint8 *h)
{
  guint64 want = 0;
  if (!parse_number (h + 148, 8, &want, NULL))
    return FALSE;
  guint64 sum = 0;
  for (gsize i = 0; i < BLOCK; i++)
    sum += (i >= 148 && i < 156) ? ' ' : h[i];
  return sum == want;
}

static gboolean
all_zero (const guint8 *h)
{
  for (gsize i = 0; i < BLOCK; i++)
    if (h[i])
      return FALSE;
  return TRUE;
}

/* Read the extension data of @size bytes (and its padding). */
static char *
read_extension (OimaTarReader *r, guint64 size, GCancellable *cancellable, GError **error)
{
  if (size > MAX_EXTENSION_SIZE)
    return oima_null_throw (error,
                            "tar extension header of %" G_GUINT64_FORMAT " bytes (at most %d)",
                            size, MAX_EXTENSION_SIZE);
  g_autofree char *data = g_malloc (size + 1);
  if (!read_exact (r, data, size, cancellable, error)
      || !skip_exact (r, (BLOCK - size % BLOCK) % BLOCK, cancellable, error))
    return NULL;
  data[size] = '\0';
  return g_steal_pointer (&data);
}

/* pax records: "LEN key=value\n", LEN counting the whole record. */
static gboolean
parse_pax (OimaTarReader *r, const char *data, gsize size, GError **error)
{
  gsize pos = 0;
  while (pos < size)
    {
      guint64 len = 0;
      gsize i = pos;
      while (i < size && g_ascii_isdigit (data[i]))
        {
          if (len > size)
            break;
          len = len * 10 + (guint64)(data[i] - '0');
          i++;
        }
      if (i == pos || i >= size || data[i] != ' ' || len <= i - pos + 1 || len > size - pos
          || data[pos + len - 1] != '\n')
        return oima_throw (error, "malformed pax record in a tar archive");
      const char *kv = data + i + 1;
      gsize kv_len = pos + len - 1 - (i + 1);
      const char *eq = memchr (kv, '=', kv_len);
      if (eq == NULL)
        return oima_throw (error, "malformed pax record in a tar archive");
      gsize key_len = eq - kv;
      const char *value = eq + 1;
      gsize value_len = kv_len - key_len - 1;
      if (key_len == 4 && memcmp (kv, "path", 4) == 0)
        {
          g_free (r->next_path);
          r->next_path = g_strndup (value, value_len);
        }
      else if (key_len == 4 && memcmp (kv, "size", 4) == 0)
        {
          g_autofree char *s = g_strndup (value, value_len);
          guint64 v = 0;
          if (!g_ascii_string_to_unsigned (s, 10, 0, G_MAXUINT64, &v, NULL))
            return oima_throw (error, "malformed pax size in a tar archive");
          r->next_size = v;
          r->next_size_set = TRUE;
        }
      pos += len;
    }
  return TRUE;
}

gboolean
oima_tar_reader_next (OimaTarReader *reader, OimaTarEntry *out, GCancellable *cancellable,
                      GError **error)
{
  OimaTarReader *r = reader;
  memset (out, 0, sizeof *out);
  g_clear_pointer (&r->path, g_free);
  if (r->ended)
    return TRUE;
  if (!skip_exact (r, r->remaining + r->padding, cancellable, error))
    return FALSE;
  r->remaining = r->padding = 0;
  r->hashed = FALSE;

  while (TRUE)
    {
      guint8 h[BLOCK];
      gsize n = 0;
      if (!g_input_stream_read_all (r->in, h, BLOCK, &n, cancellable, error))
        return FALSE;
      r->offset += n;
      if (n == 0)
        {
          /* No end-of-archive blocks: tolerated, as GNU tar does. */
          r->ended = TRUE;
          return TRUE;
        }
      if (n != BLOCK)
        return oima_throw (error, "truncated tar archive at byte %" G_GUINT64_FORMAT, r->offset);
      if (all_zero (h))
        {
          r->ended = TRUE;
          return TRUE;
        }
      if (!checksum_ok (h))
        return oima_throw (error, "bad tar header checksum at byte %" G_GUINT64_FORMAT,
                           r->offset - BLOCK);
      guint64 size = 0;
      if (!parse_number (h + 124, 12, &size, error))
        return FALSE;
      char type = (char)h[156];
      if (type == 'x' || type == 'g' || type == 'L' || type == 'K')
        {
          g_autofree char *data = read_extension (r, size, cancellable, error);
          if (data == NULL)
            return FALSE;
          if (type == 'x' && !parse_pax (r, data, size, error))
            return FALSE;
          if (type == 'L')
            {
              g_free (r->next_path);
              r->next_path = g_strndup (data, size);
            }
          continue;
        }

      if (r->next_size_set)
        size = r->next_size;
      if (r->next_path)
        r->path = g_steal_pointer (&r->next_path);
      else
        {
          g_autofree char *name = g_strndup ((const char *)h, 100);
          g_autofree char *prefix = NULL;
          if (memcmp (h + 257, "ustar", 5) == 0 && h[345] != '\0')
            prefix = g_strndup ((const char *)h + 345, 155);
          r->path = prefix ? g_strconcat (prefix, "/", name, NULL) : g_steal_pointer (&name);
        }
      r->next_size_set = FALSE;
      r->next_size = 0;

      switch (type)
        {
        case '0':
        case '\0':
        case '7':
          out->type = OIMA_TAR_REGULAR;
          break;
        case '1':
          out->type = OIMA_TAR_HARDLINK;
          break;
        case '2':
          out->type = OIMA_TAR_SYMLINK;
          break;
        case '5':
          out->type = OIMA_TAR_DIRECTORY;
          break;
        default:
          out->type = OIMA_TAR_OTHER;
          break;
        }
      /* Links and directories carry no data, whatever the size field says. */
      if (out->type == OIMA_TAR_HARDLINK || out->type == OIMA_TAR_SYMLINK
          || out->type == OIMA_TAR_DIRECTORY)
        size = 0;
      out->path = r->path;
      out->size = size;
      r->remaining = size;
      r->padding = (BLOCK - size % BLOCK) % BLOCK;
      return TRUE;
    }
}

/* The current entry's data, as oima_hash_read() reads it. */
static gssize
entry_read (gpointer data, guint8 *buf, gsize len, GCancellable *cancellable, GError **error)
{
  OimaTarReader *r = data;
  gsize chunk = MIN (r->remaining, len);
  if (chunk > 0 && !read_exact (r, buf, chunk, cancellable, error))
    return -1;
  r->remaining -= chunk;
  return (gssize)chunk;
}

gboolean
oima_tar_reader_hash (OimaTarReader *reader, OimaHashAlgo algo, guint8 *out_digest, gsize *out_len,
                      GCancellable *cancellable, GError **error)
{
  if (reader->path == NULL || reader->hashed)
    return oima_throw (error, "no tar entry data to hash");
  reader->hashed = TRUE;
  return oima_hash_read (algo, entry_read, reader, out_digest, out_len, cancellable, error);
}
