#!/bin/bash
# Case 4: a program signed (by ostree-ima sign) with a key whose cert is NOT in
# the guest's _ima keyring is denied.  The kernel (6.1 and 6.12 alike) reports
# it as invalid-signature (the key lookup fails inside the signature check;
# there is no separate "unknown key" cause).  Control: same tree signed with
# the loaded key runs.
. "$(dirname "$0")/lib-kernel.sh"
kt_init "case 4: signed by a key not loaded in the guest is denied"

kt_keygen_rsa loaded
kt_keygen_rsa stranger
tree=$KT_TMP/tree
kt_build_programs "$tree" hello
kt_add_files "$tree"
kt_repo_init
kt_commit src "$tree"
kt_sign loaded sha256 src signed-loaded
kt_sign stranger sha256 src signed-stranger
kt_checkout signed-loaded loaded
kt_checkout signed-stranger stranger
for t in loaded stranger; do kt_require_ima_sig "$KT_IMGROOT/$t/usr/bin/hello" 4; done

kt_guest_ima_cert loaded
kt_guest_program stranger-rsa stranger/usr/bin/hello
kt_guest_program control-loaded loaded/usr/bin/hello
kt_boot

kt_expect_denied stranger-rsa invalid-signature
kt_expect_ran control-loaded
kt_finish
