# Shared setup for the patched-ostree tests, on top of tests/libtest.sh (the
# one shell test library).  Source it; it cds into a fresh temporary
# directory ($T, libtest's $TEST_TMPDIR), removed on exit.
. "$(dirname "${BASH_SOURCE[0]}")/../libtest.sh"

fail() { fatal "$@"; }
ok() { echo "ok - $*"; }

[ -n "${OSTREE_IMA_PATCHED_OSTREE:-}" ] ||
    skip "meson option patched_ostree is not set (build one with ostree-patches/build PREFIX)"
P=$OSTREE_IMA_PATCHED_OSTREE
[ -x "$P/bin/ostree" ] || skip "no patched ostree at $P/bin/ostree"
command -v evmctl >/dev/null || skip "evmctl (ima-evm-utils) not installed"
command -v openssl >/dev/null || skip "openssl not installed"

PLUGIN_DIR=${OSTREE_IMA_PLUGIN_DIR:-}
STOCK_OSTREE=/usr/bin/ostree

# The patched ostree, without any plugin unless a test sets OSTREE_PLUGIN_PATH
postree() { LD_LIBRARY_PATH="$P/lib" "$P/bin/ostree" "$@"; }
# ... with our plugin: libtest.sh's iostree
# Debian's ostree, never the patched library
sostree() { env -u LD_LIBRARY_PATH -u OSTREE_PLUGIN_PATH "$STOCK_OSTREE" "$@"; }

is_root() { [ "$(id -u)" = 0 ]; }

oima_setup_tmpdir
T=$TEST_TMPDIR

# The patch series' test plugin (tests/ostree-test-plugin.c of patch 0002:
# env-driven pull and deploy vetoes, a log, a deploy-time xattr change),
# installed with the patched build's installed tests; copied alone into a
# plugin directory of this test ("" when the build has none).
TEST_PLUGIN_DIR=
if [ -f "$P/libexec/installed-tests/libostree/ostree-test-plugin.so" ]; then
    TEST_PLUGIN_DIR=$T/test-plugin
    mkdir -p "$TEST_PLUGIN_DIR"
    cp "$P/libexec/installed-tests/libostree/ostree-test-plugin.so" "$TEST_PLUGIN_DIR/"
fi
# The error of a vetoed pull or deploy.
TEST_VETO="test plugin: refusing"

# An IMA signing key as the kernel wants it, and its certificate (PEM + DER).
make_key() {
    local name=$1
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$name.pem" -out "$name.crt" \
        -days 30 -subj "/CN=ostree-ima test $name" \
        -addext "subjectKeyIdentifier=hash" \
        -addext "keyUsage=critical,digitalSignature" \
        -addext "basicConstraints=critical,CA:FALSE" 2>/dev/null
    openssl x509 -in "$name.crt" -outform DER -out "$name.der"
}

# Every regular file under DIR verifies with evmctl against CERT (DER).
verify_tree() {
    local dir=$1 cert=$2 n=0 f
    while IFS= read -r -d '' f; do
        evmctl ima_verify --key "$cert" "$f" >/dev/null 2>"$T/verify.err" ||
            { cat "$T/verify.err" >&2; fail "evmctl ima_verify $f"; }
        n=$((n + 1))
    done < <(find "$dir" -type f -print0)
    echo "$n"
}


assert_file_has() { grep -qF -- "$2" "$1" || { echo "--- $1:"; cat "$1"; fail "'$2' not in $1"; }; }
