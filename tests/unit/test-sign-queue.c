/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "oima-digest-signer.h"
#include "oima-keygen.h"
#include "oima-sign-queue.h"
#include "oima-tar-ahead.h"
#include "oima-trust.h"
#include "test-files.h"

/* A new P-256 key (and its certificate) in @dir. */
static OimaSigningKey *
new_p256_key (const char *dir)
{
  g_autoptr (GError) error = NULL;
  OimaKeygenOptions kopts = { OIMA_KEY_TYPE_EC_P256, 0, 0, NULL };
  g_assert_true (oima_keygen (dir, &kopts, NULL, &error));
  g_assert_no_error (error);
  g_autofree char *key_path = g_build_filename (dir, "ima-key.pem", NULL);
  OimaSigningKey *key = oima_signing_key_load (key_path, NULL, &error);
  g_assert_no_error (error);
  return key;
}

static void
test_queue (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("oima-queue-XXXXXX", &error);
  g_autofree char *kdir = g_build_filename (dir, "k", NULL);
  g_autoptr (OimaSigningKey) key = new_p256_key (kdir);
  g_autofree char *cert_path = g_build_filename (kdir, "ima-cert.pem", NULL);
  g_autoptr (OimaTrust) trust = oima_trust_new ();
  g_assert_true (oima_trust_add_path (trust, cert_path, &error));

  int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  g_assert_cmpint (dfd, >=, 0);
  g_autoptr (OimaSignQueue) q = oima_sign_queue_new (key, OIMA_HASH_SHA384, 3, &error);
  g_assert_no_error (error);
  for (int i = 0; i < 50; i++)
    {
      g_autofree char *name = g_strdup_printf ("f%d", i);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *content = g_strdup_printf ("content %d\n", i % 10);
      g_assert_true (g_file_set_contents (path, content, -1, &error));
      g_autofree char *id = g_strdup_printf ("/usr/f%d", i);
      oima_sign_queue_push_path (q, id, NULL, dfd, name);
    }
  oima_sign_queue_push_path (q, "/missing", NULL, dfd, "no-such-file");
  g_assert_true (oima_sign_queue_contains (q, "/usr/f3"));

  /* Take in reverse order; each verifies against its own content. */
  for (int i = 49; i >= 0; i--)
    {
      g_autofree char *id = g_strdup_printf ("/usr/f%d", i);
      g_autoptr (GBytes) ima = oima_sign_queue_take (q, id, NULL, &error);
      g_assert_no_error (error);
      g_autofree char *content = g_strdup_printf ("content %d\n", i % 10);
      g_autoptr (GInputStream) in
          = g_memory_input_stream_new_from_data (content, strlen (content), NULL);
      OimaVerifyStatus status;
      g_assert_true (oima_trust_verify_ima (trust, ima, in, &status, NULL, NULL, &error));
      g_assert_cmpint (status, ==, OIMA_VERIFY_VALID);
    }
  g_assert_false (oima_sign_queue_contains (q, "/usr/f3"));

  g_assert_null (oima_sign_queue_take (q, "/missing", NULL, &error));
  g_assert_nonnull (strstr (error->message, "Signing /missing: no-such-file: No such file"));
  g_clear_error (&error);
  g_assert_null (oima_sign_queue_take (q, "/usr/f1", NULL, &error));
  g_assert_nonnull (strstr (error->message, "/usr/f1 was not queued"));
  g_clear_error (&error);

  /* Streams share the cache: "content 1\n" was signed already. */
  g_autoptr (GInputStream) in = g_memory_input_stream_new_from_data ("content 1\n", 10, NULL);
  g_autoptr (GBytes) ima = oima_sign_queue_sign_stream (q, NULL, in, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (ima);

  close (dfd);
  remove_tree (dir);
}

/* Threads racing to sign one digest; each takes the next slot. */
typedef struct
{
  OimaDigestSigner *signer;
  const guint8 *digest;
  gint next; /* atomic */
  GBytes *values[8];
} RaceData;

static gpointer
race_sign (gpointer data)
{
  RaceData *race = data;
  guint i = (guint)g_atomic_int_add (&race->next, 1);
  race->values[i] = oima_digest_signer_sign (race->signer, NULL, NULL, race->digest, 32, NULL);
  return NULL;
}

/* A repeated digest is signed once, even with ECDSA (whose signatures
 * differ each time), but only recent digests are remembered: memory stays
 * bounded in the size of the tree. */
static void
test_digest_memo (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("oima-memo-XXXXXX", &error);
  g_autoptr (OimaSigningKey) key = new_p256_key (dir);
  g_autoptr (OimaDigestSigner) signer = oima_digest_signer_new (key, OIMA_HASH_SHA256);

  guint8 first[32] = { 1 };
  g_autoptr (GBytes) a = oima_digest_signer_sign (signer, "/a", NULL, first, 32, &error);
  g_assert_no_error (error);
  g_autoptr (GBytes) b = oima_digest_signer_sign (signer, "/b", NULL, first, 32, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (a, b));
  g_assert_cmpuint (oima_digest_signer_get_n_signed (signer), ==, 1);

  const guint n = 5000; /* more than the signer remembers */
  for (guint i = 0; i < n; i++)
    {
      guint8 d[32] = { 2 };
      memcpy (d + 1, &i, sizeof i);
      g_autoptr (GBytes) s = oima_digest_signer_sign (signer, NULL, NULL, d, 32, &error);
      g_assert_no_error (error);
    }
  g_assert_cmpuint (oima_digest_signer_get_n_signed (signer), ==, 1 + n);
  /* The most recent one is remembered, the first one is not. */
  guint8 last[32] = { 2 };
  guint last_i = n - 1;
  memcpy (last + 1, &last_i, sizeof last_i);
  g_autoptr (GBytes) c = oima_digest_signer_sign (signer, NULL, NULL, last, 32, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (oima_digest_signer_get_n_signed (signer), ==, 1 + n);
  g_autoptr (GBytes) d = oima_digest_signer_sign (signer, "/a", NULL, first, 32, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (oima_digest_signer_get_n_signed (signer), ==, 2 + n);

  /* Threads asking at once for one digest all get one value, made once
   * (one thread signs, the others wait for its value). */
  guint8 shared[32] = { 3 };
  RaceData race = { signer, shared, 0, { NULL } };
  GThread *threads[G_N_ELEMENTS (race.values)];
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("race", race_sign, &race);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);
  for (guint i = 0; i < G_N_ELEMENTS (race.values); i++)
    {
      g_assert_nonnull (race.values[i]);
      g_assert_true (g_bytes_equal (race.values[i], race.values[0]));
      g_bytes_unref (race.values[i]);
    }
  g_assert_cmpuint (oima_digest_signer_get_n_signed (signer), ==, 3 + n);

  /* A digest longer than any algorithm's is refused, not overrun. */
  guint8 huge[OIMA_MAX_DIGEST_SIZE + 1] = { 0 };
  g_assert_null (oima_digest_signer_sign (signer, NULL, NULL, huge, sizeof huge, &error));
  g_assert_nonnull (strstr (error->message, "too long"));

  remove_tree (dir);
}

/* The tar read-ahead signs (or hands on) at most 1024 files more than the
 * importer took, then waits; each file taken lets it read one further. */
static guint
wait_n_hashed (OimaTarAhead *ahead, guint want)
{
  /* It gets there, then stays there: give it time to overshoot. */
  gint64 deadline = g_get_monotonic_time () + 30 * G_TIME_SPAN_SECOND;
  while (oima_tar_ahead_get_n_hashed (ahead) < want && g_get_monotonic_time () < deadline)
    g_usleep (10000);
  g_usleep (200000);
  return oima_tar_ahead_get_n_hashed (ahead);
}

static void
test_tar_ahead_window (gconstpointer data)
{
  OimaTarAheadFlags flags = GPOINTER_TO_UINT (data);
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("oima-ahead-XXXXXX", &error);
  g_autoptr (OimaSigningKey) key = new_p256_key (dir);

  const guint n = 1100;
  g_autofree char *tree = g_build_filename (dir, "tree", NULL);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *rel = g_strdup_printf ("f%u", i);
      g_autofree char *content = g_strdup_printf ("file %u\n", i);
      write_file (tree, rel, content, strlen (content), 0644);
    }
  g_autofree char *tar = g_build_filename (dir, "many.tar", NULL);
  const char *argv[] = { "tar", "-C", tree, "-cf", tar, ".", NULL };
  int status = 0;
  g_assert_true (g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
                               NULL, &status, &error));
  g_assert_true (g_spawn_check_wait_status (status, NULL));

  g_autoptr (OimaSignQueue) q = oima_sign_queue_new (key, OIMA_HASH_SHA256, 1, &error);
  g_assert_no_error (error);
  g_autoptr (OimaTarAhead) ahead = oima_tar_ahead_start (q, OIMA_HASH_SHA256, tar, NULL, flags);
  g_assert_cmpuint (wait_n_hashed (ahead, 1024), ==, 1024);
  for (guint i = 0; i < 50; i++)
    oima_tar_ahead_taken (ahead);
  g_assert_cmpuint (wait_n_hashed (ahead, 1074), ==, 1074);
  for (guint i = 0; i < 1050; i++)
    oima_tar_ahead_taken (ahead);
  g_assert_cmpuint (wait_n_hashed (ahead, n), ==, n);
  oima_tar_ahead_stop (ahead);
  g_assert_null (oima_tar_ahead_get_error (ahead));
  /* Each file signed once (by the workers: soon). */
  gint64 deadline = g_get_monotonic_time () + 30 * G_TIME_SPAN_SECOND;
  while (oima_sign_queue_get_n_signed (q) < n && g_get_monotonic_time () < deadline)
    g_usleep (10000);
  g_assert_cmpuint (oima_sign_queue_get_n_signed (q), ==, n);

  /* Stopping wakes a thread waiting for the importer. */
  g_autoptr (OimaTarAhead) stuck = oima_tar_ahead_start (q, OIMA_HASH_SHA256, tar, NULL, flags);
  g_assert_cmpuint (wait_n_hashed (stuck, 1024), ==, 1024);
  oima_tar_ahead_stop (stuck);
  g_assert_null (oima_tar_ahead_get_error (stuck));

  remove_tree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sign-queue/ahead", test_queue);
  g_test_add_func ("/sign-queue/digest-memo", test_digest_memo);
  g_test_add_data_func ("/sign-queue/tar-ahead-window", GUINT_TO_POINTER (0),
                        test_tar_ahead_window);
  g_test_add_data_func ("/sign-queue/tar-ahead-window-workers",
                        GUINT_TO_POINTER (OIMA_TAR_AHEAD_SIGN_ON_WORKERS), test_tar_ahead_window);
  return g_test_run ();
}
