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

#include "oima-key-engine.h"
#include "oima-key-loader.h"
#include "oima-util.h"

typedef struct
{
  const char *pin;
  gboolean asked;
} PinRequest;

static int
pin_reader (UI *ui, UI_STRING *uis)
{
  PinRequest *req = UI_get0_user_data (ui);
  switch (UI_get_string_type (uis))
    {
    case UIT_PROMPT:
    case UIT_VERIFY:
      if (req != NULL)
        req->asked = TRUE;
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
  return oima_null_throw (error,
                          "PKCS#11 keys need OpenSSL engine support, which this build lacks");
#else
  ENGINE *e = ENGINE_by_id ("pkcs11");
  if (e == NULL)
    return oima_null_throw_openssl (error,
                                    "PKCS#11 key: the OpenSSL pkcs11 engine is not available "
                                    "(install libengine-pkcs11-openssl)");
  /* libp11 prints its own diagnostics on stderr; errors go through GError. */
  (void)ENGINE_ctrl_cmd (e, "QUIET", 0, NULL, NULL, 0);
  ERR_clear_error ();
  if (!ENGINE_init (e))
    {
      ENGINE_free (e);
      return oima_null_throw_openssl (error, "PKCS#11 key: initializing the pkcs11 engine");
    }
  UI_METHOD *ui = UI_create_method ("ostree-ima pin");
  UI_method_set_reader (ui, pin_reader);
  PinRequest req = { pin, FALSE };
  EVP_PKEY *pkey = ENGINE_load_private_key (e, uri, ui, &req);
  UI_destroy_method (ui);
  ENGINE_finish (e);
  ENGINE_free (e);
  if (pkey == NULL)
    {
      /* Tell a failed login (wrong or missing PIN) from a missing key.
       * Never echo the URI. */
      gboolean login_failed = FALSE;
      unsigned long code;
      while ((code = ERR_get_error ()) != 0)
        {
          const char *reason = ERR_reason_error_string (code);
          if (reason
              && (strstr (reason, "PIN") || strstr (reason, "login") || strstr (reason, "Login")))
            login_failed = TRUE;
        }
      if (pin == NULL && (login_failed || req.asked))
        return oima_throw_code (error, OIMA_ERROR_PASSPHRASE_NEEDED,
                                "PKCS#11 key: login to the token failed: no PIN given"),
               NULL;
      if (login_failed)
        return oima_throw_code (error, OIMA_ERROR_PASSPHRASE_WRONG,
                                "PKCS#11 key: login to the token failed: wrong PIN"),
               NULL;
      return oima_null_throw (error, "PKCS#11 key: no private key matches the URI (check "
                                     "token, object/id, and the PIN)");
    }
  ERR_clear_error ();
  return pkey;
#endif
}
