/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer target: the strict decoder of security.ima / security.evm
 * values and everything that reads a decoded value.
 */

#include <string.h>

#include "oima-xattr-codec.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  OimaXattrValue v;
  g_autoptr (GError) error = NULL;
  if (!oima_xattr_decode (data, size, &v, &error))
    {
      g_assert (error != NULL && error->message[0] != '\0');
      return 0;
    }
  g_autofree char *desc = oima_xattr_value_describe (&v);
  g_assert (desc != NULL);
  /* Pointers stay inside the input. */
  if (v.sig)
    g_assert (v.sig >= data && v.sig + v.sig_len <= data + size);
  if (v.digest)
    g_assert (v.digest >= data && v.digest + v.digest_len <= data + size);
  /* A decoded v2 signature encodes back to the same bytes. */
  if ((v.type == OIMA_XATTR_TYPE_DIGSIG || v.type == OIMA_XATTR_TYPE_EVM_PORTABLE_DIGSIG)
      && v.version == 2)
    {
      g_autoptr (GBytes) again
          = oima_xattr_encode_sig_v2 (v.type, v.algo, v.keyid, v.sig, v.sig_len, NULL);
      if (again)
        g_assert (g_bytes_get_size (again) == size
                  && memcmp (g_bytes_get_data (again, NULL), data, size) == 0);
    }
  return 0;
}
