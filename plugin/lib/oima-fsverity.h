/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The fs-verity file digest of content read from a stream: the digest the
 * kernel returns for a verity file (FS_IOC_MEASURE_VERITY, `fsverity
 * digest`) and logs as "verity:ALGO:HEX" in the d-ngv2 template field.
 *
 *   guint8 digest[OIMA_MAX_DIGEST_SIZE];
 *   gsize len;
 *   if (!oima_fsverity_digest_stream (OIMA_HASH_SHA256, stream, digest, &len,
 *                                     cancellable, error))
 *     return FALSE;
 *
 * Parameters as verity is enabled by default (`fsverity enable`, composefs,
 * ostree): 4096-byte Merkle tree blocks, no salt.  The descriptor's data
 * size comes from the stream itself.
 *
 * An fs-verity signature (security.ima type 0x06, signature v3) signs not
 * the verity digest itself but the digest of the kernel's struct
 * ima_file_id over it; oima_fsverity_sigv3_digest() computes what it signs.
 */
#pragma once

#include <gio/gio.h>

#include "oima-hash.h"

G_BEGIN_DECLS

/* fs-verity supports sha256 and sha512 only; other algorithms are an error. */
gboolean oima_fsverity_digest_stream (OimaHashAlgo algo, GInputStream *stream, guint8 *out_digest,
                                      gsize *out_len, GCancellable *cancellable, GError **error);

/* What a signature v3 over the fs-verity digest @verity_digest (@algo) signs:
 * @algo over { IMA_VERITY_DIGSIG (0x06), kernel hash id of @algo,
 * @verity_digest } (the kernel's calc_file_id_hash()). */
gboolean oima_fsverity_sigv3_digest (OimaHashAlgo algo, const guint8 *verity_digest,
                                     gsize verity_digest_len, guint8 *out_digest, gsize *out_len,
                                     GError **error);

G_END_DECLS
