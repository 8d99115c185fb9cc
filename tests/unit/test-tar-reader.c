/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The streaming tar reader against archives written by Python's tarfile
 * (make-tars.py: ustar with a prefix-split name, GNU long names, pax long
 * and UTF-8 paths, gzip): every entry's path and type in order, and every
 * regular file's sha256.  Then malformed input: a bad header checksum, a
 * truncated archive, an absurd or malformed pax header, a compression it
 * does not read; each an error that names the problem.
 */

#include <string.h>

#include "oima-tar-reader.h"
#include "oima-util.h"
#include "test-files.h"

typedef struct
{
  char *dir;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  f->dir = g_dir_make_tmp ("test-tar-reader-XXXXXX", &error);
  g_assert_no_error (error);
  const char *argv[] = { "python3", SRCDIR "/tests/unit/make-tars.py", f->dir, NULL };
  int status = 0;
  g_assert_true (g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
                               NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

static void
teardown (Fixture *f, gconstpointer data)
{
  remove_tree (f->dir);
  g_free (f->dir);
}

static OimaTarReader *
open_archive (const char *path, GError **error)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileInputStream) in = g_file_read (file, NULL, error);
  if (in == NULL)
    return NULL;
  return oima_tar_reader_new (G_INPUT_STREAM (in), error);
}

static char
type_char (OimaTarType t)
{
  switch (t)
    {
    case OIMA_TAR_REGULAR:
      return 'f';
    case OIMA_TAR_DIRECTORY:
      return 'd';
    case OIMA_TAR_SYMLINK:
      return 'l';
    case OIMA_TAR_HARDLINK:
      return 'h';
    default:
      return 'o';
    }
}

/* "PATH\tTYPE\tSHA256" for every entry of @archive, as the manifest has it. */
static char *
read_all (const char *archive)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OimaTarReader) r = open_archive (archive, &error);
  g_assert_no_error (error);
  g_autoptr (GString) s = g_string_new ("");
  OimaTarEntry e;
  while (oima_tar_reader_next (r, &e, NULL, &error) && e.path)
    {
      g_autofree char *hex = NULL;
      if (e.type == OIMA_TAR_REGULAR)
        {
          guint8 digest[OIMA_MAX_DIGEST_SIZE];
          gsize len = 0;
          g_assert_true (oima_tar_reader_hash (r, OIMA_HASH_SHA256, digest, &len, NULL, &error));
          hex = oima_hex_encode (digest, len);
        }
      g_string_append_printf (s, "%s\t%c\t%s\n", e.path, type_char (e.type), hex ? hex : "-");
    }
  g_assert_no_error (error);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static void
test_formats (Fixture *f, gconstpointer data)
{
  g_autofree char *manifest_path = g_build_filename (f->dir, "manifest", NULL);
  g_autofree char *manifest = NULL;
  g_assert_true (g_file_get_contents (manifest_path, &manifest, NULL, NULL));
  const char *archives[] = { "ustar.tar", "gnu.tar", "pax.tar", "pax.tar.gz" };
  for (gsize i = 0; i < G_N_ELEMENTS (archives); i++)
    {
      g_autoptr (GString) want = g_string_new ("");
      g_auto (GStrv) lines = g_strsplit (manifest, "\n", -1);
      g_autofree char *prefix = g_strconcat (archives[i], "\t", NULL);
      for (char **l = lines; *l; l++)
        if (g_str_has_prefix (*l, prefix))
          g_string_append_printf (want, "%s\n", *l + strlen (prefix));
      g_assert_cmpuint (want->len, >, 0);
      g_autofree char *path = g_build_filename (f->dir, archives[i], NULL);
      g_autofree char *got = read_all (path);
      g_test_message ("%s: %s", archives[i], got);
      g_assert_cmpstr (got, ==, want->str);
    }
}

/* The error of reading @data (as an archive) to the end, or NULL. */
static char *
read_error (const void *data, gsize len)
{
  g_autoptr (GInputStream) in = g_memory_input_stream_new_from_data (data, len, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (OimaTarReader) r = oima_tar_reader_new (in, &error);
  if (r == NULL)
    return g_strdup (error->message);
  OimaTarEntry e;
  while (oima_tar_reader_next (r, &e, NULL, &error) && e.path)
    if (e.type == OIMA_TAR_REGULAR)
      {
        guint8 digest[OIMA_MAX_DIGEST_SIZE];
        gsize n = 0;
        if (!oima_tar_reader_hash (r, OIMA_HASH_SHA256, digest, &n, NULL, &error))
          break;
      }
  return error ? g_strdup (error->message) : NULL;
}

/* A ustar header for @name of @type and @size (octal), checksum fixed. */
static void
make_header (guint8 *h, const char *name, char type, const char *size_octal)
{
  memset (h, 0, 512);
  strcpy ((char *)h, name);
  memcpy (h + 100, "0000644", 7);
  memcpy (h + 124, size_octal, strlen (size_octal));
  h[156] = (guint8)type;
  memcpy (h + 257,
          "ustar\0"
          "00",
          8);
  memset (h + 148, ' ', 8);
  guint sum = 0;
  for (int i = 0; i < 512; i++)
    sum += h[i];
  g_snprintf ((char *)h + 148, 8, "%06o", sum);
}

static void
test_malformed (Fixture *f, gconstpointer data)
{
  guint8 buf[4 * 512];
  g_autofree char *err = NULL;

  /* A good one-file archive (data "hi"), then damaged copies. */
  memset (buf, 0, sizeof buf);
  make_header (buf, "a", '0', "2");
  memcpy (buf + 512, "hi", 2);
  err = read_error (buf, sizeof buf);
  g_assert_null (err);

  guint8 bad[sizeof buf];
  memcpy (bad, buf, sizeof buf);
  bad[0] = 'b'; /* name changed, checksum not */
  g_clear_pointer (&err, g_free);
  err = read_error (bad, sizeof bad);
  g_assert_cmpstr (err, ==, "bad tar header checksum at byte 0");

  g_clear_pointer (&err, g_free);
  err = read_error (buf, 300);
  g_assert_cmpstr (err, ==, "truncated tar archive at byte 300");
  g_clear_pointer (&err, g_free);
  err = read_error (buf, 513); /* header, then one byte of two */
  g_assert_cmpstr (err, ==, "truncated tar archive at byte 513");

  /* A pax header claiming 2 GiB of records. */
  memset (bad, 0, sizeof bad);
  make_header (bad, "pax", 'x', "20000000000");
  g_clear_pointer (&err, g_free);
  err = read_error (bad, sizeof bad);
  g_assert_cmpstr (err, ==, "tar extension header of 2147483648 bytes (at most 1048576)");

  /* pax records whose length runs past the data, or without '='. */
  const char *records[] = { "99 path=x\n", "9 pathx\n", "x path=y\n" };
  for (gsize i = 0; i < G_N_ELEMENTS (records); i++)
    {
      memset (bad, 0, sizeof bad);
      g_autofree char *size = g_strdup_printf ("%o", (guint)strlen (records[i]));
      make_header (bad, "pax", 'x', size);
      memcpy (bad + 512, records[i], strlen (records[i]));
      g_clear_pointer (&err, g_free);
      err = read_error (bad, sizeof bad);
      g_assert_cmpstr (err, ==, "malformed pax record in a tar archive");
    }

  /* A size field that is not octal. */
  memset (bad, 0, sizeof bad);
  make_header (bad, "a", '0', "9x");
  g_clear_pointer (&err, g_free);
  err = read_error (bad, sizeof bad);
  g_assert_cmpstr (err, ==, "bad octal number in a tar header");

  /* Compressions it does not read. */
  g_clear_pointer (&err, g_free);
  err = read_error ("\xfd"
                    "7zXZ\0rest",
                    10);
  g_assert_cmpstr (err, ==, "xz-compressed tar archives are not read (plain or gzip)");
  g_clear_pointer (&err, g_free);
  err = read_error ("\x28\xb5\x2f\xfdzstd", 8);
  g_assert_cmpstr (err, ==, "zstd-compressed tar archives are not read (plain or gzip)");

  /* Truncated gzip. */
  g_autofree char *gz_path = g_build_filename (f->dir, "pax.tar.gz", NULL);
  g_autofree char *gz = NULL;
  gsize gz_len = 0;
  g_assert_true (g_file_get_contents (gz_path, &gz, &gz_len, NULL));
  g_clear_pointer (&err, g_free);
  err = read_error (gz, gz_len / 2);
  g_assert_nonnull (err);
  g_test_message ("truncated gzip: %s", err);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/tar-reader/formats", Fixture, NULL, setup, test_formats, teardown);
  g_test_add ("/tar-reader/malformed", Fixture, NULL, setup, test_malformed, teardown);
  return g_test_run ();
}
