/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Formats, from Linux security/integrity/ima/ (ima_fs.c, ima_template.c,
 * ima_template_lib.c, ima_crypto.c, ima_queue.c):
 *
 * binary entry:  u32 pcr | template hash (bank size) | u32 name_len | name |
 *                u32 data_len | data, data = fields as (u32 len | bytes);
 *                the 'ima' template has no data_len: d (20 raw bytes) then
 *                u32 len | file name without NUL.
 * ascii line:    "%2d %s %s" pcr, template hash hex, template name, then
 *                " " and each field as its show function prints it (nothing
 *                for an empty field): d-ng "sha256:HEX" (binary "sha256:\0"
 *                + digest), d-ngv2 "ima:sha256:HEX", strings as is (the
 *                binary has a NUL; spaces became '_'), sig/buf hex, iuid/igid
 *                (u32) and imode (u16) in decimal.
 * template hash: H(each field: u32 len | data) per bank; the 'ima' template
 *                hashes d | file name NUL-padded to 256 bytes, no lengths.
 *                Violations log a zero hash and extend 0xff... in every bank.
 */
#include <string.h>

#include "oima-measure-log.h"
#include "oima-util.h"

#define READ_BUF_SIZE (64 * 1024)
/* Hex doubles the template data; a line also holds hash, name and spaces. */
#define MAX_LINE_LEN (2 * OIMA_MEASURE_MAX_DATA_LEN + 4096)
#define MAX_TOKENS 4096
/* The 'ima' template hashes the file name in a buffer of this size. */
#define IMA_NAME_BUF_LEN (OIMA_MEASURE_MAX_NAME_LEN + 1)
#define IMA_DIGEST_LEN 20

typedef enum
{
  KIND_DIGEST,      /* d: raw digest, hex in ascii */
  KIND_DIGEST_ALGO, /* d-ng, d-ngv2, d-modsig: "PREFIX:\0" + digest */
  KIND_STRING,      /* n, n-ng, xattrnames: string + NUL */
  KIND_HEX,         /* sig, buf, ...: bytes, hex in ascii */
  KIND_UINT32,      /* iuid, igid */
  KIND_UINT16,      /* imode */
} FieldKind;

typedef struct
{
  const char *id;
  FieldKind kind;
} FieldInfo;

static const FieldInfo field_infos[] = {
  { "d", KIND_DIGEST },         { "n", KIND_STRING },
  { "d-ng", KIND_DIGEST_ALGO }, { "d-ngv2", KIND_DIGEST_ALGO },
  { "n-ng", KIND_STRING },      { "sig", KIND_HEX },
  { "buf", KIND_HEX },          { "d-modsig", KIND_DIGEST_ALGO },
  { "modsig", KIND_HEX },       { "evmsig", KIND_HEX },
  { "iuid", KIND_UINT32 },      { "igid", KIND_UINT32 },
  { "imode", KIND_UINT16 },     { "xattrnames", KIND_STRING },
  { "xattrlengths", KIND_HEX }, { "xattrvalues", KIND_HEX },
};

static const struct
{
  const char *name;
  const char *fmt;
} builtin_templates[] = {
  { "ima", "d|n" },
  { "ima-ng", "d-ng|n-ng" },
  { "ima-sig", "d-ng|n-ng|sig" },
  { "ima-ngv2", "d-ngv2|n-ng" },
  { "ima-sigv2", "d-ngv2|n-ng|sig" },
  { "ima-buf", "d-ng|n-ng|buf" },
  { "ima-modsig", "d-ng|n-ng|sig|d-modsig|modsig" },
  { "evm-sig", "d-ng|n-ng|evmsig|xattrnames|xattrlengths|xattrvalues|iuid|igid|imode" },
};

#define UNKNOWN_FIELD_ID "?"

struct _OimaMeasureLogReader
{
  GInputStream *stream;
  OimaMeasureLogFormat format;
  OimaHashAlgo bank; /* OIMA_MEASURE_BANK_AUTO until the first entry */
  gsize bank_len;
  guint8 *buf;
  gsize pos, len;
  guint64 buf_offset; /* stream offset of buf[0] */
  gboolean eof;
  guint64 index;
  guint64 line;
  guint64 entry_offset; /* of the entry being read */
  gboolean finished;
};

struct _OimaPcrReplay
{
  guint8 sha1[OIMA_MEASURE_MAX_PCR][20];
  guint8 sha256[OIMA_MEASURE_MAX_PCR][32];
  guint64 count[OIMA_MEASURE_MAX_PCR];
  gboolean incomplete_sha1;
  gboolean incomplete_sha256;
};

/* ---- entries ---- */

void
oima_measure_entry_free (OimaMeasureEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->template_name);
  for (guint i = 0; i < entry->n_fields; i++)
    g_clear_pointer (&entry->fields[i].data, g_bytes_unref);
  g_free (entry->digest_algo_name);
  g_clear_pointer (&entry->digest, g_bytes_unref);
  g_free (entry->path);
  g_clear_pointer (&entry->sig, g_bytes_unref);
  g_clear_pointer (&entry->buf, g_bytes_unref);
  g_clear_pointer (&entry->evmsig, g_bytes_unref);
  g_clear_pointer (&entry->modsig, g_bytes_unref);
  g_free (entry);
}

const OimaMeasureField *
oima_measure_entry_get_field (const OimaMeasureEntry *entry, const char *id)
{
  for (guint i = 0; i < entry->n_fields; i++)
    if (strcmp (entry->fields[i].id, id) == 0)
      return &entry->fields[i];
  return NULL;
}

gboolean
oima_measure_entry_decode_sig (const OimaMeasureEntry *entry, OimaXattrValue *out, GError **error)
{
  if (entry->sig == NULL)
    return oima_throw (error, "measurement entry %" G_GUINT64_FORMAT " has no signature",
                       entry->index);
  if (!oima_xattr_decode_bytes (entry->sig, out, error))
    {
      oima_prefix_error (error, "measurement entry %" G_GUINT64_FORMAT " signature", entry->index);
      return FALSE;
    }
  return TRUE;
}

char *
oima_measure_entry_template_hash_hex (const OimaMeasureEntry *entry)
{
  return oima_hex_encode (entry->template_hash, entry->template_hash_len);
}

/* ---- small helpers ---- */

static guint32
read_le32 (const guint8 *p)
{
  return (guint32)p[0] | ((guint32)p[1] << 8) | ((guint32)p[2] << 16) | ((guint32)p[3] << 24);
}

static void
put_le32 (GByteArray *out, guint32 v)
{
  guint8 b[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >> 24) & 0xff };
  g_byte_array_append (out, b, sizeof b);
}

/* Decode @len hex digits; -1 on success, else the index of the first bad
 * digit, or @len for an odd count. */
static gssize
hex_decode_into (const char *hex, gsize len, GByteArray *out)
{
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isxdigit (hex[i]))
      return (gssize)i;
  if (len % 2 != 0)
    return (gssize)len;
  for (gsize i = 0; i < len; i += 2)
    {
      guint8 b = (guint8)((g_ascii_xdigit_value (hex[i]) << 4) | g_ascii_xdigit_value (hex[i + 1]));
      g_byte_array_append (out, &b, 1);
    }
  return -1;
}

static gboolean
is_all (const guint8 *p, gsize len, guint8 value)
{
  for (gsize i = 0; i < len; i++)
    if (p[i] != value)
      return FALSE;
  return TRUE;
}

static gboolean
bank_from_digest_len (gsize len, OimaHashAlgo *out)
{
  static const OimaHashAlgo banks[]
      = { OIMA_HASH_SHA1, OIMA_HASH_SHA256, OIMA_HASH_SHA384, OIMA_HASH_SHA512 };
  for (gsize i = 0; i < G_N_ELEMENTS (banks); i++)
    if (oima_hash_algo_digest_size (banks[i]) == len)
      {
        *out = banks[i];
        return TRUE;
      }
  return FALSE;
}

static const FieldInfo *
lookup_field (const char *id, gsize len)
{
  for (gsize i = 0; i < G_N_ELEMENTS (field_infos); i++)
    if (strlen (field_infos[i].id) == len && strncmp (field_infos[i].id, id, len) == 0)
      return &field_infos[i];
  return NULL;
}

/* The fields of template @name: a builtin template, or a format string of
 * field ids as the kernel prints for ima_template_fmt=.  FALSE if unknown. */
static gboolean
resolve_template (const char *name, const FieldInfo **out_fields, guint *out_n)
{
  const char *fmt = name;
  for (gsize i = 0; i < G_N_ELEMENTS (builtin_templates); i++)
    if (strcmp (builtin_templates[i].name, name) == 0)
      fmt = builtin_templates[i].fmt;
  guint n = 0;
  for (const char *p = fmt;; n++)
    {
      const char *end = strchrnul (p, '|');
      if (n == OIMA_MEASURE_MAX_FIELDS)
        return FALSE;
      out_fields[n] = lookup_field (p, end - p);
      if (out_fields[n] == NULL)
        return FALSE;
      if (*end == '\0')
        break;
      p = end + 1;
    }
  *out_n = n + 1;
  return TRUE;
}

/* ---- reader: location-tagged errors ---- */

/* Fail with the current entry's location; the reader is finished. */
static gboolean entry_throw (OimaMeasureLogReader *r, GError **error, const char *fmt, ...)
    G_GNUC_PRINTF (3, 4);

static gboolean
entry_throw (OimaMeasureLogReader *r, GError **error, const char *fmt, ...)
{
  va_list args;
  va_start (args, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, args);
  va_end (args);
  r->finished = TRUE;
  if (r->format == OIMA_MEASURE_LOG_ASCII)
    return oima_throw (error,
                       "measurement list line %" G_GUINT64_FORMAT " (entry %" G_GUINT64_FORMAT
                       ", byte offset %" G_GUINT64_FORMAT "): %s",
                       r->line, r->index, r->entry_offset, msg);
  return oima_throw (error,
                     "measurement list entry %" G_GUINT64_FORMAT
                     " at byte offset %" G_GUINT64_FORMAT ": %s",
                     r->index, r->entry_offset, msg);
}

/* ---- reader: buffered input ---- */

OimaMeasureLogReader *
oima_measure_log_reader_new (GInputStream *stream, OimaMeasureLogFormat format, OimaHashAlgo bank)
{
  OimaMeasureLogReader *r = g_new0 (OimaMeasureLogReader, 1);
  r->stream = g_object_ref (stream);
  r->format = format;
  r->bank = bank;
  r->buf = g_malloc (READ_BUF_SIZE);
  return r;
}

void
oima_measure_log_reader_free (OimaMeasureLogReader *reader)
{
  if (reader == NULL)
    return;
  g_object_unref (reader->stream);
  g_free (reader->buf);
  g_free (reader);
}

OimaMeasureLogFormat
oima_measure_log_reader_get_format (OimaMeasureLogReader *reader)
{
  return reader->format;
}

OimaHashAlgo
oima_measure_log_reader_get_bank (OimaMeasureLogReader *reader)
{
  return reader->bank;
}

static guint64
cur_offset (OimaMeasureLogReader *r)
{
  return r->buf_offset + r->pos;
}

static gsize
avail (OimaMeasureLogReader *r)
{
  return r->len - r->pos;
}

/* Make at least @want (<= READ_BUF_SIZE) bytes available, fewer at EOF. */
static gboolean
fill (OimaMeasureLogReader *r, gsize want, GCancellable *cancellable, GError **error)
{
  g_assert (want <= READ_BUF_SIZE);
  if (avail (r) >= want || r->eof)
    return TRUE;
  memmove (r->buf, r->buf + r->pos, avail (r));
  r->buf_offset += r->pos;
  r->len -= r->pos;
  r->pos = 0;
  while (r->len < want && !r->eof)
    {
      gssize n = g_input_stream_read (r->stream, r->buf + r->len, READ_BUF_SIZE - r->len,
                                      cancellable, error);
      if (n < 0)
        {
          r->finished = TRUE;
          oima_prefix_error (error,
                             "reading the measurement list at byte offset %" G_GUINT64_FORMAT,
                             r->buf_offset + r->len);
          return FALSE;
        }
      if (n == 0)
        r->eof = TRUE;
      r->len += n;
    }
  return TRUE;
}

/* Copy up to @n bytes to @dst; *@out_got < @n only at EOF. */
static gboolean
read_bytes (OimaMeasureLogReader *r, guint8 *dst, gsize n, gsize *out_got,
            GCancellable *cancellable, GError **error)
{
  gsize got = 0;
  while (got < n)
    {
      if (!fill (r, 1, cancellable, error))
        return FALSE;
      gsize chunk = MIN (avail (r), n - got);
      if (chunk == 0)
        break;
      memcpy (dst + got, r->buf + r->pos, chunk);
      r->pos += chunk;
      got += chunk;
    }
  *out_got = got;
  return TRUE;
}

/* Read exactly @n bytes of the part @what of the current entry. */
static gboolean
read_part (OimaMeasureLogReader *r, const char *what, guint8 *dst, gsize n,
           GCancellable *cancellable, GError **error)
{
  gsize got = 0;
  if (!read_bytes (r, dst, n, &got, cancellable, error))
    return FALSE;
  if (got < n)
    return entry_throw (r, error, "truncated in the %s (%zu of %zu bytes)", what, got, n);
  return TRUE;
}

static gboolean
read_len (OimaMeasureLogReader *r, const char *what, guint32 max, guint32 *out,
          GCancellable *cancellable, GError **error)
{
  guint8 b[4];
  g_autofree char *part = g_strdup_printf ("%s length", what);
  if (!read_part (r, part, b, sizeof b, cancellable, error))
    return FALSE;
  *out = read_le32 (b);
  if (*out > max)
    return entry_throw (r, error, "%s length %u exceeds the maximum %u", what, *out, max);
  return TRUE;
}

/* ---- field decoding (both formats) ---- */

static gboolean
parse_digest_prefix (OimaMeasureLogReader *r, OimaMeasureEntry *e, const OimaMeasureField *f,
                     GError **error)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (f->data, &len);
  const guint8 *nul = memchr (data, '\0', MIN (len, 64));
  if (nul == NULL || nul == data || nul[-1] != ':')
    return entry_throw (r, error, "field %s is not ALGO:\\0DIGEST", f->id);
  g_autofree char *prefix = g_strndup ((const char *)data, nul - data - 1);
  const char *algo = prefix;
  e->digest_type = OIMA_MEASURE_DIGEST_TYPE_NONE;
  if (strcmp (f->id, "d-ngv2") == 0)
    {
      if (g_str_has_prefix (prefix, "ima:"))
        e->digest_type = OIMA_MEASURE_DIGEST_TYPE_IMA;
      else if (g_str_has_prefix (prefix, "verity:"))
        e->digest_type = OIMA_MEASURE_DIGEST_TYPE_VERITY;
      else
        {
          g_autofree char *shown = g_strescape (prefix, NULL);
          return entry_throw (
              r, error, "field d-ngv2 has digest type '%.40s' (expected ima: or verity:)", shown);
        }
      algo = strchr (prefix, ':') + 1;
    }
  e->has_digest = TRUE;
  e->digest_algo_name = g_strdup (algo);
  e->digest_algo_known = oima_hash_algo_from_name (algo, &e->digest_algo, NULL);
  e->digest = g_bytes_new_from_bytes (f->data, nul + 1 - data, len - (nul + 1 - data));
  return TRUE;
}

static void
decode_plain_digest (OimaMeasureEntry *e, const OimaMeasureField *f)
{
  gsize len = g_bytes_get_size (f->data);
  e->has_digest = TRUE;
  e->digest_algo_known = TRUE;
  e->digest_algo = len == 16 ? OIMA_HASH_MD5 : OIMA_HASH_SHA1;
  e->digest_algo_name = g_strdup (oima_hash_algo_name (e->digest_algo));
  e->digest = g_bytes_ref (f->data);
}

static GBytes *
nonempty (GBytes *b)
{
  return g_bytes_get_size (b) > 0 ? g_bytes_ref (b) : NULL;
}

static gboolean
decode_fields (OimaMeasureLogReader *r, OimaMeasureEntry *e, GError **error)
{
  for (guint i = 0; i < e->n_fields; i++)
    {
      const OimaMeasureField *f = &e->fields[i];
      gsize len = 0;
      const char *data = g_bytes_get_data (f->data, &len);
      if (strcmp (f->id, "d") == 0 && len > 0)
        decode_plain_digest (e, f);
      else if ((strcmp (f->id, "d-ng") == 0 || strcmp (f->id, "d-ngv2") == 0) && len > 0)
        {
          if (!parse_digest_prefix (r, e, f, error))
            return FALSE;
        }
      else if (strcmp (f->id, "n") == 0 || strcmp (f->id, "n-ng") == 0)
        e->path = len > 0 ? g_strndup (data, len) : g_strdup ("");
      else if (strcmp (f->id, "sig") == 0)
        e->sig = nonempty (f->data);
      else if (strcmp (f->id, "buf") == 0)
        e->buf = nonempty (f->data);
      else if (strcmp (f->id, "evmsig") == 0)
        e->evmsig = nonempty (f->data);
      else if (strcmp (f->id, "modsig") == 0)
        e->modsig = nonempty (f->data);
    }
  return TRUE;
}

/* ---- template hashes ---- */

/* Template data as hashed: u32 len | data per field, or for 'ima' the
 * 20-byte digest and the NUL-padded file name. */
static GBytes *
hashed_template_data (OimaMeasureLogReader *r, OimaMeasureEntry *e, GError **error)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  if (strcmp (e->template_name, "ima") == 0)
    {
      gsize dlen = g_bytes_get_size (e->fields[0].data);
      gsize nlen = g_bytes_get_size (e->fields[1].data);
      if (dlen != IMA_DIGEST_LEN)
        {
          entry_throw (r, error, "'ima' template digest has %zu bytes, expected 20", dlen);
          return NULL;
        }
      if (nlen > OIMA_MEASURE_MAX_NAME_LEN)
        {
          entry_throw (r, error, "'ima' template file name has %zu bytes, more than %u", nlen,
                       OIMA_MEASURE_MAX_NAME_LEN);
          return NULL;
        }
      g_byte_array_append (out, g_bytes_get_data (e->fields[0].data, NULL), dlen);
      g_byte_array_append (out, g_bytes_get_data (e->fields[1].data, NULL), nlen);
      g_byte_array_set_size (out, IMA_DIGEST_LEN + IMA_NAME_BUF_LEN);
      memset (out->data + dlen + nlen, 0, IMA_NAME_BUF_LEN - nlen);
      return g_byte_array_free_to_bytes (g_steal_pointer (&out));
    }
  for (guint i = 0; i < e->n_fields; i++)
    {
      gsize len = 0;
      const guint8 *data = g_bytes_get_data (e->fields[i].data, &len);
      put_le32 (out, (guint32)len);
      g_byte_array_append (out, data, len);
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

static gboolean
hash_into (OimaHashAlgo algo, GBytes *data, guint8 *out, gsize expect_len, GError **error)
{
  guint8 digest[OIMA_MAX_DIGEST_SIZE];
  gsize len = 0;
  gsize dlen = 0;
  const guint8 *d = g_bytes_get_data (data, &dlen);
  if (!oima_hash_buffer (algo, d, dlen, digest, &len, error))
    return FALSE;
  if (len != expect_len)
    return oima_throw (error, "%s digest has %zu bytes, expected %zu", oima_hash_algo_name (algo),
                       len, expect_len);
  memcpy (out, digest, len);
  return TRUE;
}

/* Check the logged template hash and compute the sha1/sha256 ones. */
static gboolean
compute_hashes (OimaMeasureLogReader *r, OimaMeasureEntry *e, GError **error)
{
  g_autoptr (GBytes) data = hashed_template_data (r, e, error);
  if (data == NULL)
    return FALSE;
  if (!hash_into (OIMA_HASH_SHA1, data, e->sha1_hash, sizeof e->sha1_hash, error)
      || !hash_into (OIMA_HASH_SHA256, data, e->sha256_hash, sizeof e->sha256_hash, error))
    return FALSE;
  e->have_replay_hashes = TRUE;
  if (e->violation)
    return TRUE;
  guint8 bank_hash[OIMA_MAX_DIGEST_SIZE];
  if (r->bank == OIMA_HASH_SHA1)
    memcpy (bank_hash, e->sha1_hash, sizeof e->sha1_hash);
  else if (r->bank == OIMA_HASH_SHA256)
    memcpy (bank_hash, e->sha256_hash, sizeof e->sha256_hash);
  else if (!hash_into (r->bank, data, bank_hash, r->bank_len, error))
    return FALSE;
  e->template_hash_checked = TRUE;
  e->template_hash_ok = memcmp (bank_hash, e->template_hash, r->bank_len) == 0;
  return TRUE;
}

/* Common end of both formats: fields known, decoded, hashes computed. */
static gboolean
finish_entry (OimaMeasureLogReader *r, OimaMeasureEntry *e, gboolean have_data, GError **error)
{
  e->index = r->index;
  e->offset = r->entry_offset;
  e->template_bank = r->bank;
  e->template_hash_len = r->bank_len;
  e->violation = is_all (e->template_hash, r->bank_len, 0);
  if (!decode_fields (r, e, error))
    return FALSE;
  if (have_data && !compute_hashes (r, e, error))
    return FALSE;
  r->index++;
  return TRUE;
}

/* ---- binary format ---- */

static gboolean
looks_like_name (const guint8 *p, gsize len)
{
  for (gsize i = 0; i < len; i++)
    if (p[i] <= 0x20 || p[i] >= 0x7f)
      return FALSE;
  return TRUE;
}

/* The first header tells the bank: the u32 after the hash is a name length
 * followed by a printable name for one hash size only (in practice). */
static gboolean
infer_binary_bank (OimaMeasureLogReader *r, GCancellable *cancellable, GError **error)
{
  static const gsize sizes[] = { 20, 32, 48, 64 };
  if (!fill (r, 4 + 64 + 4 + OIMA_MEASURE_MAX_NAME_LEN, cancellable, error))
    return FALSE;
  const guint8 *p = r->buf + r->pos;
  for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      gsize at = 4 + sizes[i];
      if (avail (r) < at + 4)
        break;
      guint32 nlen = read_le32 (p + at);
      if (nlen == 0 || nlen > OIMA_MEASURE_MAX_NAME_LEN || avail (r) < at + 4 + nlen
          || !looks_like_name (p + at + 4, nlen))
        continue;
      (void)bank_from_digest_len (sizes[i], &r->bank);
      return TRUE;
    }
  if (r->eof && avail (r) < 4 + 20 + 4 + 1)
    return entry_throw (r, error, "truncated in the entry header (%zu bytes)", avail (r));
  return entry_throw (r, error,
                      "no template hash of 20, 32, 48 or 64 bytes followed by a template name");
}

static GBytes *
read_blob (OimaMeasureLogReader *r, const char *what, gsize n, GCancellable *cancellable,
           GError **error)
{
  g_autofree guint8 *data = g_malloc (MAX (n, 1));
  if (!read_part (r, what, data, n, cancellable, error))
    return NULL;
  return g_bytes_new_take (g_steal_pointer (&data), n);
}

/* 'ima': d (20 raw bytes), then u32 len | file name. */
static gboolean
read_ima_fields (OimaMeasureLogReader *r, OimaMeasureEntry *e, GCancellable *cancellable,
                 GError **error)
{
  guint32 nlen = 0;
  e->fields[0].id = "d";
  e->fields[0].data = read_blob (r, "'ima' digest", IMA_DIGEST_LEN, cancellable, error);
  if (e->fields[0].data == NULL
      || !read_len (r, "'ima' file name", OIMA_MEASURE_MAX_NAME_LEN, &nlen, cancellable, error))
    return FALSE;
  e->n_fields = 1;
  e->fields[1].id = "n";
  e->fields[1].data = read_blob (r, "'ima' file name", nlen, cancellable, error);
  if (e->fields[1].data == NULL)
    return FALSE;
  e->n_fields = 2;
  return TRUE;
}

/* Split template data into u32 len | data fields. */
static gboolean
split_fields (OimaMeasureLogReader *r, OimaMeasureEntry *e, GBytes *tdata, GError **error)
{
  gsize len = 0;
  const guint8 *p = g_bytes_get_data (tdata, &len);
  gsize at = 0;
  while (at < len)
    {
      guint n = e->n_fields;
      if (n == OIMA_MEASURE_MAX_FIELDS)
        return entry_throw (r, error, "template data has more than %u fields",
                            OIMA_MEASURE_MAX_FIELDS);
      if (len - at < 4)
        return entry_throw (r, error, "template data ends inside the length of field %u", n);
      guint32 flen = read_le32 (p + at);
      at += 4;
      if (flen > len - at)
        return entry_throw (r, error,
                            "field %u length %u exceeds the %zu bytes left in the template data", n,
                            flen, len - at);
      e->fields[n].id = UNKNOWN_FIELD_ID;
      e->fields[n].data = g_bytes_new_from_bytes (tdata, at, flen);
      e->n_fields++;
      at += flen;
    }
  return TRUE;
}

/* Give the split fields their ids; a known template must match its count. */
static gboolean
name_binary_fields (OimaMeasureLogReader *r, OimaMeasureEntry *e, GError **error)
{
  const FieldInfo *infos[OIMA_MEASURE_MAX_FIELDS];
  guint n = 0;
  e->template_known = resolve_template (e->template_name, infos, &n);
  if (!e->template_known)
    return TRUE;
  if (n != e->n_fields)
    return entry_throw (r, error, "template %s has %u fields, the entry has %u", e->template_name,
                        n, e->n_fields);
  for (guint i = 0; i < n; i++)
    e->fields[i].id = infos[i]->id;
  return TRUE;
}

static gboolean
read_binary_entry (OimaMeasureLogReader *r, OimaMeasureEntry *e, GCancellable *cancellable,
                   GError **error)
{
  guint8 b[4];
  guint32 nlen = 0;
  if (r->bank == OIMA_MEASURE_BANK_AUTO && !infer_binary_bank (r, cancellable, error))
    return FALSE;
  r->bank_len = oima_hash_algo_digest_size (r->bank);
  if (!read_part (r, "PCR index", b, 4, cancellable, error))
    return FALSE;
  e->pcr = read_le32 (b);
  if (e->pcr >= OIMA_MEASURE_MAX_PCR)
    return entry_throw (r, error, "PCR index %u is not below %u", e->pcr, OIMA_MEASURE_MAX_PCR);
  if (!read_part (r, "template hash", e->template_hash, r->bank_len, cancellable, error)
      || !read_len (r, "template name", OIMA_MEASURE_MAX_NAME_LEN, &nlen, cancellable, error))
    return FALSE;
  guint8 name[OIMA_MEASURE_MAX_NAME_LEN + 1];
  if (!read_part (r, "template name", name, nlen, cancellable, error))
    return FALSE;
  if (nlen == 0 || !looks_like_name (name, nlen))
    return entry_throw (r, error, "template name is empty or not printable ASCII");
  e->template_name = g_strndup ((const char *)name, nlen);
  if (strcmp (e->template_name, "ima") == 0)
    {
      e->template_known = TRUE;
      if (!read_ima_fields (r, e, cancellable, error))
        return FALSE;
      return finish_entry (r, e, TRUE, error);
    }
  guint32 dlen = 0;
  if (!read_len (r, "template data", OIMA_MEASURE_MAX_DATA_LEN, &dlen, cancellable, error))
    return FALSE;
  g_autoptr (GBytes) tdata = read_blob (r, "template data", dlen, cancellable, error);
  if (tdata == NULL || !split_fields (r, e, tdata, error) || !name_binary_fields (r, e, error))
    return FALSE;
  return finish_entry (r, e, TRUE, error);
}

/* ---- ascii format ---- */

/* One line without its newline into @line; FALSE with *@out_eof at a clean end. */
static gboolean
read_line (OimaMeasureLogReader *r, GString *line, gboolean *out_eof, GCancellable *cancellable,
           GError **error)
{
  *out_eof = FALSE;
  g_string_truncate (line, 0);
  for (;;)
    {
      if (!fill (r, 1, cancellable, error))
        return FALSE;
      if (avail (r) == 0)
        {
          if (line->len == 0)
            {
              *out_eof = TRUE;
              return TRUE;
            }
          return entry_throw (r, error, "truncated: no newline at the end of the stream");
        }
      const guint8 *start = r->buf + r->pos;
      const guint8 *nl = memchr (start, '\n', avail (r));
      gsize chunk = nl ? (gsize)(nl - start) : avail (r);
      if (line->len + chunk > MAX_LINE_LEN)
        return entry_throw (r, error, "longer than %u bytes", MAX_LINE_LEN);
      g_string_append_len (line, (const char *)start, chunk);
      r->pos += chunk;
      if (nl != NULL)
        {
          r->pos++;
          return TRUE;
        }
    }
}

typedef struct
{
  char *text;   /* NUL-terminated inside the line copy */
  gsize column; /* 1-based */
} Token;

/* Split on single spaces, keeping empty tokens (the kernel prints an empty
 * field as nothing between two spaces). */
static gboolean
tokenize (OimaMeasureLogReader *r, char *line, gsize len, GArray *tokens, GError **error)
{
  if (memchr (line, '\0', len) != NULL)
    return entry_throw (r, error, "contains a NUL byte");
  /* "%2d ": a PCR below 10 has a leading space. */
  gsize start = (len > 0 && line[0] == ' ') ? 1 : 0;
  for (gsize i = start;; i++)
    {
      if (i == len || line[i] == ' ')
        {
          if (tokens->len == MAX_TOKENS)
            return entry_throw (r, error, "more than %u space-separated fields", MAX_TOKENS);
          Token t = { line + start, start + 1 };
          g_array_append_val (tokens, t);
          if (i == len)
            return TRUE;
          line[i] = '\0';
          start = i + 1;
        }
    }
}

static gboolean
parse_ascii_header (OimaMeasureLogReader *r, OimaMeasureEntry *e, GArray *tokens, GError **error)
{
  Token *t = &g_array_index (tokens, Token, 0);
  guint64 pcr = 0;
  if (tokens->len < 3)
    return entry_throw (r, error, "%u fields, expected at least PCR, template hash and name",
                        tokens->len);
  if (!g_ascii_string_to_unsigned (t[0].text, 10, 0, OIMA_MEASURE_MAX_PCR - 1, &pcr, NULL))
    return entry_throw (r, error, "column %zu: PCR index '%.20s' is not a number below %u",
                        t[0].column, t[0].text, OIMA_MEASURE_MAX_PCR);
  e->pcr = (guint32)pcr;
  gsize hlen = strlen (t[1].text);
  if (r->bank == OIMA_MEASURE_BANK_AUTO && !bank_from_digest_len (hlen / 2, &r->bank))
    return entry_throw (r, error,
                        "column %zu: template hash has %zu hex digits (not 40, 64, 96 or 128)",
                        t[1].column, hlen);
  r->bank_len = oima_hash_algo_digest_size (r->bank);
  if (hlen != 2 * r->bank_len)
    return entry_throw (r, error, "column %zu: template hash has %zu hex digits, expected %zu (%s)",
                        t[1].column, hlen, 2 * r->bank_len, oima_hash_algo_name (r->bank));
  g_autoptr (GByteArray) h = g_byte_array_new ();
  gssize bad = hex_decode_into (t[1].text, hlen, h);
  if (bad >= 0)
    return entry_throw (r, error, "column %zu: template hash is not hex", t[1].column + bad);
  memcpy (e->template_hash, h->data, h->len);
  if (t[2].text[0] == '\0')
    return entry_throw (r, error, "column %zu: empty template name", t[2].column);
  e->template_name = g_strdup (t[2].text);
  return TRUE;
}

/* Rebuild the binary form of one field from its ascii text. */
static gboolean
rebuild_field (OimaMeasureLogReader *r, OimaMeasureEntry *e, const FieldInfo *info, const Token *t,
               GByteArray *out, GError **error)
{
  const char *text = t->text;
  gsize len = strlen (text);
  gssize bad = -1;
  guint64 v = 0;
  /* An empty field; file names always have their NUL, so are never empty. */
  if (len == 0 && strcmp (info->id, "n") != 0 && strcmp (info->id, "n-ng") != 0)
    return TRUE;
  switch (info->kind)
    {
    case KIND_DIGEST:
    case KIND_HEX:
      bad = hex_decode_into (text, len, out);
      break;
    case KIND_DIGEST_ALGO:
      {
        const char *colon = strrchr (text, ':');
        if (colon == NULL || colon == text)
          return entry_throw (r, error, "column %zu: field %s '%.20s' is not ALGO:HEX", t->column,
                              info->id, text);
        g_byte_array_append (out, (const guint8 *)text, colon + 1 - text);
        g_byte_array_append (out, (const guint8 *)"", 1);
        bad = hex_decode_into (colon + 1, strlen (colon + 1), out);
        if (bad >= 0)
          bad += colon + 1 - text;
        break;
      }
    case KIND_STRING:
      g_byte_array_append (out, (const guint8 *)text, len);
      if (strcmp (e->template_name, "ima") != 0)
        g_byte_array_append (out, (const guint8 *)"", 1);
      break;
    case KIND_UINT32:
    case KIND_UINT16:
      {
        guint64 max = info->kind == KIND_UINT32 ? G_MAXUINT32 : G_MAXUINT16;
        if (!g_ascii_string_to_unsigned (text, 10, 0, max, &v, NULL))
          return entry_throw (
              r, error, "column %zu: field %s '%.20s' is not a number up to %" G_GUINT64_FORMAT,
              t->column, info->id, text, max);
        guint8 b[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >> 24) & 0xff };
        g_byte_array_append (out, b, info->kind == KIND_UINT32 ? 4 : 2);
        break;
      }
    }
  if (bad >= 0 && text[bad] == '\0')
    return entry_throw (r, error, "column %zu: field %s has an odd number of hex digits", t->column,
                        info->id);
  if (bad >= 0)
    return entry_throw (r, error, "column %zu: field %s is not hex", t->column + bad, info->id);
  return TRUE;
}

/* Map the tokens after the template name to its fields: extra tokens belong
 * to the file name (a name with spaces from an old kernel), missing trailing
 * ones are empty fields. */
static gboolean
rebuild_ascii_fields (OimaMeasureLogReader *r, OimaMeasureEntry *e, GArray *tokens, GError **error)
{
  const FieldInfo *infos[OIMA_MEASURE_MAX_FIELDS];
  guint n = 0;
  e->template_known = resolve_template (e->template_name, infos, &n);
  if (!e->template_known)
    return TRUE;
  Token *t = &g_array_index (tokens, Token, 3);
  guint given = tokens->len - 3;
  guint name_field = n;
  for (guint i = 0; i < n && name_field == n; i++)
    if (infos[i]->kind == KIND_STRING)
      name_field = i;
  if (given > n && name_field == n)
    return entry_throw (r, error, "%u fields, template %s has %u", given, e->template_name, n);
  guint extra = given > n ? given - n : 0;
  for (guint i = 0, k = 0; i < n; i++, k++)
    {
      Token empty = { (char *)"", k < given ? t[k].column : 0 };
      const Token *tok = k < given ? &t[k] : &empty;
      if (i == name_field)
        for (guint j = 0; j < extra; j++, k++)
          t[k].text[strlen (t[k].text)] = ' '; /* rejoin: the NUL was a space */
      g_autoptr (GByteArray) out = g_byte_array_new ();
      if (!rebuild_field (r, e, infos[i], tok, out, error))
        return FALSE;
      e->fields[i].id = infos[i]->id;
      e->fields[i].data = g_byte_array_free_to_bytes (g_steal_pointer (&out));
      e->n_fields = i + 1;
    }
  return TRUE;
}

static gboolean
read_ascii_entry (OimaMeasureLogReader *r, OimaMeasureEntry *e, gboolean *out_eof,
                  GCancellable *cancellable, GError **error)
{
  g_autoptr (GString) line = g_string_new (NULL);
  r->line++;
  r->entry_offset = cur_offset (r);
  if (!read_line (r, line, out_eof, cancellable, error))
    return FALSE;
  if (*out_eof)
    return TRUE;
  e->line = r->line;
  g_autoptr (GArray) tokens = g_array_new (FALSE, FALSE, sizeof (Token));
  if (!tokenize (r, line->str, line->len, tokens, error)
      || !parse_ascii_header (r, e, tokens, error) || !rebuild_ascii_fields (r, e, tokens, error))
    return FALSE;
  return finish_entry (r, e, e->template_known, error);
}

/* ---- reader: entry loop ---- */

static gboolean
detect_format (OimaMeasureLogReader *r, GCancellable *cancellable, GError **error)
{
  if (!fill (r, 1, cancellable, error))
    return FALSE;
  if (avail (r) == 0)
    return TRUE;
  guint8 c = r->buf[r->pos];
  r->format = (c == ' ' || g_ascii_isdigit (c)) ? OIMA_MEASURE_LOG_ASCII : OIMA_MEASURE_LOG_BINARY;
  return TRUE;
}

gboolean
oima_measure_log_reader_next (OimaMeasureLogReader *reader, OimaMeasureEntry **out_entry,
                              GCancellable *cancellable, GError **error)
{
  OimaMeasureLogReader *r = reader;
  *out_entry = NULL;
  if (r->finished)
    return oima_throw (error, "the measurement list reader stopped after an error");
  if (r->bank != OIMA_MEASURE_BANK_AUTO && r->bank != OIMA_HASH_SHA1 && r->bank != OIMA_HASH_SHA256
      && r->bank != OIMA_HASH_SHA384 && r->bank != OIMA_HASH_SHA512)
    {
      r->finished = TRUE;
      return oima_throw (error, "measurement list bank %s is not sha1, sha256, sha384 or sha512",
                         oima_hash_algo_name (r->bank));
    }
  if (r->format == OIMA_MEASURE_LOG_AUTO && !detect_format (r, cancellable, error))
    return FALSE;
  g_autoptr (OimaMeasureEntry) e = g_new0 (OimaMeasureEntry, 1);
  if (r->format == OIMA_MEASURE_LOG_ASCII)
    {
      gboolean eof = FALSE;
      if (!read_ascii_entry (r, e, &eof, cancellable, error))
        return FALSE;
      if (eof)
        return TRUE;
    }
  else
    {
      if (!fill (r, 1, cancellable, error))
        return FALSE;
      if (avail (r) == 0)
        return TRUE; /* the end, between entries */
      r->entry_offset = cur_offset (r);
      if (!read_binary_entry (r, e, cancellable, error))
        return FALSE;
    }
  *out_entry = g_steal_pointer (&e);
  return TRUE;
}

/* ---- PCR replay ---- */

OimaPcrReplay *
oima_pcr_replay_new (void)
{
  return g_new0 (OimaPcrReplay, 1);
}

void
oima_pcr_replay_free (OimaPcrReplay *replay)
{
  g_free (replay);
}

static guint8 *
bank_value (OimaPcrReplay *replay, guint pcr, OimaHashAlgo bank, gsize *out_len,
            gboolean **out_incomplete)
{
  if (pcr >= OIMA_MEASURE_MAX_PCR)
    return NULL;
  if (bank == OIMA_HASH_SHA1)
    {
      *out_len = 20;
      *out_incomplete = &replay->incomplete_sha1;
      return replay->sha1[pcr];
    }
  if (bank == OIMA_HASH_SHA256)
    {
      *out_len = 32;
      *out_incomplete = &replay->incomplete_sha256;
      return replay->sha256[pcr];
    }
  return NULL;
}

/* What the kernel extended into @bank for @e, or NULL if unknown. */
static const guint8 *
extend_value (const OimaMeasureEntry *e, OimaHashAlgo bank, guint8 *ff)
{
  if (e->violation)
    return ff;
  if (e->template_bank == bank)
    return e->template_hash;
  if (!e->have_replay_hashes)
    return NULL;
  return bank == OIMA_HASH_SHA1 ? e->sha1_hash : e->sha256_hash;
}

void
oima_pcr_replay_extend (OimaPcrReplay *replay, const OimaMeasureEntry *entry)
{
  static const OimaHashAlgo banks[] = { OIMA_HASH_SHA1, OIMA_HASH_SHA256 };
  guint8 ff[OIMA_MAX_DIGEST_SIZE];
  memset (ff, 0xff, sizeof ff);
  for (gsize i = 0; i < G_N_ELEMENTS (banks); i++)
    {
      gsize len = 0;
      gboolean *incomplete = NULL;
      guint8 *pcr = bank_value (replay, entry->pcr, banks[i], &len, &incomplete);
      if (pcr == NULL)
        return;
      const guint8 *v = extend_value (entry, banks[i], ff);
      guint8 buf[2 * 32];
      gsize out_len = 0;
      guint8 digest[OIMA_MAX_DIGEST_SIZE];
      if (v == NULL)
        {
          *incomplete = TRUE;
          continue;
        }
      memcpy (buf, pcr, len);
      memcpy (buf + len, v, len);
      if (!oima_hash_buffer (banks[i], buf, 2 * len, digest, &out_len, NULL))
        *incomplete = TRUE;
      else
        memcpy (pcr, digest, len);
    }
  replay->count[entry->pcr]++;
}

gboolean
oima_pcr_replay_get (OimaPcrReplay *replay, guint pcr, OimaHashAlgo bank, guint8 *out_value,
                     gsize *out_len)
{
  gboolean *incomplete = NULL;
  const guint8 *v = bank_value (replay, pcr, bank, out_len, &incomplete);
  if (v == NULL)
    return FALSE;
  memcpy (out_value, v, *out_len);
  return TRUE;
}

char *
oima_pcr_replay_get_hex (OimaPcrReplay *replay, guint pcr, OimaHashAlgo bank)
{
  guint8 v[OIMA_MAX_DIGEST_SIZE];
  gsize len = 0;
  if (!oima_pcr_replay_get (replay, pcr, bank, v, &len))
    return NULL;
  return oima_hex_encode (v, len);
}

gboolean
oima_pcr_replay_is_complete (OimaPcrReplay *replay, OimaHashAlgo bank)
{
  if (bank == OIMA_HASH_SHA1)
    return !replay->incomplete_sha1;
  if (bank == OIMA_HASH_SHA256)
    return !replay->incomplete_sha256;
  return FALSE;
}

guint64
oima_pcr_replay_get_count (OimaPcrReplay *replay, guint pcr)
{
  return pcr < OIMA_MEASURE_MAX_PCR ? replay->count[pcr] : 0;
}

gboolean
oima_pcr_replay_check (OimaPcrReplay *replay, guint pcr, OimaHashAlgo bank,
                       const char *expected_hex, GError **error)
{
  g_autofree char *actual = oima_pcr_replay_get_hex (replay, pcr, bank);
  if (actual == NULL)
    return oima_throw (error,
                       "PCR %u in bank %s cannot be replayed (only PCRs below %u, sha1 "
                       "and sha256)",
                       pcr, oima_hash_algo_name (bank), OIMA_MEASURE_MAX_PCR);
  g_autofree char *expected = g_ascii_strdown (expected_hex, -1);
  g_strstrip (expected);
  const char *hex = g_str_has_prefix (expected, "0x") ? expected + 2 : expected;
  g_autoptr (GByteArray) ignored = g_byte_array_new ();
  if (strlen (hex) != strlen (actual) || hex_decode_into (hex, strlen (hex), ignored) >= 0)
    return oima_throw (error, "PCR %u (%s): expected value '%s' is not %zu hex digits", pcr,
                       oima_hash_algo_name (bank), expected_hex, strlen (actual));
  if (!oima_pcr_replay_is_complete (replay, bank))
    return oima_throw (error,
                       "PCR %u (%s): cannot replay, an entry of an unknown template could not "
                       "be recomputed in this bank",
                       pcr, oima_hash_algo_name (bank));
  if (strcmp (hex, actual) != 0)
    return oima_throw (error, "PCR %u (%s): the measurement list replays to %s, expected %s", pcr,
                       oima_hash_algo_name (bank), actual, hex);
  return TRUE;
}
