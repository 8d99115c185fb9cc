/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer target: the kernel's IMA measurement list, ascii and binary
 * (first byte of the input picks auto-detection, ascii or binary), with
 * template-hash checks, signature decoding and the PCR replay, as
 * `ostree ima check-log` reads it.  Every entry either parses or the
 * reader fails with a message; it never reads past the input.
 */

#include <string.h>

#include "oima-measure-log.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  if (size < 1)
    return 0;
  static const OimaMeasureLogFormat formats[]
      = { OIMA_MEASURE_LOG_AUTO, OIMA_MEASURE_LOG_ASCII, OIMA_MEASURE_LOG_BINARY };
  OimaMeasureLogFormat format = formats[data[0] % G_N_ELEMENTS (formats)];
  g_autoptr (GBytes) bytes = g_bytes_new (data + 1, size - 1);
  g_autoptr (GInputStream) in = g_memory_input_stream_new_from_bytes (bytes);
  g_autoptr (OimaMeasureLogReader) reader
      = oima_measure_log_reader_new (in, format, OIMA_MEASURE_BANK_AUTO);
  g_autoptr (OimaPcrReplay) replay = oima_pcr_replay_new ();
  for (guint i = 0; i < 4096; i++)
    {
      g_autoptr (OimaMeasureEntry) entry = NULL;
      g_autoptr (GError) error = NULL;
      if (!oima_measure_log_reader_next (reader, &entry, NULL, &error))
        {
          g_assert (error != NULL && error->message[0] != '\0');
          break;
        }
      if (entry == NULL)
        break;
      g_autofree char *hex = oima_measure_entry_template_hash_hex (entry);
      g_assert (hex != NULL);
      OimaXattrValue sig;
      g_autoptr (GError) sig_error = NULL;
      (void)oima_measure_entry_decode_sig (entry, &sig, &sig_error);
      oima_pcr_replay_extend (replay, entry);
    }
  g_autofree char *pcr10 = oima_pcr_replay_get_hex (replay, 10, OIMA_HASH_SHA256);
  g_assert (pcr10 == NULL || strlen (pcr10) == 64);
  return 0;
}
