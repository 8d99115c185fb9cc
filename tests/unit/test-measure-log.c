/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The measurement list reader and the PCR replay.  Logs are built here in
 * both kernel formats from the same entries; expected template hashes and
 * PCR values are computed independently with OpenSSL (or are constants from
 * Python's hashlib for the fixtures in tests/data/measure-logs/).
 */
#include <string.h>
#include <sys/resource.h>

#include <openssl/evp.h>

#include "oima-measure-log.h"
#include "test-hex.h"

/* ---- building logs ---- */

typedef struct
{
  guint32 pcr;
  const char *name;
  guint n_fields;
  const char *ids[OIMA_MEASURE_MAX_FIELDS];
  GBytes *data[OIMA_MEASURE_MAX_FIELDS];
  gboolean violation;
  gboolean corrupt_hash; /* log a wrong template hash */
} TestEntry;

static void
test_entry_clear (TestEntry *t)
{
  for (guint i = 0; i < t->n_fields; i++)
    g_bytes_unref (t->data[i]);
  memset (t, 0, sizeof *t);
}

static void
add_field (TestEntry *t, const char *id, const void *data, gsize len)
{
  t->ids[t->n_fields] = id;
  t->data[t->n_fields++] = g_bytes_new (data, len);
}

/* A string field as the kernel stores it (with its NUL). */
static void
add_string (TestEntry *t, const char *id, const char *s)
{
  add_field (t, id, s, strlen (s) + 1);
}

/* "ALGO:\0" + digest */
static void
add_digest_ng (TestEntry *t, const char *id, const char *prefix, const guint8 *d, gsize len)
{
  g_autoptr (GByteArray) b = g_byte_array_new ();
  g_byte_array_append (b, (const guint8 *)prefix, strlen (prefix));
  g_byte_array_append (b, (const guint8 *)"", 1);
  g_byte_array_append (b, d, len);
  add_field (t, id, b->data, b->len);
}

static char *
hex (const guint8 *p, gsize len)
{
  GString *s = g_string_new (NULL);
  for (gsize i = 0; i < len; i++)
    g_string_append_printf (s, "%02x", p[i]);
  return g_string_free (s, FALSE);
}

static void
le32 (GByteArray *b, guint32 v)
{
  guint8 x[4] = { v, v >> 8, v >> 16, v >> 24 };
  g_byte_array_append (b, x, 4);
}

static gboolean
is_ima_template (const TestEntry *t)
{
  return strcmp (t->name, "ima") == 0;
}

/* What the template hash covers. */
static GByteArray *
hashed_data (const TestEntry *t)
{
  GByteArray *b = g_byte_array_new ();
  if (is_ima_template (t))
    {
      guint8 name[256] = { 0 };
      g_byte_array_append (b, g_bytes_get_data (t->data[0], NULL), 20);
      memcpy (name, g_bytes_get_data (t->data[1], NULL), g_bytes_get_size (t->data[1]));
      g_byte_array_append (b, name, sizeof name);
      return b;
    }
  for (guint i = 0; i < t->n_fields; i++)
    {
      le32 (b, g_bytes_get_size (t->data[i]));
      g_byte_array_append (b, g_bytes_get_data (t->data[i], NULL), g_bytes_get_size (t->data[i]));
    }
  return b;
}

static gsize
evp_hash (const char *md, const void *data, gsize len, guint8 *out)
{
  unsigned int n = 0;
  g_assert_true (EVP_Digest (data, len, out, &n, EVP_get_digestbyname (md), NULL));
  return n;
}

static gsize
template_hash (const TestEntry *t, const char *md, guint8 *out)
{
  g_autoptr (GByteArray) b = hashed_data (t);
  return evp_hash (md, b->data, b->len, out);
}

/* The hash as logged (zeros for a violation, wrong if asked). */
static gsize
logged_hash (const TestEntry *t, const char *md, guint8 *out)
{
  gsize n = template_hash (t, md, out);
  if (t->violation)
    memset (out, 0, n);
  if (t->corrupt_hash)
    out[3] ^= 0x40;
  return n;
}

static void
render_binary (const TestEntry *t, const char *md, GByteArray *out)
{
  guint8 h[EVP_MAX_MD_SIZE];
  gsize n = logged_hash (t, md, h);
  le32 (out, t->pcr);
  g_byte_array_append (out, h, n);
  le32 (out, strlen (t->name));
  g_byte_array_append (out, (const guint8 *)t->name, strlen (t->name));
  if (is_ima_template (t))
    {
      g_byte_array_append (out, g_bytes_get_data (t->data[0], NULL), 20);
      le32 (out, g_bytes_get_size (t->data[1]));
      g_byte_array_append (out, g_bytes_get_data (t->data[1], NULL), g_bytes_get_size (t->data[1]));
      return;
    }
  g_autoptr (GByteArray) d = hashed_data (t);
  le32 (out, d->len);
  g_byte_array_append (out, d->data, d->len);
}

static void
render_ascii_field (const char *id, GBytes *bytes, GString *out)
{
  gsize len = 0;
  const guint8 *p = g_bytes_get_data (bytes, &len);
  g_autofree char *h = NULL;
  if (len == 0)
    return;
  if (g_str_has_prefix (id, "d-"))
    {
      gsize plen = strlen ((const char *)p);
      g_string_append (out, (const char *)p);
      h = hex (p + plen + 1, len - plen - 1);
      g_string_append (out, h);
    }
  else if (strcmp (id, "n") == 0 || strcmp (id, "n-ng") == 0 || strcmp (id, "xattrnames") == 0)
    g_string_append_len (out, (const char *)p, strnlen ((const char *)p, len));
  else if (strcmp (id, "iuid") == 0 || strcmp (id, "igid") == 0)
    g_string_append_printf (out, "%u", p[0] | p[1] << 8 | p[2] << 16 | (guint32)p[3] << 24);
  else if (strcmp (id, "imode") == 0)
    g_string_append_printf (out, "%u", p[0] | p[1] << 8);
  else
    {
      h = hex (p, len);
      g_string_append (out, h);
    }
}

static void
render_ascii (const TestEntry *t, const char *md, GString *out)
{
  guint8 h[EVP_MAX_MD_SIZE];
  gsize n = logged_hash (t, md, h);
  g_autofree char *hh = hex (h, n);
  g_string_append_printf (out, "%2u %s %s", t->pcr, hh, t->name);
  for (guint i = 0; i < t->n_fields; i++)
    {
      g_string_append_c (out, ' ');
      render_ascii_field (t->ids[i], t->data[i], out);
    }
  g_string_append_c (out, '\n');
}

/* Expected PCR values, replayed here with OpenSSL. */
typedef struct
{
  guint8 sha1[20];
  guint8 sha256[32];
} TestPcr;

static void
test_pcr_extend (TestPcr *pcr, const TestEntry *t)
{
  guint8 buf[64], h1[20], h256[32];
  if (t->violation)
    {
      memset (h1, 0xff, 20);
      memset (h256, 0xff, 32);
    }
  else
    {
      logged_hash (t, "SHA1", h1); /* the sha1 list: what is logged is extended */
      template_hash (t, "SHA256", h256);
    }
  memcpy (buf, pcr->sha1, 20);
  memcpy (buf + 20, h1, 20);
  evp_hash ("SHA1", buf, 40, pcr->sha1);
  memcpy (buf, pcr->sha256, 32);
  memcpy (buf + 32, h256, 32);
  evp_hash ("SHA256", buf, 64, pcr->sha256);
}

/* ---- the entries of the main test ---- */

/* clang-format off */
static const char real_rsa_sig[] =
  "030204f3452d2301009dd340c852f37e35748363586939d4199b6684be27e7c1"
  "236ca1528f708372ed9cd52a0d991f66448790f5616ed5bd7f9bbd22193b1e3e"
  "54f6bf29a1497945a34d1b418b24f4cbeaef897bf3cebca27065ebb8761b46bc"
  "2662fe76f141245b9186a5ac8493c7f4976cf0d6dfc085c3e503e3f771bc3ccb"
  "121230db76fd8aba4f45f060ad64ab3afd99b4e52824b9eba12e93e46f9dcb2f"
  "a01d9cef89f298a0da02a82a4fb56924afd3e3c277a1302d99f770d488449df2"
  "d43eb5b174a0a528827e6877b965c2f0b7c89cf1aa26a7417a892df4c2294e28"
  "72d62748b72ea04ecb0689b5d792e615a9bf9d56f6e0f298560bf9441df0a227"
  "29c5f23389f028c25f";
/* clang-format on */

#define N_MAIN 10

static void
make_main_entries (TestEntry *e)
{
  guint8 d[64];
  memset (e, 0, N_MAIN * sizeof *e);
  for (guint i = 0; i < N_MAIN; i++)
    e[i].pcr = 10;
  /* 0: boot_aggregate without a TPM */
  memset (d, 0, sizeof d);
  e[0].name = "ima-ng";
  add_digest_ng (&e[0], "d-ng", "sha256:", d, 32);
  add_string (&e[0], "n-ng", "boot_aggregate");
  /* 1: ima-ng */
  evp_hash ("SHA256", "bash", 4, d);
  e[1].name = "ima-ng";
  add_digest_ng (&e[1], "d-ng", "sha256:", d, 32);
  add_string (&e[1], "n-ng", "/usr/bin/bash");
  /* 2: ima-sig with a real RSA signature (Keylime's test data) */
  g_autoptr (GBytes) sig = bytes_from_hex (real_rsa_sig);
  e[2].name = "ima-sig";
  add_digest_ng (&e[2], "d-ng", "sha256:", d, 32);
  add_string (&e[2], "n-ng", "/usr/bin/dd");
  add_field (&e[2], "sig", g_bytes_get_data (sig, NULL), g_bytes_get_size (sig));
  /* 3: ima-sig without a signature (empty last field) */
  e[3].name = "ima-sig";
  add_digest_ng (&e[3], "d-ng", "sha512:", d, 64);
  add_string (&e[3], "n-ng", "/etc/ld.so.cache");
  add_field (&e[3], "sig", "", 0);
  /* 4: ima-buf: the kexec command line */
  const char *cmdline = "root=/dev/vda1 ro ima_policy=tcb";
  evp_hash ("SHA256", cmdline, strlen (cmdline), d);
  e[4].name = "ima-buf";
  add_digest_ng (&e[4], "d-ng", "sha256:", d, 32);
  add_string (&e[4], "n-ng", "kexec-cmdline");
  add_field (&e[4], "buf", cmdline, strlen (cmdline));
  /* 5: a violation (ToMToU): zero digest, zero template hash */
  memset (d, 0, sizeof d);
  e[5].name = "ima-ng";
  e[5].violation = TRUE;
  add_digest_ng (&e[5], "d-ng", "sha256:", d, 32);
  add_string (&e[5], "n-ng", "/var/log/messages");
  /* 6: the original 'ima' template */
  evp_hash ("SHA1", "kmod", 4, d);
  e[6].name = "ima";
  add_field (&e[6], "d", d, 20);
  add_field (&e[6], "n", "/usr/bin/kmod", strlen ("/usr/bin/kmod"));
  /* 7: ima-ngv2 with an fs-verity digest */
  evp_hash ("SHA256", "verity", 6, d);
  e[7].name = "ima-ngv2";
  add_digest_ng (&e[7], "d-ngv2", "verity:sha256:", d, 32);
  add_string (&e[7], "n-ng", "/usr/lib/libc.so.6");
  /* 8: evm-sig: uid 0, gid 42, mode 0100755 */
  guint8 uid[4] = { 0, 0, 0, 0 }, gid[4] = { 42, 0, 0, 0 }, mode[2] = { 0xed, 0x81 };
  guint8 lengths[4] = { 3, 0, 0, 0 };
  e[8].name = "evm-sig";
  add_digest_ng (&e[8], "d-ng", "sha256:", d, 32);
  add_string (&e[8], "n-ng", "/usr/sbin/init");
  add_field (&e[8], "evmsig", "\x05\x02\x04", 3);
  add_string (&e[8], "xattrnames", "security.ima");
  add_field (&e[8], "xattrlengths", lengths, 4);
  add_field (&e[8], "xattrvalues", "\x04\x04\x00", 3);
  add_field (&e[8], "iuid", uid, 4);
  add_field (&e[8], "igid", gid, 4);
  add_field (&e[8], "imode", mode, 2);
  /* 9: a custom format (ima_template_fmt=d-ng|n-ng|iuid) on PCR 11 */
  e[9].pcr = 11;
  e[9].name = "d-ng|n-ng|iuid";
  add_digest_ng (&e[9], "d-ng", "sha1:", d, 20);
  add_string (&e[9], "n-ng", "/opt/tool");
  add_field (&e[9], "iuid", gid, 4);
}

static void
clear_entries (TestEntry *e, guint n)
{
  for (guint i = 0; i < n; i++)
    test_entry_clear (&e[i]);
}

static GBytes *
build_log (const TestEntry *e, guint n, gboolean ascii, const char *md)
{
  g_autoptr (GByteArray) bin = g_byte_array_new ();
  g_autoptr (GString) txt = g_string_new (NULL);
  for (guint i = 0; i < n; i++)
    {
      if (ascii)
        render_ascii (&e[i], md, txt);
      else
        render_binary (&e[i], md, bin);
    }
  if (ascii)
    return g_string_free_to_bytes (g_steal_pointer (&txt));
  return g_byte_array_free_to_bytes (g_steal_pointer (&bin));
}

/* Read everything; an error fails the test. */
static GPtrArray *
read_all (GBytes *log, OimaMeasureLogFormat fmt, OimaHashAlgo bank, OimaPcrReplay *replay)
{
  g_autoptr (GInputStream) in = g_memory_input_stream_new_from_bytes (log);
  g_autoptr (OimaMeasureLogReader) r = oima_measure_log_reader_new (in, fmt, bank);
  GPtrArray *entries = g_ptr_array_new_with_free_func ((GDestroyNotify)oima_measure_entry_free);
  for (;;)
    {
      g_autoptr (GError) error = NULL;
      OimaMeasureEntry *e = NULL;
      g_assert_true (oima_measure_log_reader_next (r, &e, NULL, &error));
      g_assert_no_error (error);
      if (e == NULL)
        break;
      if (replay != NULL)
        oima_pcr_replay_extend (replay, e);
      g_ptr_array_add (entries, e);
    }
  return entries;
}

/* Read until the error; check its message. */
static void
assert_log_error (GBytes *log, OimaMeasureLogFormat fmt, OimaHashAlgo bank, const char *expected)
{
  g_autoptr (GInputStream) in = g_memory_input_stream_new_from_bytes (log);
  g_autoptr (OimaMeasureLogReader) r = oima_measure_log_reader_new (in, fmt, bank);
  g_autoptr (GError) error = NULL;
  for (guint i = 0; i < 1000; i++)
    {
      g_autoptr (OimaMeasureEntry) e = NULL;
      if (!oima_measure_log_reader_next (r, &e, NULL, &error))
        break;
      g_assert_nonnull (e);
    }
  g_assert_nonnull (error);
  if (strstr (error->message, expected) == NULL)
    g_error ("expected an error containing '%s', got '%s'", expected, error->message);
  /* The reader is finished. */
  g_autoptr (GError) again = NULL;
  g_autoptr (OimaMeasureEntry) e = NULL;
  g_assert_false (oima_measure_log_reader_next (r, &e, NULL, &again));
  g_assert_nonnull (again);
  g_assert_nonnull (strstr (again->message, "stopped after an error"));
}

static void
assert_entry_matches (const OimaMeasureEntry *got, const TestEntry *t, guint index,
                      OimaHashAlgo bank)
{
  g_assert_cmpuint (got->index, ==, index);
  g_assert_cmpuint (got->pcr, ==, t->pcr);
  g_assert_cmpstr (got->template_name, ==, t->name);
  g_assert_true (got->template_known);
  g_assert_cmpint (got->template_bank, ==, bank);
  g_assert_cmpuint (got->n_fields, ==, t->n_fields);
  for (guint i = 0; i < t->n_fields; i++)
    {
      g_assert_cmpstr (got->fields[i].id, ==, t->ids[i]);
      g_assert_true (g_bytes_equal (got->fields[i].data, t->data[i]));
    }
  g_assert_cmpint (got->violation, ==, t->violation);
  g_assert_cmpint (got->template_hash_checked, ==, !t->violation);
  g_assert_cmpint (got->template_hash_ok, ==, !t->violation && !t->corrupt_hash);
}

static void
check_main_decoding (GPtrArray *got)
{
  OimaMeasureEntry **e = (OimaMeasureEntry **)got->pdata;
  g_assert_cmpstr (e[0]->path, ==, "boot_aggregate");
  g_assert_cmpstr (e[0]->digest_algo_name, ==, "sha256");
  g_assert_cmpint (e[0]->digest_algo, ==, OIMA_HASH_SHA256);
  g_assert_cmpuint (g_bytes_get_size (e[0]->digest), ==, 32);
  g_assert_null (e[0]->sig);
  /* The real signature decodes */
  OimaXattrValue v;
  g_autoptr (GError) error = NULL;
  g_assert_true (oima_measure_entry_decode_sig (e[2], &v, &error));
  g_assert_no_error (error);
  g_assert_cmphex (v.keyid, ==, 0xf3452d23);
  g_assert_cmpuint (v.sig_len, ==, 256);
  g_assert_false (oima_measure_entry_decode_sig (e[3], &v, &error));
  g_assert_cmpstr (error->message, ==, "measurement entry 3 has no signature");
  g_clear_error (&error);
  g_assert_cmpint (e[3]->digest_algo, ==, OIMA_HASH_SHA512);
  g_assert_cmpuint (g_bytes_get_size (e[4]->buf), ==, strlen ("root=/dev/vda1 ro ima_policy=tcb"));
  g_assert_cmpstr (e[4]->path, ==, "kexec-cmdline");
  g_assert_true (e[5]->violation);
  g_assert_cmpstr (e[6]->path, ==, "/usr/bin/kmod");
  g_assert_cmpint (e[6]->digest_algo, ==, OIMA_HASH_SHA1);
  g_assert_cmpint (e[7]->digest_type, ==, OIMA_MEASURE_DIGEST_TYPE_VERITY);
  g_assert_cmpstr (e[7]->digest_algo_name, ==, "sha256");
  g_assert_cmpuint (g_bytes_get_size (e[8]->evmsig), ==, 3);
  g_assert_nonnull (oima_measure_entry_get_field (e[8], "imode"));
  g_assert_null (oima_measure_entry_get_field (e[8], "buf"));
  g_assert_cmpstr (e[9]->path, ==, "/opt/tool");
}

static void
assert_replay (OimaPcrReplay *replay, guint pcr, const TestPcr *want)
{
  g_autofree char *sha1 = hex (want->sha1, 20);
  g_autofree char *sha256 = hex (want->sha256, 32);
  g_autofree char *got1 = oima_pcr_replay_get_hex (replay, pcr, OIMA_HASH_SHA1);
  g_autofree char *got256 = oima_pcr_replay_get_hex (replay, pcr, OIMA_HASH_SHA256);
  g_assert_cmpstr (got1, ==, sha1);
  g_assert_cmpstr (got256, ==, sha256);
  g_autoptr (GError) error = NULL;
  g_assert_true (oima_pcr_replay_check (replay, pcr, OIMA_HASH_SHA256, sha256, &error));
  g_assert_no_error (error);
  g_assert_true (oima_pcr_replay_is_complete (replay, OIMA_HASH_SHA1));
  g_assert_true (oima_pcr_replay_is_complete (replay, OIMA_HASH_SHA256));
}

static void
expected_pcrs (const TestEntry *e, guint n, TestPcr *pcr10, TestPcr *pcr11)
{
  memset (pcr10, 0, sizeof *pcr10);
  memset (pcr11, 0, sizeof *pcr11);
  for (guint i = 0; i < n; i++)
    test_pcr_extend (e[i].pcr == 10 ? pcr10 : pcr11, &e[i]);
}

/* Build the log of @e (template hashes in @md's bank), read it, check every
 * entry and the replay of PCRs 10 and 11 against OpenSSL's; returns the entries. */
static GPtrArray *
read_and_check (TestEntry *e, gboolean ascii, const char *md, OimaMeasureLogFormat fmt,
                OimaHashAlgo bank, OimaHashAlgo want_bank)
{
  TestPcr pcr10, pcr11;
  expected_pcrs (e, N_MAIN, &pcr10, &pcr11);
  g_autoptr (GBytes) log = build_log (e, N_MAIN, ascii, md);
  g_autoptr (OimaPcrReplay) replay = oima_pcr_replay_new ();
  g_autoptr (GPtrArray) got = read_all (log, fmt, bank, replay);
  g_assert_cmpuint (got->len, ==, N_MAIN);
  for (guint i = 0; i < N_MAIN; i++)
    assert_entry_matches (got->pdata[i], &e[i], i, want_bank);
  /* In the list's bank the logged hash is extended (the kernel's value, even
   * where the template data does not match it), in the other the
   * recomputed one. */
  assert_replay (replay, 10, &pcr10);
  assert_replay (replay, 11, &pcr11);
  g_assert_cmpuint (oima_pcr_replay_get_count (replay, 10), ==, N_MAIN - 1);
  g_assert_cmpuint (oima_pcr_replay_get_count (replay, 11), ==, 1);
  return g_steal_pointer (&got);
}

/* Both formats of the same entries decode to the same fields, hashes and PCRs. */
static void
test_both_formats (void)
{
  TestEntry e[N_MAIN];
  make_main_entries (e);
  for (int ascii = 0; ascii <= 1; ascii++)
    {
      g_autoptr (GPtrArray) got = read_and_check (e, ascii, "SHA1", OIMA_MEASURE_LOG_AUTO,
                                                  OIMA_MEASURE_BANK_AUTO, OIMA_HASH_SHA1);
      check_main_decoding (got);
      OimaMeasureEntry *first = got->pdata[0];
      g_assert_cmpuint (first->offset, ==, 0);
      g_assert_cmpuint (first->line, ==, ascii ? 1 : 0);
    }
  clear_entries (e, N_MAIN);
}

/* The per-bank lists (ascii_runtime_measurements_sha256): same entries,
 * sha256 template hashes, same PCR values. */
static void
test_sha256_bank (void)
{
  TestEntry e[N_MAIN];
  make_main_entries (e);
  for (int ascii = 0; ascii <= 1; ascii++)
    for (int explicit_bank = 0; explicit_bank <= 1; explicit_bank++)
      {
        OimaHashAlgo bank = explicit_bank ? OIMA_HASH_SHA256 : OIMA_MEASURE_BANK_AUTO;
        OimaMeasureLogFormat fmt = ascii ? OIMA_MEASURE_LOG_ASCII : OIMA_MEASURE_LOG_BINARY;
        g_autoptr (GPtrArray) got
            = read_and_check (e, ascii, "SHA256", fmt, bank, OIMA_HASH_SHA256);
        OimaMeasureEntry *e0 = got->pdata[0];
        g_assert_cmpuint (e0->template_hash_len, ==, 32);
      }
  /* A sha256 list read as sha1 fails at once */
  g_autoptr (GBytes) log = build_log (e, N_MAIN, TRUE, "SHA256");
  assert_log_error (log, OIMA_MEASURE_LOG_AUTO, OIMA_HASH_SHA1,
                    "line 1 (entry 0, byte offset 0): column 4: template hash has 64 hex digits, "
                    "expected 40 (sha1)");
  clear_entries (e, N_MAIN);
}

/* A wrong template hash is flagged, not an error. */
static void
test_wrong_template_hash (void)
{
  TestEntry e[N_MAIN];
  make_main_entries (e);
  e[1].corrupt_hash = TRUE;
  e[6].corrupt_hash = TRUE;
  for (int ascii = 0; ascii <= 1; ascii++)
    {
      g_autoptr (GPtrArray) got = read_and_check (e, ascii, "SHA1", OIMA_MEASURE_LOG_AUTO,
                                                  OIMA_MEASURE_BANK_AUTO, OIMA_HASH_SHA1);
      OimaMeasureEntry *bad = got->pdata[1];
      g_assert_true (bad->template_hash_checked);
      g_assert_false (bad->template_hash_ok);
    }
  clear_entries (e, N_MAIN);
}

static void
test_replay_check_errors (void)
{
  TestEntry e[N_MAIN];
  make_main_entries (e);
  g_autoptr (GBytes) log = build_log (e, 2, FALSE, "SHA1");
  g_autoptr (OimaPcrReplay) replay = oima_pcr_replay_new ();
  g_autoptr (GPtrArray) got = read_all (log, OIMA_MEASURE_LOG_AUTO, OIMA_MEASURE_BANK_AUTO, replay);
  g_assert_cmpuint (got->len, ==, 2);
  g_autofree char *actual = oima_pcr_replay_get_hex (replay, 10, OIMA_HASH_SHA1);
  g_autofree char *upper = g_ascii_strup (actual, -1);
  g_autofree char *sysfs = g_strdup_printf ("0x%s\n", upper);
  g_autoptr (GError) error = NULL;
  g_assert_true (oima_pcr_replay_check (replay, 10, OIMA_HASH_SHA1, sysfs, &error));
  g_assert_no_error (error);
  const char *zeros = "0000000000000000000000000000000000000000";
  g_assert_false (oima_pcr_replay_check (replay, 10, OIMA_HASH_SHA1, zeros, &error));
  g_autofree char *msg = g_strdup_printf (
      "PCR 10 (sha1): the measurement list replays to %s, expected %s", actual, zeros);
  g_assert_cmpstr (error->message, ==, msg);
  g_clear_error (&error);
  g_assert_false (oima_pcr_replay_check (replay, 10, OIMA_HASH_SHA1, "12zz", &error));
  g_assert_cmpstr (error->message, ==, "PCR 10 (sha1): expected value '12zz' is not 40 hex digits");
  g_clear_error (&error);
  g_assert_false (oima_pcr_replay_check (replay, 10, OIMA_HASH_SHA384, zeros, &error));
  g_assert_nonnull (strstr (error->message, "PCR 10 in bank sha384 cannot be replayed"));
  g_clear_error (&error);
  /* An untouched PCR is zero */
  g_assert_true (oima_pcr_replay_check (replay, 3, OIMA_HASH_SHA1, zeros, &error));
  g_assert_no_error (error);
  clear_entries (e, N_MAIN);
}

/* A name with spaces (kernels before they were replaced by '_'). */
static void
test_ascii_name_with_spaces (void)
{
  TestEntry t = { 0 };
  guint8 d[32] = { 1, 2, 3 };
  t.pcr = 10;
  t.name = "ima-sig";
  add_digest_ng (&t, "d-ng", "sha256:", d, 32);
  add_string (&t, "n-ng", "/home/me/My  Documents/a b");
  add_field (&t, "sig", "\x03\x02", 2);
  g_autoptr (GBytes) log = build_log (&t, 1, TRUE, "SHA1");
  g_autoptr (GPtrArray) got = read_all (log, OIMA_MEASURE_LOG_AUTO, OIMA_MEASURE_BANK_AUTO, NULL);
  OimaMeasureEntry *e = got->pdata[0];
  g_assert_cmpstr (e->path, ==, "/home/me/My  Documents/a b");
  g_assert_true (e->template_hash_ok);
  g_assert_cmpuint (g_bytes_get_size (e->sig), ==, 2);
  test_entry_clear (&t);
}

/* sha384 file digests (the main entries cover sha1, sha256 and sha512),
 * in both formats. */
static void
test_sha384_digest (void)
{
  TestEntry t = { 0 };
  guint8 d[48];
  evp_hash ("SHA384", "perl", 4, d);
  t.pcr = 10;
  t.name = "ima-ng";
  add_digest_ng (&t, "d-ng", "sha384:", d, 48);
  add_string (&t, "n-ng", "/usr/bin/perl");
  for (int ascii = 0; ascii <= 1; ascii++)
    {
      g_autoptr (GBytes) log = build_log (&t, 1, ascii, "SHA1");
      g_autoptr (GPtrArray) got
          = read_all (log, OIMA_MEASURE_LOG_AUTO, OIMA_MEASURE_BANK_AUTO, NULL);
      g_assert_cmpuint (got->len, ==, 1);
      OimaMeasureEntry *e = got->pdata[0];
      g_assert_cmpint (e->digest_algo, ==, OIMA_HASH_SHA384);
      g_assert_cmpmem (g_bytes_get_data (e->digest, NULL), g_bytes_get_size (e->digest), d, 48);
      g_assert_true (e->template_hash_ok);
    }
  test_entry_clear (&t);
}

static char *
fixture_path (const char *name)
{
  const char *srcdir = g_getenv ("OSTREE_IMA_SRCDIR");
  return g_build_filename (srcdir ? srcdir : SRCDIR, "tests/data/measure-logs", name, NULL);
}

static GBytes *
read_fixture (const char *name)
{
  g_autofree char *path = fixture_path (name);
  g_autoptr (GError) error = NULL;
  g_autoptr (GMappedFile) f = g_mapped_file_new (path, FALSE, &error);
  g_assert_no_error (error);
  return g_mapped_file_get_bytes (f);
}

/* Entries logged by real kernels (Keylime's test data), both formats; the
 * expected PCR values were computed with Python's hashlib. */
static void
test_fixtures (void)
{
  const char *names[] = { "keylime-mixed.ascii", "keylime-mixed.binary" };
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr (GBytes) log = read_fixture (names[i]);
      g_autoptr (OimaPcrReplay) replay = oima_pcr_replay_new ();
      g_autoptr (GPtrArray) got
          = read_all (log, OIMA_MEASURE_LOG_AUTO, OIMA_MEASURE_BANK_AUTO, replay);
      g_assert_cmpuint (got->len, ==, 9);
      for (guint j = 0; j < got->len; j++)
        {
          OimaMeasureEntry *e = got->pdata[j];
          g_assert_true (e->template_known);
          g_assert_true (e->template_hash_checked);
          g_assert_true (e->template_hash_ok);
        }
      OimaMeasureEntry *dd = got->pdata[3];
      g_assert_cmpstr (dd->path, ==, "/usr/bin/dd");
      OimaXattrValue v;
      g_autoptr (GError) error = NULL;
      g_assert_true (oima_measure_entry_decode_sig (dd, &v, &error));
      g_assert_cmphex (v.keyid, ==, 0xf3452d23);
      g_autofree char *th = oima_measure_entry_template_hash_hex (got->pdata[0]);
      g_assert_cmpstr (th, ==, "0c8a706a75a5689c1e168f0a573a3cbec33061b5");
      OimaMeasureEntry *kmod = got->pdata[6];
      g_assert_cmpstr (kmod->template_name, ==, "ima");
      g_assert_cmpstr (kmod->path, ==, "/usr/bin/kmod");
      OimaMeasureEntry *buf = got->pdata[5];
      g_assert_cmpstr (buf->path, ==, "device_resume");
      g_assert_true (oima_pcr_replay_check (replay, 10, OIMA_HASH_SHA1,
                                            "731e43fe9dbc90336c16f48b23b6cf954be84a86", &error));
      g_assert_true (oima_pcr_replay_check (
          replay, 10, OIMA_HASH_SHA256,
          "54f76917ea489ebeb9bee3bb73d8cadcb16639a9edc795556defe4e2e9f5655c", &error));
      g_assert_no_error (error);
    }
  g_autoptr (GBytes) ng = read_fixture ("keylime-ima-ng.ascii");
  g_autoptr (OimaPcrReplay) replay = oima_pcr_replay_new ();
  g_autoptr (GPtrArray) got = read_all (ng, OIMA_MEASURE_LOG_ASCII, OIMA_HASH_SHA1, replay);
  g_assert_cmpuint (got->len, ==, 2);
  g_autoptr (GError) error = NULL;
  g_assert_true (oima_pcr_replay_check (
      replay, 10, OIMA_HASH_SHA256,
      "8dcd5e7eb63e363377ec19b0d358601ccc19f25a30486f35784c5288dbb91d9d", &error));
  g_assert_true (oima_pcr_replay_check (replay, 10, OIMA_HASH_SHA1,
                                        "8adcb4304b78ee782bbba3733b191591e75dc83d", &error));
  g_assert_no_error (error);
}

static void
test_empty_log (void)
{
  for (int fmt = OIMA_MEASURE_LOG_AUTO; fmt <= OIMA_MEASURE_LOG_BINARY; fmt++)
    {
      g_autoptr (GBytes) empty = g_bytes_new (NULL, 0);
      g_autoptr (OimaPcrReplay) replay = oima_pcr_replay_new ();
      g_autoptr (GPtrArray) got = read_all (empty, fmt, OIMA_MEASURE_BANK_AUTO, replay);
      g_assert_cmpuint (got->len, ==, 0);
      g_autofree char *pcr = oima_pcr_replay_get_hex (replay, 10, OIMA_HASH_SHA256);
      g_assert_cmpstr (pcr, ==, "0000000000000000000000000000000000000000000000000000000000000000");
    }
}

static GBytes *
slice (GBytes *b, gsize from, gsize to)
{
  return g_bytes_new_from_bytes (b, from, to - from);
}

static GBytes *
concat (GBytes *a, const void *tail, gsize tail_len)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_byte_array_append (out, g_bytes_get_data (a, NULL), g_bytes_get_size (a));
  g_byte_array_append (out, tail, tail_len);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

/* Patch the u32 at @at of a copy of @b. */
static GBytes *
patch_le32 (GBytes *b, gsize at, guint32 v)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_byte_array_append (out, g_bytes_get_data (b, NULL), g_bytes_get_size (b));
  guint8 x[4] = { v, v >> 8, v >> 16, v >> 24 };
  memcpy (out->data + at, x, 4);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

static void
test_binary_errors (void)
{
  TestEntry e[N_MAIN];
  make_main_entries (e);
  g_autoptr (GBytes) one = build_log (e, 1, FALSE, "SHA1");
  g_autoptr (GBytes) two = build_log (e, 2, FALSE, "SHA1");
  gsize n1 = g_bytes_get_size (one); /* entry 1 starts here */
  g_autofree char *at1 = g_strdup_printf ("entry 1 at byte offset %zu: ", n1);
  /* Truncated in the header, in the template data */
  g_autoptr (GBytes) t1 = slice (two, 0, 10);
  assert_log_error (t1, OIMA_MEASURE_LOG_BINARY, OIMA_HASH_SHA1,
                    "measurement list entry 0 at byte offset 0: truncated in the template hash "
                    "(6 of 20 bytes)");
  assert_log_error (t1, OIMA_MEASURE_LOG_AUTO, OIMA_MEASURE_BANK_AUTO,
                    "entry 0 at byte offset 0: truncated in the entry header (10 bytes)");
  g_autoptr (GBytes) t2 = slice (two, 0, g_bytes_get_size (two) - 5);
  g_autofree char *m2 = g_strdup_printf ("%struncated in the template data", at1);
  assert_log_error (t2, OIMA_MEASURE_LOG_AUTO, OIMA_MEASURE_BANK_AUTO, m2);
  /* Trailing partial bytes after a complete list */
  g_autoptr (GBytes) t3 = concat (two, "\x0a\x00\x00", 3);
  g_autofree char *m3 = g_strdup_printf ("entry 2 at byte offset %zu: truncated in the PCR index "
                                         "(3 of 4 bytes)",
                                         g_bytes_get_size (two));
  assert_log_error (t3, OIMA_MEASURE_LOG_BINARY, OIMA_HASH_SHA1, m3);
  /* Absurd lengths: template data, template name, PCR index, a field */
  gsize name_len_at = n1 + 4 + 20;
  gsize data_len_at = name_len_at + 4 + strlen ("ima-ng");
  g_autoptr (GBytes) a1 = patch_le32 (two, data_len_at, 0x7fffffff);
  g_autofree char *ma1 = g_strdup_printf (
      "%stemplate data length 2147483647 exceeds the maximum %u", at1, OIMA_MEASURE_MAX_DATA_LEN);
  assert_log_error (a1, OIMA_MEASURE_LOG_AUTO, OIMA_MEASURE_BANK_AUTO, ma1);
  g_autoptr (GBytes) a2 = patch_le32 (two, name_len_at, 100000);
  g_autofree char *ma2
      = g_strdup_printf ("%stemplate name length 100000 exceeds the maximum 255", at1);
  assert_log_error (a2, OIMA_MEASURE_LOG_BINARY, OIMA_HASH_SHA1, ma2);
  g_autoptr (GBytes) a3 = patch_le32 (two, n1, 0x01000000);
  g_autofree char *ma3 = g_strdup_printf ("%sPCR index 16777216 is not below 64", at1);
  assert_log_error (a3, OIMA_MEASURE_LOG_BINARY, OIMA_HASH_SHA1, ma3);
  g_autoptr (GBytes) a4 = patch_le32 (two, data_len_at + 4, 0xfffffff0);
  g_autofree char *ma4 = g_strdup_printf (
      "%sfield 0 length 4294967280 exceeds the %zu bytes left in the template data", at1,
      (gsize)(g_bytes_get_size (two) - data_len_at - 8));
  assert_log_error (a4, OIMA_MEASURE_LOG_BINARY, OIMA_HASH_SHA1, ma4);
  /* A known template with the wrong number of fields */
  TestEntry bad = { 0 };
  bad.pcr = 10;
  bad.name = "ima-sig";
  add_string (&bad, "n-ng", "/x");
  g_autoptr (GBytes) b1 = build_log (&bad, 1, FALSE, "SHA1");
  assert_log_error (b1, OIMA_MEASURE_LOG_BINARY, OIMA_HASH_SHA1,
                    "entry 0 at byte offset 0: template ima-sig has 3 fields, the entry has 1");
  /* d-ng without its "ALGO:\0" prefix */
  TestEntry bad2 = { 0 };
  bad2.pcr = 10;
  bad2.name = "ima-ng";
  add_field (&bad2, "d-ng", "\x01\x02\x03", 3);
  add_string (&bad2, "n-ng", "/x");
  g_autoptr (GBytes) b2 = build_log (&bad2, 1, FALSE, "SHA1");
  assert_log_error (b2, OIMA_MEASURE_LOG_BINARY, OIMA_HASH_SHA1,
                    "entry 0 at byte offset 0: field d-ng is not ALGO:\\0DIGEST");
  /* Garbage that is no header at all */
  g_autoptr (GBytes) junk = g_bytes_new ("\x0a\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff"
                                         "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
                                         "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff",
                                         39);
  assert_log_error (junk, OIMA_MEASURE_LOG_AUTO, OIMA_MEASURE_BANK_AUTO,
                    "entry 0 at byte offset 0: no template hash of 20, 32, 48 or 64 bytes followed "
                    "by a template name");
  test_entry_clear (&bad);
  test_entry_clear (&bad2);
  clear_entries (e, N_MAIN);
}

static void
test_ascii_errors (void)
{
  static const struct
  {
    const char *log;
    const char *error;
  } cases[] = {
    { "10 hello\n", "measurement list line 1 (entry 0, byte offset 0): 2 fields, expected at "
                    "least PCR, template hash and name" },
    { "10 0000000000000000000000000000000000000000 ima-ng sha1:00 /a\nxx yy zz\n",
      "line 2 (entry 1, byte offset 62): column 1: PCR index 'xx' is not a number below 64" },
    { "10 zz00000000000000000000000000000000000000 ima-ng sha1:00 /a\n",
      "line 1 (entry 0, byte offset 0): column 4: template hash is not hex" },
    { "10 00 ima-ng sha1:00 /a\n",
      "column 4: template hash has 2 hex digits (not 40, 64, 96 or 128)" },
    { "10 0000000000000000000000000000000000000000 ima-ng sha1:0g /a\n",
      "column 58: field d-ng is not hex" },
    { "10 0000000000000000000000000000000000000000 ima-ng 00ff /a\n",
      "column 52: field d-ng '00ff' is not ALGO:HEX" },
    { "10 0000000000000000000000000000000000000000 ima-sig sha1:00 /a 0302x\n",
      "column 68: field sig is not hex" },
    { "10 0000000000000000000000000000000000000000 evm-sig sha1:00 /a     -1 0 0\n",
      "field iuid '-1' is not a number up to 4294967295" },
    { "10 0000000000000000000000000000000000000000 ima-ngv2 foo:sha256:00 /a\n",
      "field d-ngv2 has digest type 'foo:sha256' (expected ima: or verity:)" },
    { "10 0000000000000000000000000000000000000000 d-ng|sig sha1:00 00 11\n",
      "3 fields, template d-ng|sig has 2" },
    /* extra tokens join the file name: "a b", then buf "c" */
    { "10 0000000000000000000000000000000000000000 ima-buf sha1:00 a b c\n",
      "column 65: field buf has an odd number of hex digits" },
    { "10 0000000000000000000000000000000000000000  \n", "column 45: empty template name" },
    { "10 0000000000000000000000000000000000000000 ima-ng sha1:00 /a",
      "line 1 (entry 0, byte offset 0): truncated: no newline at the end of the stream" },
    { "10 0000000000000000000000000000000000000000 ima sha1:00 /a\n",
      "column 49: field d is not hex" },
    { "10 0000000000000000000000000000000000000000 ima-sig sha1:00 /a 030\n",
      "column 64: field sig has an odd number of hex digits" },
    { "10 0000000000000000000000000000000000000000 ima 00 /a\n",
      "'ima' template digest has 1 bytes, expected 20" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GBytes) b = g_bytes_new (cases[i].log, strlen (cases[i].log));
      assert_log_error (b, OIMA_MEASURE_LOG_AUTO, OIMA_MEASURE_BANK_AUTO, cases[i].error);
    }
  /* A line longer than any entry may be: refused without reading the rest */
  gsize huge_len = 2 * OIMA_MEASURE_MAX_DATA_LEN + 8192;
  g_autofree char *huge = g_malloc (huge_len);
  memset (huge, 'a', huge_len);
  memcpy (huge, "10 ", 3);
  g_autoptr (GBytes) long_line = g_bytes_new_take (g_steal_pointer (&huge), huge_len);
  g_autofree char *too_long
      = g_strdup_printf ("line 1 (entry 0, byte offset 0): longer than %u bytes",
                         2 * OIMA_MEASURE_MAX_DATA_LEN + 4096);
  assert_log_error (long_line, OIMA_MEASURE_LOG_AUTO, OIMA_MEASURE_BANK_AUTO, too_long);
  g_autoptr (GBytes) blank = g_bytes_new ("\n", 1);
  assert_log_error (blank, OIMA_MEASURE_LOG_ASCII, OIMA_MEASURE_BANK_AUTO,
                    "line 1 (entry 0, byte offset 0): 1 fields, expected at least");
  g_autoptr (GBytes) nul = g_bytes_new ("10 00\0 x\n", 9);
  assert_log_error (nul, OIMA_MEASURE_LOG_ASCII, OIMA_MEASURE_BANK_AUTO,
                    "line 1 (entry 0, byte offset 0): contains a NUL byte");
  /* Binary data read as ascii */
  TestEntry e[N_MAIN];
  make_main_entries (e);
  g_autoptr (GBytes) bin = build_log (e, 2, FALSE, "SHA1");
  assert_log_error (bin, OIMA_MEASURE_LOG_ASCII, OIMA_MEASURE_BANK_AUTO, "line 1 ");
  clear_entries (e, N_MAIN);
}

/* Unknown templates: binary fields are split and hashed generically; ascii
 * fields cannot be rebuilt, so the other bank cannot be replayed. */
static void
test_unknown_template (void)
{
  TestEntry all[N_MAIN];
  make_main_entries (all);
  all[1].name = "my-template";
  all[1].ids[0] = "?";
  all[1].ids[1] = "?";
  TestPcr pcr10, pcr11;
  expected_pcrs (all, 3, &pcr10, &pcr11);

  g_autoptr (GBytes) bin = build_log (all, 3, FALSE, "SHA1");
  g_autoptr (OimaPcrReplay) replay = oima_pcr_replay_new ();
  g_autoptr (GPtrArray) got = read_all (bin, OIMA_MEASURE_LOG_AUTO, OIMA_MEASURE_BANK_AUTO, replay);
  g_assert_cmpuint (got->len, ==, 3);
  OimaMeasureEntry *u = got->pdata[1];
  g_assert_false (u->template_known);
  g_assert_cmpstr (u->template_name, ==, "my-template");
  g_assert_cmpuint (u->n_fields, ==, 2);
  g_assert_cmpstr (u->fields[0].id, ==, "?");
  g_assert_true (u->template_hash_checked && u->template_hash_ok);
  g_assert_null (u->path);
  g_assert_true (((OimaMeasureEntry *)got->pdata[2])->template_known);
  assert_replay (replay, 10, &pcr10);

  g_autoptr (GBytes) txt = build_log (all, 3, TRUE, "SHA1");
  g_autoptr (OimaPcrReplay) replay2 = oima_pcr_replay_new ();
  g_autoptr (GPtrArray) got2
      = read_all (txt, OIMA_MEASURE_LOG_AUTO, OIMA_MEASURE_BANK_AUTO, replay2);
  g_assert_cmpuint (got2->len, ==, 3);
  u = got2->pdata[1];
  g_assert_false (u->template_known);
  g_assert_false (u->template_hash_checked);
  g_assert_cmpuint (u->n_fields, ==, 0);
  g_assert_true (((OimaMeasureEntry *)got2->pdata[2])->template_hash_ok);
  g_autofree char *sha1 = hex (pcr10.sha1, 20);
  g_autoptr (GError) error = NULL;
  g_assert_true (oima_pcr_replay_check (replay2, 10, OIMA_HASH_SHA1, sha1, &error));
  g_assert_no_error (error);
  g_assert_false (oima_pcr_replay_is_complete (replay2, OIMA_HASH_SHA256));
  g_autofree char *sha256 = hex (pcr10.sha256, 32);
  g_assert_false (oima_pcr_replay_check (replay2, 10, OIMA_HASH_SHA256, sha256, &error));
  g_assert_cmpstr (error->message, ==,
                   "PCR 10 (sha256): cannot replay, an entry of an unknown template could not be "
                   "recomputed in this bank");
  clear_entries (all, N_MAIN);
}

/* ---- streaming: a generated log that never exists in memory ---- */

#if defined(__SANITIZE_ADDRESS__)
#define GEN_ENTRIES 5000 /* ASan is ~20x slower; 1 MiB of log still dwarfs the 64 KiB bound */
#else
#define GEN_ENTRIES 200000
#endif
#define GEN_BUF_LEN 256

typedef struct
{
  GInputStream parent;
  gboolean ascii;
  guint next; /* entries generated so far */
  GByteArray *pending;
  gsize pending_pos;
  guint64 produced; /* bytes handed to the reader */
  TestPcr pcr;
} GenStream;

typedef GInputStreamClass GenStreamClass;
static GType gen_stream_get_type (void);
G_DEFINE_TYPE (GenStream, gen_stream, G_TYPE_INPUT_STREAM)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GenStream, g_object_unref)

static void
gen_entry (guint i, TestEntry *t)
{
  guint8 d[32];
  char path[64];
  memset (t, 0, sizeof *t);
  t->pcr = 10;
  g_snprintf (path, sizeof path, "/usr/lib/generated/file-%u", i);
  evp_hash ("SHA256", path, strlen (path), d);
  t->name = i % 2 ? "ima-buf" : "ima-ng";
  t->violation = i % 1000 == 999;
  add_digest_ng (t, "d-ng", "sha256:", d, 32);
  add_string (t, "n-ng", path);
  if (i % 2)
    {
      guint8 buf[GEN_BUF_LEN];
      memset (buf, i & 0xff, sizeof buf);
      add_field (t, "buf", buf, sizeof buf);
    }
}

/* The next entry into g->pending; FALSE at the end. */
static gboolean
gen_next (GenStream *g)
{
  if (g->next == GEN_ENTRIES)
    return FALSE;
  TestEntry t;
  gen_entry (g->next++, &t);
  g_byte_array_set_size (g->pending, 0);
  g->pending_pos = 0;
  if (g->ascii)
    {
      g_autoptr (GString) s = g_string_new (NULL);
      render_ascii (&t, "SHA1", s);
      g_byte_array_append (g->pending, (const guint8 *)s->str, s->len);
    }
  else
    render_binary (&t, "SHA1", g->pending);
  test_pcr_extend (&g->pcr, &t);
  test_entry_clear (&t);
  return TRUE;
}

/* Fills @buffer like a file would (many entries per read). */
static gssize
gen_stream_read (GInputStream *stream, void *buffer, gsize count, GCancellable *cancellable,
                 GError **error)
{
  GenStream *g = (GenStream *)stream;
  gsize done = 0;
  while (done < count)
    {
      if (g->pending_pos == g->pending->len && !gen_next (g))
        break;
      gsize n = MIN (count - done, g->pending->len - g->pending_pos);
      memcpy ((guint8 *)buffer + done, g->pending->data + g->pending_pos, n);
      g->pending_pos += n;
      done += n;
    }
  g->produced += done;
  return done;
}

static void
gen_stream_finalize (GObject *object)
{
  g_byte_array_unref (((GenStream *)object)->pending);
  G_OBJECT_CLASS (gen_stream_parent_class)->finalize (object);
}

static void
gen_stream_class_init (GenStreamClass *klass)
{
  klass->read_fn = gen_stream_read;
  G_OBJECT_CLASS (klass)->finalize = gen_stream_finalize;
}

static void
gen_stream_init (GenStream *g)
{
  g->pending = g_byte_array_new ();
}

/* The reader's look-ahead: its documented 64 KiB read buffer. */
#define READ_AHEAD_BOUND (64 * 1024)

static void
run_streaming (gboolean ascii)
{
  g_autoptr (GenStream) gen = g_object_new (gen_stream_get_type (), NULL);
  gen->ascii = ascii;
  g_autoptr (OimaMeasureLogReader) r = oima_measure_log_reader_new (
      G_INPUT_STREAM (gen), OIMA_MEASURE_LOG_AUTO, OIMA_MEASURE_BANK_AUTO);
  g_autoptr (OimaPcrReplay) replay = oima_pcr_replay_new ();
  guint n = 0, violations = 0;
  guint64 max_ahead = 0;
  for (;;)
    {
      g_autoptr (OimaMeasureEntry) e = NULL;
      g_autoptr (GError) error = NULL;
      g_assert_true (oima_measure_log_reader_next (r, &e, NULL, &error));
      g_assert_no_error (error);
      if (e == NULL)
        break;
      /* Bytes the reader pulled from the stream beyond the start of the
       * entry it returned: its buffer plus that entry, whatever the log's
       * size, so it never holds more. */
      guint64 ahead = gen->produced - MIN (gen->produced, e->offset);
      max_ahead = MAX (max_ahead, ahead);
      g_assert_cmpuint (ahead, <=, READ_AHEAD_BOUND + 2 * (GEN_BUF_LEN * 2 + 512));
      g_assert_true (e->template_hash_ok || e->violation);
      violations += e->violation;
      oima_pcr_replay_extend (replay, e);
      n++;
    }
  g_assert_cmpuint (n, ==, GEN_ENTRIES);
  g_assert_cmpuint (violations, ==, GEN_ENTRIES / 1000);
  g_test_message ("%s log of %" G_GUINT64_FORMAT
                  " bytes, reader look-ahead at most %" G_GUINT64_FORMAT,
                  ascii ? "ascii" : "binary", gen->produced, max_ahead);
  g_assert_cmpuint (gen->produced, >, GEN_ENTRIES * 200);
  assert_replay (replay, 10, &gen->pcr);
}

static void
test_streaming (void)
{
  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_test_trap_assert_passed ();
      return;
    }
  run_streaming (FALSE);
  run_streaming (TRUE);
#if !defined(__SANITIZE_ADDRESS__)
  /* Over 40 MiB of log each, yet this process stayed small (ASan's
   * quarantine keeps freed memory, so only without it). */
  struct rusage ru;
  g_assert_cmpint (getrusage (RUSAGE_SELF, &ru), ==, 0);
  g_test_message ("peak RSS %ld KiB", ru.ru_maxrss);
  g_assert_cmpint (ru.ru_maxrss, <, 24 * 1024);
#endif
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/measure-log/both-formats", test_both_formats);
  g_test_add_func ("/measure-log/sha256-bank", test_sha256_bank);
  g_test_add_func ("/measure-log/wrong-template-hash", test_wrong_template_hash);
  g_test_add_func ("/measure-log/replay-check-errors", test_replay_check_errors);
  g_test_add_func ("/measure-log/ascii-name-with-spaces", test_ascii_name_with_spaces);
  g_test_add_func ("/measure-log/sha384-digest", test_sha384_digest);
  g_test_add_func ("/measure-log/fixtures", test_fixtures);
  g_test_add_func ("/measure-log/empty", test_empty_log);
  g_test_add_func ("/measure-log/binary-errors", test_binary_errors);
  g_test_add_func ("/measure-log/ascii-errors", test_ascii_errors);
  g_test_add_func ("/measure-log/unknown-template", test_unknown_template);
  g_test_add_func ("/measure-log/streaming", test_streaming);
  return g_test_run ();
}
