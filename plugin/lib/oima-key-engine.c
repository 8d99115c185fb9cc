/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * PKCS#11 keys through libp11's OpenSSL engine (Debian:
 * libengine-pkcs11-openssl).  Debian 12 has no pkcs11-provider, and the
 * engine API is deprecated in OpenSSL 3, so it is confined to this one file,
 * which opts back in to it.  Everything the engine hands out is an ordinary
 * EVP_PKEY; signing goes through the same EVP_PKEY_sign path as file keys.
 */

#undef OPENSSL_NO_DEPRECATED
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <string.h>

#include <openssl/engine.h>
#include <openssl/ui.h>

#include "oima-key-loader.h"
#include "oima-util.h"

typedef struct {
  const char *pin;
} PinRequest;

static int
pin_reader (UI *ui, UI_STRING *uis)
{
  PinRequest *req = UI_get0_user_data (ui);
  switch (UI_get_string_type (uis))
    {
    case UIT_PROMPT:
    case UIT_VERIFY:
      if (req == NULL || req->pin == NULL)
        return 0;
      return UI_set_result (ui, uis, req->pin) == 0 ? 1 : 0;
    default:
      return 1;
    }
}

EVP_PKEY *
oima_key_engine_load_pkcs11 (const char *uri, const char *pin, GError **error)
{
#ifdef OPENSSL_NO_ENGINE
  return oima_null_throw (error, "PKCS#11 keys need OpenSSL engine support, which this build lacks");
#else
  ENGINE *e = ENGINE_by_id ("pkcs11");
  if (e == NULL)
    return oima_null_throw_openssl (error,
                                    "PKCS#11 key: the OpenSSL pkcs11 engine is not available "
                                    "(install libengine-pkcs11-openssl)");
  if (!ENGINE_init (e))
    {
      ENGINE_free (e);
      return oima_null_throw_openssl (error, "PKCS#11 key: initializing the pkcs11 engine");
    }
  UI_METHOD *ui = UI_create_method ("ostree-ima pin");
  UI_method_set_reader (ui, pin_reader);
  PinRequest req = { pin };
  EVP_PKEY *pkey = ENGINE_load_private_key (e, uri, ui, &req);
  UI_destroy_method (ui);
  ENGINE_finish (e);
  ENGINE_free (e);
  if (pkey == NULL)
    /* Never echo the URI: it may carry pin-value. */
    return oima_null_throw_openssl (error, "PKCS#11 key: no private key found for the given URI");
  ERR_clear_error ();
  return pkey;
#endif
}
