/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The kernel's IMA runtime measurement list
 * (/sys/kernel/security/ima/{ascii,binary}_runtime_measurements[_ALGO]):
 * a streaming parser that recomputes every template hash, and a PCR replay.
 *
 *   g_autoptr (OimaMeasureLogReader) r =
 *       oima_measure_log_reader_new (stream, OIMA_MEASURE_LOG_AUTO, OIMA_MEASURE_BANK_AUTO);
 *   g_autoptr (OimaPcrReplay) replay = oima_pcr_replay_new ();
 *   for (;;)
 *     {
 *       g_autoptr (OimaMeasureEntry) e = NULL;
 *       if (!oima_measure_log_reader_next (r, &e, cancellable, error))
 *         return FALSE;                      // malformed log: message names entry and offset
 *       if (e == NULL)
 *         break;                             // end of the log
 *       if (e->template_hash_checked && !e->template_hash_ok)
 *         ...                                // template data does not match its logged hash
 *       oima_pcr_replay_extend (replay, e);
 *     }
 *   if (!oima_pcr_replay_check (replay, 10, OIMA_HASH_SHA256, tpm_pcr10_hex, error)) ...
 *
 * Memory is bounded: the reader holds a 64 KiB read buffer and the current
 * entry, whose lengths are capped (OIMA_MEASURE_MAX_*); a longer length is an
 * error naming the entry and its byte offset.  After an error the reader is
 * finished: every further call fails.
 *
 * Binary lists are read as little-endian (x86, and every architecture with
 * ima_canonical_fmt).  In the ascii list the kernel replaces spaces in file
 * names by '_'; names from older kernels that still contain spaces are
 * rejoined, but a name containing a newline cannot be told from a broken line.
 */
#pragma once

#include <gio/gio.h>

#include "oima-hash.h"
#include "oima-xattr-codec.h"

G_BEGIN_DECLS

typedef enum
{
  OIMA_MEASURE_LOG_AUTO,   /* ascii if the first byte is a digit or space, else binary */
  OIMA_MEASURE_LOG_ASCII,  /* ascii_runtime_measurements */
  OIMA_MEASURE_LOG_BINARY, /* binary_runtime_measurements */
} OimaMeasureLogFormat;

/* The template hash bank of the list: the classic files log sha1 template
 * hashes, the per-bank files (ascii_runtime_measurements_sha256, ...) that
 * bank's.  AUTO infers it from the first entry (hex length in ascii, the
 * layout of the first header in binary). */
#define OIMA_MEASURE_BANK_AUTO ((OimaHashAlgo)0xffff)

/* Caps on what one entry may claim. */
#define OIMA_MEASURE_MAX_PCR 64                     /* PCR indexes are below this */
#define OIMA_MEASURE_MAX_NAME_LEN 255               /* template name, and 'ima' file names */
#define OIMA_MEASURE_MAX_DATA_LEN (4 * 1024 * 1024) /* template data of one entry */
#define OIMA_MEASURE_MAX_FIELDS 15                  /* IMA_TEMPLATE_NUM_FIELDS_MAX */

typedef enum
{
  OIMA_MEASURE_DIGEST_TYPE_NONE,   /* d, d-ng: no type prefix */
  OIMA_MEASURE_DIGEST_TYPE_IMA,    /* d-ngv2 "ima:ALGO:" (file content hash) */
  OIMA_MEASURE_DIGEST_TYPE_VERITY, /* d-ngv2 "verity:ALGO:" (fs-verity digest) */
} OimaMeasureDigestType;

/* One template field: its id ("d-ng", "n-ng", "sig", ...; "?" when the
 * template is unknown) and its data exactly as the template hash covers it. */
typedef struct
{
  const char *id;
  GBytes *data;
} OimaMeasureField;

typedef struct
{
  guint64 index;  /* 0-based position in the list */
  guint64 offset; /* byte offset of the entry (ascii: of its line) */
  guint64 line;   /* ascii: 1-based line number; binary: 0 */
  guint32 pcr;
  char *template_name;     /* as logged: "ima-ng", or a format string "d-ng|n-ng" */
  gboolean template_known; /* every field id is one the kernel defines */

  OimaHashAlgo template_bank; /* algorithm of template_hash */
  guint8 template_hash[OIMA_MAX_DIGEST_SIZE];
  gsize template_hash_len;
  /* Recomputed from the template data (not for violations, nor for unknown
   * templates in ascii, whose fields cannot be rebuilt). */
  gboolean template_hash_checked;
  gboolean template_hash_ok;
  /* A violation: logged as a zero template hash, extended as 0xff... */
  gboolean violation;

  guint n_fields;
  OimaMeasureField fields[OIMA_MEASURE_MAX_FIELDS];

  /* Decoded fields (NULL / FALSE when the template has no such field or it
   * is empty).  The file digest (d, d-ng or d-ngv2): */
  gboolean has_digest;
  char *digest_algo_name; /* as the kernel names it: "sha256", "sm3", ... */
  gboolean digest_algo_known;
  OimaHashAlgo digest_algo;
  OimaMeasureDigestType digest_type;
  GBytes *digest;
  char *path;     /* n / n-ng, without the NUL (boot_aggregate, a file, a buffer name) */
  GBytes *sig;    /* sig: the file's security.ima (see oima_measure_entry_decode_sig) */
  GBytes *buf;    /* buf: the measured buffer (ima-buf) */
  GBytes *evmsig; /* evmsig: a portable security.evm (evm-sig) */
  GBytes *modsig; /* modsig: the appended signature (ima-modsig) */

  /* Private: recomputed sha1 / sha256 template hashes for the replay. */
  gboolean have_replay_hashes;
  guint8 sha1_hash[20];
  guint8 sha256_hash[32];
} OimaMeasureEntry;

void oima_measure_entry_free (OimaMeasureEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OimaMeasureEntry, oima_measure_entry_free)

/* The field with @id, or NULL. */
const OimaMeasureField *oima_measure_entry_get_field (const OimaMeasureEntry *entry,
                                                      const char *id);

/* Strictly decode the entry's sig field (a security.ima value); @out points
 * into the entry.  Error if the entry has no signature or it is malformed. */
gboolean oima_measure_entry_decode_sig (const OimaMeasureEntry *entry, OimaXattrValue *out,
                                        GError **error);

/* Lower-case hex of the logged template hash. */
char *oima_measure_entry_template_hash_hex (const OimaMeasureEntry *entry);

typedef struct _OimaMeasureLogReader OimaMeasureLogReader;

/* Never fails: a bad format or bank shows at the first read. @bank is the
 * template hash algorithm of the list or OIMA_MEASURE_BANK_AUTO. */
OimaMeasureLogReader *oima_measure_log_reader_new (GInputStream *stream,
                                                   OimaMeasureLogFormat format, OimaHashAlgo bank);
void oima_measure_log_reader_free (OimaMeasureLogReader *reader);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OimaMeasureLogReader, oima_measure_log_reader_free)

/* The next entry in @out_entry, or NULL at the end of the list (an empty
 * stream is an empty list).  FALSE on a read error or a malformed entry. */
gboolean oima_measure_log_reader_next (OimaMeasureLogReader *reader, OimaMeasureEntry **out_entry,
                                       GCancellable *cancellable, GError **error);

/* After the first entry: the format and template hash bank in use. */
OimaMeasureLogFormat oima_measure_log_reader_get_format (OimaMeasureLogReader *reader);
OimaHashAlgo oima_measure_log_reader_get_bank (OimaMeasureLogReader *reader);

/* Replays the PCR extensions of a list in the sha1 and sha256 banks:
 * PCR = H(PCR || template hash), from zeros, per PCR index.  For the list's
 * own bank the logged template hash is extended, for the other bank the
 * hash recomputed from the template data (what the kernel extends there);
 * violations extend all 0xff. */
typedef struct _OimaPcrReplay OimaPcrReplay;

OimaPcrReplay *oima_pcr_replay_new (void);
void oima_pcr_replay_free (OimaPcrReplay *replay);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OimaPcrReplay, oima_pcr_replay_free)

void oima_pcr_replay_extend (OimaPcrReplay *replay, const OimaMeasureEntry *entry);

/* The value of @pcr in @bank (sha1 or sha256): 20 or 32 bytes, all zero for
 * a PCR no entry extended.  FALSE for another bank or PCR index. */
gboolean oima_pcr_replay_get (OimaPcrReplay *replay, guint pcr, OimaHashAlgo bank,
                              guint8 *out_value, gsize *out_len);
/* Lower-case hex of the same, or NULL. */
char *oima_pcr_replay_get_hex (OimaPcrReplay *replay, guint pcr, OimaHashAlgo bank);

/* FALSE if some entry could not be replayed in @bank (an unknown template
 * in an ascii list of another bank); its values are then meaningless. */
gboolean oima_pcr_replay_is_complete (OimaPcrReplay *replay, OimaHashAlgo bank);

/* Number of entries extended into @pcr. */
guint64 oima_pcr_replay_get_count (OimaPcrReplay *replay, guint pcr);

/* TRUE if the replayed @pcr in @bank equals @expected_hex (case-insensitive,
 * as tpm2_pcrread or /sys/class/tpm/tpm0/pcr-sha256/10 print it, an
 * optional "0x" allowed).  Errors: malformed expected value, incomplete
 * replay, or a mismatch (both values in the message). */
gboolean oima_pcr_replay_check (OimaPcrReplay *replay, guint pcr, OimaHashAlgo bank,
                                const char *expected_hex, GError **error);

G_END_DECLS
