# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared shell helpers for the ostree-ima shell tests (tests/cli, tests/bench,
# and anyone else who sources it).  Source it from a bash script that runs with
# `set -euo pipefail`:
#
#   . "$(dirname "$0")/../libtest.sh"
#   oima_setup_tmpdir            # $TEST_TMPDIR, removed on exit
#
# Conventions: exit 77 = skipped (meson/automake), fatal() exits 1.
# Set OIMA_TEST_KEEP=1 to keep the temp dir of a failed (or any) run.

set -euo pipefail

LIBTEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${OSTREE_IMA_SRCDIR:=$(cd "$LIBTEST_DIR/.." && pwd)}"
: "${OSTREE_IMA_BUILDDIR:=$OSTREE_IMA_SRCDIR/build}"
: "${OSTREE_IMA:=$OSTREE_IMA_BUILDDIR/plugin/tools/ostree-ima}"
: "${OSTREE_IMA_SIGN:=$OSTREE_IMA_BUILDDIR/plugin/tools/ostree-ima-sign}"
export OSTREE_IMA OSTREE_IMA_SIGN OSTREE_IMA_SRCDIR OSTREE_IMA_BUILDDIR

TEST_NAME=${TEST_NAME:-$(basename "$0" .sh)}

# The system python (pyenv shims cost ~0.4 s per call, and we call it per file).
if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi

# ---------------------------------------------------------------- messages

info() { echo "# $*" >&2; }

fatal() {
  echo "FAIL: $TEST_NAME: $*" >&2
  exit 1
}

skip() {
  echo "SKIP: $TEST_NAME: $*"
  echo "SKIP: $TEST_NAME: $*" >&2
  exit 77
}

# ---------------------------------------------------------------- tmpdir

_OIMA_MOUNTS=()
_OIMA_CLEANUP_CMDS=()

_oima_cleanup() {
  local rc=$?
  local i
  for ((i = ${#_OIMA_CLEANUP_CMDS[@]} - 1; i >= 0; i--)); do
    eval "${_OIMA_CLEANUP_CMDS[$i]}" >/dev/null 2>&1 || true
  done
  for ((i = ${#_OIMA_MOUNTS[@]} - 1; i >= 0; i--)); do
    umount "${_OIMA_MOUNTS[$i]}" >/dev/null 2>&1 || umount -l "${_OIMA_MOUNTS[$i]}" >/dev/null 2>&1 || true
  done
  if [ -n "${TEST_TMPDIR:-}" ] && [ -d "$TEST_TMPDIR" ]; then
    if [ "${OIMA_TEST_KEEP:-0}" = 1 ] || { [ "$rc" != 0 ] && [ "$rc" != 77 ] && [ "${OIMA_TEST_KEEP:-0}" = failed ]; }; then
      echo "# kept $TEST_TMPDIR" >&2
    else
      chattr -R -i "$TEST_TMPDIR" >/dev/null 2>&1 || true
      rm -rf "$TEST_TMPDIR"
    fi
  fi
  exit "$rc"
}

# Register a shell snippet to run at exit (before the tmpdir is removed).
oima_on_exit() { _OIMA_CLEANUP_CMDS+=("$*"); }
# Register a mount point to unmount at exit.
oima_track_mount() { _OIMA_MOUNTS+=("$1"); }

# Create $TEST_TMPDIR on a real filesystem (not tmpfs: we need security.*
# xattrs, which /var/tmp on ext4/xfs has) and cd into it.
oima_setup_tmpdir() {
  local base=${OIMA_TEST_TMPBASE:-/var/tmp}
  TEST_TMPDIR=$(mktemp -d "$base/oima-$TEST_NAME.XXXXXX")
  export TEST_TMPDIR
  trap _oima_cleanup EXIT
  trap 'exit 130' INT TERM
  cd "$TEST_TMPDIR"
}

# ---------------------------------------------------------------- requirements

require_cmd() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || skip "missing command: $c"
  done
}

require_root() {
  [ "$(id -u)" = 0 ] || skip "needs root (security.* xattrs, bare repos)"
}

# The built tools; skip (not fail) when they have not been built yet.
require_tools() {
  [ -x "$OSTREE_IMA" ] || skip "ostree-ima not built: $OSTREE_IMA"
  if [ "${1:-}" = sign ]; then
    [ -x "$OSTREE_IMA_SIGN" ] || skip "ostree-ima-sign not built: $OSTREE_IMA_SIGN"
  fi
}

# We need to be able to write security.* xattrs where the tests run.
require_security_xattrs() {
  local f
  f=$(mktemp "${TEST_TMPDIR:-/var/tmp}/xattr-probe.XXXXXX")
  if ! setfattr -n security.ima -v 0x0401 "$f" 2>/dev/null; then
    rm -f "$f"
    skip "cannot write security.ima on $(dirname "$f")"
  fi
  rm -f "$f"
}

# ---------------------------------------------------------------- assertions

assert_streq() {
  [ "$1" = "$2" ] || fatal "${3:-strings differ}: '$1' != '$2'"
}

assert_not_streq() {
  [ "$1" != "$2" ] || fatal "${3:-strings equal}: '$1'"
}

# dump_and_fatal FILE MESSAGE: show FILE on stderr, then fail with MESSAGE.
dump_and_fatal() {
  echo "---- $1 ----" >&2
  cat "$1" >&2 || true
  echo "----" >&2
  fatal "$2"
}

assert_file_has_content() {
  local f=$1
  shift
  local re
  for re in "$@"; do
    grep -q -E -e "$re" "$f" || dump_and_fatal "$f" "$f does not match regex '$re'"
  done
}

# Case-insensitive variant.
assert_file_has_content_i() {
  local f=$1
  shift
  local re
  for re in "$@"; do
    grep -q -i -E -e "$re" "$f" ||
      dump_and_fatal "$f" "$f does not match regex '$re' (case-insensitive)"
  done
}

assert_not_file_has_content() {
  local f=$1
  shift
  local re
  for re in "$@"; do
    ! grep -q -E -e "$re" "$f" ||
      dump_and_fatal "$f" "$f unexpectedly matches regex '$re'"
  done
}

# Fixed string (not regex) must not appear in any of the files.
assert_not_has() {
  local s=$1
  shift
  local f
  for f in "$@"; do
    if grep -q -F -e "$s" "$f"; then
      fatal "$f contains forbidden string '$s'"
    fi
  done
}

assert_file_empty() {
  if [ -s "$1" ]; then
    cat "$1" >&2
    fatal "$1 is not empty"
  fi
}

assert_has_file() { [ -f "$1" ] || fatal "no file $1"; }
assert_not_has_file() { [ ! -e "$1" ] && [ ! -L "$1" ] || fatal "unexpected file $1"; }

# ---------------------------------------------------------------- running

# run_ok LABEL CMD...: run, stdout -> $TEST_TMPDIR/LABEL.out, stderr -> .err;
# fail (showing both) unless exit 0.
run_ok() {
  local label=$1
  shift
  local rc=0
  "$@" >"$TEST_TMPDIR/$label.out" 2>"$TEST_TMPDIR/$label.err" || rc=$?
  if [ "$rc" != 0 ]; then
    echo "---- command: $*" >&2
    echo "---- stdout:" >&2
    cat "$TEST_TMPDIR/$label.out" >&2
    echo "---- stderr:" >&2
    cat "$TEST_TMPDIR/$label.err" >&2
    fatal "$label: exit $rc, expected 0"
  fi
}

# run_fail LABEL CMD...: expect exit 1 with exactly one `error: ...` line on
# stderr (the CLI contract).  Output in $TEST_TMPDIR/LABEL.{out,err}.  The
# error line is echoed with an OBSERVED-ERROR prefix so the test log lists
# every message the CLI produced.
run_fail() {
  local label=$1
  shift
  local rc=0
  "$@" >"$TEST_TMPDIR/$label.out" 2>"$TEST_TMPDIR/$label.err" || rc=$?
  echo "OBSERVED-ERROR [$label] (exit $rc): $(tr '\n' '|' <"$TEST_TMPDIR/$label.err")" >&2
  if [ "$rc" != 1 ]; then
    echo "---- command: $*" >&2
    cat "$TEST_TMPDIR/$label.out" "$TEST_TMPDIR/$label.err" >&2
    fatal "$label: exit $rc, expected 1"
  fi
  local nerr
  nerr=$(grep -c '^error: ' "$TEST_TMPDIR/$label.err" || true)
  if [ "$nerr" != 1 ]; then
    cat "$TEST_TMPDIR/$label.err" >&2
    fatal "$label: expected exactly one 'error: ' line on stderr, got $nerr"
  fi
  # The contract is a one-line error: nothing but that line on stderr,
  # ignoring GLib/OpenSSL noise would hide bugs, so be strict.
  local nlines
  nlines=$(grep -c '' "$TEST_TMPDIR/$label.err" || true)
  if [ "$nlines" != 1 ]; then
    cat "$TEST_TMPDIR/$label.err" >&2
    fatal "$label: expected a one-line stderr, got $nlines lines"
  fi
}

# error_line LABEL: the `error: ...` line of a run_fail.
error_line() { grep -m1 '^error: ' "$TEST_TMPDIR/$1.err"; }

# assert_error_matches LABEL REGEX: case-insensitive match on the error line.
assert_error_matches() {
  local line
  line=$(error_line "$1")
  if ! grep -q -i -E -e "$2" <<<"$line"; then
    fatal "$1: error line does not match /$2/i: $line"
  fi
}

# Shorthands for the tools.
oima() { "$OSTREE_IMA" "$@"; }
oima_sign_dropin() { "$OSTREE_IMA_SIGN" "$@"; }

# ---------------------------------------------------------------- keys

_oima_cert_cnf() {
  # $1 = output cnf, $2 = CN, $3 = SKID ("hash" or hex)
  cat >"$1" <<EOF
[req]
distinguished_name = dn
prompt = no
x509_extensions = v3
[dn]
CN = $2
[v3]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
subjectKeyIdentifier = $3
authorityKeyIdentifier = keyid
EOF
}

# Self-signed certificate for an existing key.
# gen_cert KEY OUTPREFIX [CN] [SKID]  -> OUTPREFIX.cert.pem, OUTPREFIX.cert.der
gen_cert() {
  local key=$1 out=$2 cn=${3:-ostree-ima test} skid=${4:-hash}
  _oima_cert_cnf "$out.cnf" "$cn" "$skid"
  openssl req -new -x509 -key "$key" -config "$out.cnf" -days 3650 \
    -sha256 -out "$out.cert.pem" 2>/dev/null || fatal "openssl req failed for $key"
  openssl x509 -in "$out.cert.pem" -outform DER -out "$out.cert.der"
  rm -f "$out.cnf"
}

# gen_key TYPE OUTPREFIX: TYPE is rsa2048 rsa3072 rsa4096 p256 p384.
# Writes OUTPREFIX.key.pem (PKCS#8, unencrypted, 0600), OUTPREFIX.pub.pem,
# OUTPREFIX.cert.pem/.der (SKID=hash, keyUsage=digitalSignature).
gen_key() {
  local type=$1 out=$2
  case "$type" in
  rsa2048 | rsa3072 | rsa4096)
    openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:${type#rsa}" \
      -out "$out.key.pem" 2>/dev/null
    ;;
  p256 | P-256)
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
      -pkeyopt ec_param_enc:named_curve -out "$out.key.pem" 2>/dev/null
    ;;
  p384 | P-384)
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 \
      -pkeyopt ec_param_enc:named_curve -out "$out.key.pem" 2>/dev/null
    ;;
  *) fatal "gen_key: unknown key type $type" ;;
  esac
  chmod 0600 "$out.key.pem"
  openssl pkey -in "$out.key.pem" -pubout -out "$out.pub.pem"
  gen_cert "$out.key.pem" "$out" "ostree-ima test $type"
}

# gen_encrypted_key TYPE OUTPREFIX PASSFILE: like gen_key, plus
# OUTPREFIX.enc.pem encrypted with AES-256 under the passphrase in PASSFILE.
gen_encrypted_key() {
  local type=$1 out=$2 passfile=$3
  gen_key "$type" "$out"
  openssl pkey -in "$out.key.pem" -aes256 -passout "file:$passfile" \
    -out "$out.enc.pem" || fatal "encrypting key failed"
  chmod 0600 "$out.enc.pem"
}

# The default (computed) IMA key id of a public key, as evmctl computes it:
# SHA1 over the subjectPublicKey BIT STRING contents, bytes 16..19.  Prints 8
# lowercase hex digits.  $1 = any PEM holding the key (private, public or cert).
keyid_of() {
  local f=$1 der
  der=$(mktemp)
  if grep -q 'BEGIN CERTIFICATE' "$f"; then
    openssl x509 -in "$f" -noout -pubkey | openssl pkey -pubin -outform DER -out "$der"
  elif grep -q 'PUBLIC KEY' "$f"; then
    openssl pkey -pubin -in "$f" -outform DER -out "$der"
  else
    openssl pkey -in "$f" -pubout -outform DER -out "$der"
  fi
  "$PYTHON" - "$der" <<'PYEOF'
import hashlib, sys
d = open(sys.argv[1], "rb").read()
def tlv(b, i):
    tag = b[i]; i += 1
    n = b[i]; i += 1
    if n & 0x80:
        k = n & 0x7f
        n = int.from_bytes(b[i:i + k], "big"); i += k
    return tag, i, n
# SubjectPublicKeyInfo ::= SEQUENCE { AlgorithmIdentifier, BIT STRING }
tag, i, n = tlv(d, 0)
tag, j, n2 = tlv(d, i)          # AlgorithmIdentifier
tag, k, n3 = tlv(d, j + n2)     # BIT STRING
assert tag == 0x03
bits = d[k + 1:k + n3]          # skip the unused-bits byte
print(hashlib.sha1(bits).hexdigest()[32:40])
PYEOF
  rm -f "$der"
}

# Last 4 bytes of a certificate's subjectKeyIdentifier, 8 lowercase hex digits.
skid_keyid_of() {
  openssl x509 -in "$1" -noout -ext subjectKeyIdentifier |
    tail -n1 | tr -d ' :\n' | tr 'A-F' 'a-f' | tail -c 8
}

# ---------------------------------------------------------------- xattrs

# ima_hex FILE [NAME]: value of security.ima (or NAME) as lowercase hex
# without 0x; empty output (and status 1) if absent.
ima_hex() {
  local f=$1 name=${2:-security.ima} out
  out=$(getfattr --absolute-names -n "$name" -e hex -- "$f" 2>/dev/null) || return 1
  sed -n "s/^$name=0x//p" <<<"$out" | tr 'A-F' 'a-f'
}

# Decode the header of a signature v2 hex value.
# sig_type HEX / sig_version / sig_algo / sig_keyid / sig_size / sig_body
sig_type() { echo "${1:0:2}"; }
sig_version() { echo "${1:2:2}"; }
sig_algo() { echo "${1:4:2}"; }
sig_keyid() { echo "${1:6:8}"; }
sig_size() { echo $((16#${1:14:4})); }
sig_body() { echo "${1:18}"; }

# Kernel hash_algo number (2 hex digits) of an algorithm name.
hash_algo_id() {
  case "$1" in
  md5) echo 01 ;;
  sha1) echo 02 ;;
  sha256) echo 04 ;;
  sha384) echo 05 ;;
  sha512) echo 06 ;;
  sha224) echo 07 ;;
  *) fatal "hash_algo_id: $1" ;;
  esac
}

# Structural check of a v2 signature value: type 03, version 02, algorithm,
# sig_size == length - 9.  assert_sig_v2 HEX ALG [KEYID]
assert_sig_v2() {
  local hex=$1 alg=$2 keyid=${3:-}
  [ -n "$hex" ] || fatal "no security.ima value"
  assert_streq "$(sig_type "$hex")" 03 "signature type"
  assert_streq "$(sig_version "$hex")" 02 "signature version"
  assert_streq "$(sig_algo "$hex")" "$(hash_algo_id "$alg")" "hash algorithm byte"
  local body=${hex:18}
  assert_streq "$(sig_size "$hex")" $((${#body} / 2)) "sig_size vs xattr length"
  if [ -n "$keyid" ]; then
    assert_streq "$(sig_keyid "$hex")" "$keyid" "key id"
  fi
}

# Independent check with openssl: does HEX (signature v2 value) verify over
# CONTENTFILE's digest with the public key in PUBPEM (key or cert)?
# openssl_verify_sig HEX CONTENTFILE PUBPEM ALG
openssl_verify_sig() {
  local hex=$1 content=$2 pub=$3 alg=$4 d
  d=$(mktemp -d)
  if grep -q 'BEGIN CERTIFICATE' "$pub"; then
    openssl x509 -in "$pub" -noout -pubkey >"$d/pub.pem"
  else
    cp "$pub" "$d/pub.pem"
  fi
  sig_body "$hex" | hex2bin >"$d/sig"
  openssl dgst "-$alg" -binary "$content" >"$d/dgst"
  local rc=0
  openssl pkeyutl -verify -pubin -inkey "$d/pub.pem" -pkeyopt "digest:$alg" \
    -in "$d/dgst" -sigfile "$d/sig" >/dev/null 2>&1 || rc=$?
  rm -rf "$d"
  return $rc
}

# ---------------------------------------------------------------- ostree

# Everything about a repo that a failed sign must not change: refs with
# their targets and the number of commit objects.
repo_state() {
  local repo=$1
  {
    echo "refs:"
    ostree --repo="$repo" refs | LC_ALL=C sort | while read -r r; do
      echo "$r $(ostree --repo="$repo" rev-parse "$r")"
    done
    echo "commits: $(find "$repo/objects" -name '*.commit' | wc -l)"
  }
}

# Stricter: every object and ref file of a repo (names, not contents), for
# "nothing at all was written" (a refused pull or commit of the patched
# ostree).  repo_state above allows the unreferenced objects a failed
# second transaction may leave until `ostree prune`.
repo_objects_state() {
  (cd "$1" && find objects refs -type f 2>/dev/null | LC_ALL=C sort | sha256sum)
}

# assert_ref_unchanged REPO SAVED_STATE [LABEL]
assert_ref_unchanged() {
  local now
  now=$(repo_state "$1")
  if [ "$now" != "$2" ]; then
    echo "---- before:" >&2
    echo "$2" >&2
    echo "---- after:" >&2
    echo "$now" >&2
    fatal "${3:-repo} refs or commits changed"
  fi
}

# ostree_ls_x REPO REV PATH: the `ostree ls -X` line of one path.
ostree_ls_x() { ostree --repo="$1" ls -X "$2" -- "$3"; }

# The xattrs printed by `ostree ls -X` (GVariant text of a(ayay)), parsed
# by Python: prints "NAME<TAB>HEX" per xattr, in stored order.  GVariant
# prints an ay either as [byte 0x.., ...] or, when it ends in its only NUL,
# as a bytestring b'...' or b"..." with C escapes (\ooo, \n, \', ...)
# and without that NUL.  A random signature takes the bytestring form about
# once in 700, so both forms are decoded, escapes included.  A name that is
# not NUL-terminated is printed as "<NONUL>" and its hex.
_ostree_ls_xattrs() {
  ostree_ls_x "$1" "$2" "$3" | "$PYTHON" -c '
import ast, re, sys
line = sys.stdin.read()
if "{" not in line:
    sys.exit(1)  # ostree ls failed: it said why
inner = line[line.index("{"):line.rindex("}")]
ay = r"b\x27(?:[^\x27\\]|\\.)*\x27|b\x22(?:[^\x22\\]|\\.)*\x22|\[[^\]]*\]"
def decode(t):
    if t.startswith("["):
        return bytes(int(x.strip(), 16) for x in t[1:-1].replace("byte", "").split(",") if x.strip()), False
    return ast.literal_eval(t) + b"\0", True
for m in re.finditer(r"\((" + ay + r"), (" + ay + r")\)", inner):
    name, terminated = decode(m.group(1))
    value, _ = decode(m.group(2))
    shown = name[:-1].decode("latin-1") if terminated else "<NONUL>" + name.hex()
    print(shown + "\t" + value.hex())
'
}

# ostree_xattr_hex REPO REV PATH [NAME]: value of NAME (security.ima) in the
# committed object's xattrs, hex, or nothing (status 1) if absent.
ostree_xattr_hex() {
  local repo=$1 rev=$2 path=$3 name=${4:-security.ima}
  _ostree_ls_xattrs "$repo" "$rev" "$path" | awk -F '\t' -v n="$name" '$1 == n {print $2; found = 1; exit} END {exit !found}'
}

# ostree_xattr_names REPO REV PATH: xattr names of an object, one per line,
# in stored order.  A name not NUL-terminated shows as "<NONUL>HEX".
ostree_xattr_names() {
  _ostree_ls_xattrs "$1" "$2" "$3" | cut -f1
}

# Content checksum of a file in a commit.
ostree_content_checksum() {
  ostree --repo="$1" ls -C "$2" -- "$3" | awk '{print $5}'
}

# Mode column (e.g. -04755) of a path in a commit.
ostree_mode() { ostree --repo="$1" ls "$2" -- "$3" | awk '{print $1}'; }

# List every regular file path of a commit (one per line).
ostree_regular_files() {
  ostree --repo="$1" ls -R "$2" | awk '$1 ~ /^-/ {sub(/^[^\/]*\//, "/"); print}'
}

# ostree_file_objects REPO REV: "checksum path" of each regular file, sorted.
ostree_file_objects() {
  ostree --repo="$1" ls -R -C "$2" | awk '$1 ~ /^-/ {print $5, $6}' | LC_ALL=C sort
}

# ostree_objects_changed REPO_A REV_A REPO_B REV_B: how many regular files
# of B have an object that A does not have at that path (churn).
ostree_objects_changed() {
  comm -13 <(ostree_file_objects "$1" "$2") <(ostree_file_objects "$3" "$4") | wc -l
}

# make_repo MODE REPO: init a repo.
make_repo() {
  ostree --repo="$2" init --mode="$1" >/dev/null
}

# commit_tree REPO REF DIR [ostree commit args...]: commit, print checksum.
commit_tree() {
  local repo=$1 ref=$2 dir=$3
  shift 3
  ostree --repo="$repo" commit --branch="$ref" --tree=dir="$dir" \
    --subject="test $ref" --timestamp=2024-01-01T00:00:00Z "$@"
}

# fixture_commit MODE: the fixture tree in ./tree, committed as ref `src` of a
# new MODE repository ./repo; prints the commit.
fixture_commit() {
  mkdir tree
  oima_make_fixture_tree tree
  make_repo "$1" repo
  commit_tree repo src tree
}

# oima_serve_http DIR: serve DIR over HTTP on 127.0.0.1 (python3 -m
# http.server, log in $TEST_TMPDIR/http.log) until the script exits; sets
# HTTP_PORT once the server answers.
oima_serve_http() {
  local dir=$1 pid
  HTTP_PORT=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$PYTHON" -m http.server --bind 127.0.0.1 --directory "$dir" "$HTTP_PORT" >"$TEST_TMPDIR/http.log" 2>&1 &
  pid=$!
  oima_on_exit "kill $pid 2>/dev/null || true"
  for _ in $(seq 1 50); do
    curl -sf "http://127.0.0.1:$HTTP_PORT/" >/dev/null && return 0
    sleep 0.1
  done
  fatal "python3 -m http.server on 127.0.0.1:$HTTP_PORT did not answer"
}

# device_os_tree DIR PROGRAM...: a tiny OS tree ostree admin deploy takes:
# shell-script PROGRAMs in /usr/bin, a kernel, /usr/etc/hostname and
# os-release.
device_os_tree() {
  local dir=$1 p
  shift
  mkdir -p "$dir/usr/bin" "$dir/usr/lib/modules/6.1.0-test" "$dir/usr/etc"
  for p in "$@"; do printf '#!/bin/sh\necho %s\n' "$p" > "$dir/usr/bin/$p"; done
  chmod 0755 "$dir"/usr/bin/*
  echo kernel > "$dir/usr/lib/modules/6.1.0-test/vmlinuz"
  echo vendor > "$dir/usr/etc/hostname"
  printf 'NAME=testos\nID=testos\n' > "$dir/usr/etc/os-release"
}

# device_sysroot DIR OS: an initialized sysroot (made with the caller's
# iostree: the patched ostree) with stateroot OS, ready
# for /etc/ostree/ima.conf, /etc/keys/ima and /etc/ima (made here).
device_sysroot() {
  mkdir "$1"
  iostree admin init-fs "$1" >/dev/null
  iostree admin os-init --sysroot="$1" "$2" >/dev/null
  mkdir -p "$1/etc/ostree" "$1/etc/keys/ima" "$1/etc/ima"
}

# device_change_etc DEPLOYMENT: what a device does to its /etc between two
# deploys: /etc/hostname rewritten (a copy with its xattrs, so its
# security.ima is stale; cp drops security.evm) and /etc/foo.conf added.
device_change_etc() {
  cp --preserve=mode,ownership,xattr "$1/etc/hostname" "$TEST_TMPDIR/hostname.tmp"
  echo device > "$TEST_TMPDIR/hostname.tmp"
  mv "$TEST_TMPDIR/hostname.tmp" "$1/etc/hostname"
  echo new > "$1/etc/foo.conf"
}

# device_install_etc_key SYSROOT: device.key.pem as the sysroot's
# [deploy] etc-signing-key (at /etc/keys/ima-device/key.pem), its
# certificate in the device's trust (/etc/keys/ima).
device_install_etc_key() {
  mkdir -p "$1/etc/keys/ima-device" "$1/etc/keys/ima"
  cp device.key.pem "$1/etc/keys/ima-device/key.pem"
  cp device.cert.der "$1/etc/keys/ima/device.der"
}

# bench_use_patched_ostree PREFIX PLUGIN_DIR: an ostree-patches/build prefix
# and a directory holding ostree-ima-plugin.so (exit 2 naming the option
# when either is missing); `patched ARGS...` then runs that ostree with
# that plugin.  Made absolute: benchmarks run in their temp dir.
bench_use_patched_ostree() {
  [ -x "$1/bin/ostree" ] || { echo "no patched ostree at '$1' (--ostree PREFIX)" >&2; exit 2; }
  [ -f "$2/ostree-ima-plugin.so" ] || { echo "no ostree-ima-plugin.so in '$2' (--plugin-dir)" >&2; exit 2; }
  _BENCH_OSTREE=$(realpath "$1") _BENCH_PLUGIN_DIR=$(realpath "$2")
}
patched() {
  LD_LIBRARY_PATH="$_BENCH_OSTREE/lib" OSTREE_PLUGIN_PATH="$_BENCH_PLUGIN_DIR" "$_BENCH_OSTREE/bin/ostree" "$@"
}

# bench_trash PATH...: move PATHs out of the way (into trash/ of the
# current directory), for benchmarks that must delete nothing between
# measurements.  ext4 keeps a deleted inode from being reused for up to 5
# minutes, and until then every new inode (each O_TMPFILE ostree writes an
# object through) scans past the deleted ones in recently_deleted():
# measured here, a 1.3 s `ostree commit` of a minbase tree took 3.2 to
# 6.4 s, mostly system time, after an `rm -rf` of a few repositories.  The
# temp dir, trash/ with it, is deleted on exit; after deleting big trees
# yourself, wait 5 minutes before a benchmark.
# (Safe in subshells: each path gets a directory of its own.)
bench_trash() {
  local p t
  mkdir -p trash
  for p; do
    [ -e "$p" ] || continue
    t=$(mktemp -d trash/XXXXXX) && mv "$p" "$t/"
  done
}

# bench_median: the median of the numbers on stdin, one a line (nothing
# for no numbers: a variant that did not run).
bench_median() { sort -n | awk '{v[NR] = $1} END {if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# ---------------------------------------------------------------- fixtures

# Deterministic pseudo-random bytes: gen_bytes SEED SIZE_BYTES > file.
gen_bytes() {
  local seed=$1 size=$2 k
  k=$(printf '%s' "$seed" | openssl dgst -sha256 -binary | od -An -v -tx1 | tr -d ' \n')
  head -c "$size" /dev/zero |
    openssl enc -aes-128-ctr -K "${k:0:32}" -iv "${k:32:32}" -nosalt 2>/dev/null
}

# bench_small_files N DIRS SPAN DUP: N files tree/usr/lib/d<i % DIRS>/f<i>
# of 1024..1024+SPAN-1 bytes, slices of one 4 MiB pseudo-random pool (cheap
# to make); with DUP=1 every 10th file repeats another's content.
bench_small_files() {
  gen_bytes pool $((4 * 1024 * 1024)) >pool
  "$PYTHON" - "$@" <<'PYEOF'
import os, sys
n, dirs, span, dup = (int(a) for a in sys.argv[1:5])
pool = open("pool", "rb").read()
for i in range(n):
    d = f"tree/usr/lib/d{i % dirs}"
    os.makedirs(d, exist_ok=True)
    seed = i // 10 if dup and i % 10 == 0 else i
    size = 1024 + (seed * 7919) % span
    off = (seed * 104729) % (len(pool) - size)
    with open(f"{d}/f{i}", "wb") as f:
        f.write(pool[off:off + size])
PYEOF
}

# oima_make_fixture_tree DIR [--large]
# A tree exercising everything a signer must keep.  Paths (absolute in commit):
#   /usr/bin/{tool,tool-hardlink,setuid-tool,capable-tool}, /usr/bin/sub/deep/x
#   /usr/lib/libfoo.so.1 (+ symlink libfoo.so), /usr/lib/empty, /usr/lib/empty2
#   /usr/share/doc/{readme,readme-copy (same content, other path)}
#   /usr/share/doc/same-content-other-mode (same bytes as readme, 0600)
#   /etc/conf (user.* xattrs), /etc/selinux-labelled (security.selinux)
#   /etc/dangling -> /nonexistent (dangling symlink), /etc/link-to-dir -> ../usr
#   /opt/ünïcödé ✓/file, /opt/with space, /opt/glob[x]*?
#   /var/empty-dir (empty directory)
#   /usr/lib/big (100 MiB, only with --large), /usr/lib/sparse (hole + data)
# Non-UTF-8 names cannot be committed by stock ostree ("Invalid UTF-8 in
# filename"), so none are generated here.
oima_make_fixture_tree() {
  local d=$1 large=${2:-}
  mkdir -p "$d"/usr/bin/sub/deep "$d"/usr/lib "$d"/usr/share/doc "$d"/etc \
    "$d"/opt "$d"/var/empty-dir
  gen_bytes tool 40000 >"$d/usr/bin/tool"
  chmod 0755 "$d/usr/bin/tool"
  ln "$d/usr/bin/tool" "$d/usr/bin/tool-hardlink"
  gen_bytes setuid 3000 >"$d/usr/bin/setuid-tool"
  chmod 4755 "$d/usr/bin/setuid-tool"
  gen_bytes capable 5000 >"$d/usr/bin/capable-tool"
  chmod 0755 "$d/usr/bin/capable-tool"
  if command -v setcap >/dev/null 2>&1; then
    setcap cap_net_raw,cap_net_admin+ep "$d/usr/bin/capable-tool"
  else
    # v2 capability, cap_net_raw effective+permitted
    setfattr -n security.capability -v 0x0100000200200000000000000000000000000000 "$d/usr/bin/capable-tool"
  fi
  echo "deep file" >"$d/usr/bin/sub/deep/x"
  gen_bytes libfoo 200000 >"$d/usr/lib/libfoo.so.1"
  ln -s libfoo.so.1 "$d/usr/lib/libfoo.so"
  : >"$d/usr/lib/empty"
  : >"$d/usr/lib/empty2"
  chmod 0600 "$d/usr/lib/empty2"
  printf 'documentation\n' >"$d/usr/share/doc/readme"
  printf 'documentation\n' >"$d/usr/share/doc/readme-copy"
  printf 'documentation\n' >"$d/usr/share/doc/same-content-other-mode"
  chmod 0600 "$d/usr/share/doc/same-content-other-mode"
  printf 'key=value\n' >"$d/etc/conf"
  setfattr -n user.comment -v "hello world" "$d/etc/conf"
  setfattr -n user.binary -v 0x00ff00 "$d/etc/conf"
  printf 'labelled\n' >"$d/etc/selinux-labelled"
  setfattr -n security.selinux -v "system_u:object_r:etc_t:s0" "$d/etc/selinux-labelled" 2>/dev/null || true
  ln -s /nonexistent/target "$d/etc/dangling"
  ln -s ../usr "$d/etc/link-to-dir"
  mkdir -p "$d/opt/ünïcödé ✓"
  printf 'utf8\n' >"$d/opt/ünïcödé ✓/file"
  printf 'space\n' >"$d/opt/with space"
  printf 'glob\n' >"$d/opt/glob[x]*?"
  # sparse-ish: 8 MiB hole then 64 KiB of data
  truncate -s 8M "$d/usr/lib/sparse"
  gen_bytes sparse 65536 >>"$d/usr/lib/sparse"
  if [ "$large" = --large ]; then
    gen_bytes big $((100 * 1024 * 1024)) >"$d/usr/lib/big"
  fi
  # a directory with an xattr and unusual mode
  chmod 0750 "$d/var/empty-dir"
  setfattr -n user.dirattr -v dir "$d/var/empty-dir"
}

# hex on stdin -> bytes on stdout
hex2bin() { "$PYTHON" -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.stdin.read().strip()))'; }

# ---------------------------------------------------------------- cli tests

# Common start of a tests/cli script: root, tools, commands, tmpdir.
cli_test_init() {
  require_root
  require_cmd ostree evmctl getfattr setfattr openssl python3
  require_tools "$@"
  oima_setup_tmpdir
  require_security_xattrs
  info "ostree-ima: $OSTREE_IMA"
}

# evmctl_expect FILE KEY ALG [evmctl options...]: the security.ima evmctl
# writes for FILE's content (computed on a copy), as hex.
evmctl_expect() {
  local f=$1 key=$2 alg=$3
  shift 3
  local tmp
  tmp=$(mktemp "$TEST_TMPDIR/evmctl-oracle.XXXXXX")
  cat -- "$f" >"$tmp"
  evmctl ima_sign --key "$key" -a "$alg" "$@" "$tmp" >/dev/null 2>"$tmp.err" ||
    { cat "$tmp.err" >&2; fatal "evmctl ima_sign failed on copy of $f"; }
  ima_hex "$tmp"
  rm -f "$tmp" "$tmp.err"
}

# evmctl_verify FILE CERT_DER: evmctl ima_verify, quiet unless it fails.
evmctl_verify() {
  local out
  if ! out=$(evmctl ima_verify --key "$2" "$1" 2>&1); then
    echo "$out" >&2
    fatal "evmctl ima_verify failed for $1"
  fi
}

# checkout_rev REPO REV DIR: plain `ostree checkout` (as root: xattrs, modes
# and ownership applied on disk, for every repo mode).
checkout_rev() {
  rm -rf "$3"
  ostree --repo="$1" checkout "$2" "$3" || fatal "ostree checkout $2 failed"
}

# For every regular file under DIR: security.ima is a v2 signature with ALG
# (and KEYID if given) that evmctl ima_verify accepts with CERT_DER.
assert_checkout_all_signed() {
  local dir=$1 certder=$2 alg=${3:-sha256} keyid=${4:-} n=0 f hex
  while IFS= read -r -d '' f; do
    hex=$(ima_hex "$f") || fatal "no security.ima on $f"
    assert_sig_v2 "$hex" "$alg" "$keyid"
    evmctl_verify "$f" "$certder"
    n=$((n + 1))
  done < <(find "$dir" -type f -print0)
  [ "$n" -gt 0 ] || fatal "no regular files in $dir"
  info "$n files in $dir signed and verified by evmctl"
}

# assert_tree_kept REPO SRC_REV SIGNED_REV [SIGNED_PATHS_FILE]: everything but
# security.ima on regular files is identical between the two commits, and
# xattrs are canonical (see tests/cli/lsx-compare.py).
assert_tree_kept() {
  local repo=$1 a=$2 b=$3 list=${4:-}
  ostree --repo="$repo" ls -R -X "$a" >"$TEST_TMPDIR/lsx-src" || fatal "ostree ls $a"
  ostree --repo="$repo" ls -R -X "$b" >"$TEST_TMPDIR/lsx-signed" || fatal "ostree ls $b"
  local args=("$TEST_TMPDIR/lsx-src" "$TEST_TMPDIR/lsx-signed")
  [ -z "$list" ] || args+=(--signed "$list")
  if ! "$PYTHON" "$OSTREE_IMA_SRCDIR/tests/cli/lsx-compare.py" "${args[@]}" >"$TEST_TMPDIR/lsx-problems"; then
    cat "$TEST_TMPDIR/lsx-problems" >&2
    fatal "signed commit $b does not keep $a's tree"
  fi
}

# The commit's ContentChecksum (root dirtree + dirmeta): what two signed
# commits must share when only commit metadata (e.g. ostree.ref-binding,
# which names the target ref) may legitimately differ.
content_of() {
  ostree --repo="$1" show "$2" | awk '/^ContentChecksum:/ {print $2}'
}

# patched_ostree_with_plugin: true when the patched ostree and this tree's
# ima plugin can run here ($P/bin/ostree + $OSTREE_IMA_PLUGIN_DIR).  A
# plugin built with AddressSanitizer needs its runtime preloaded into the
# uninstrumented ostree: ci/test's sanitizer run of the cli suite does not,
# its ostree-patches run does.
# iostree ARGS...: the patched ostree ($OSTREE_IMA_PATCHED_OSTREE) with this
# tree's ima plugin ($OSTREE_IMA_PLUGIN_DIR); patched_ostree_with_plugin
# says whether there is one.
iostree() {
  OSTREE_PLUGIN_PATH="${OSTREE_IMA_PLUGIN_DIR:-}" LD_LIBRARY_PATH="$OSTREE_IMA_PATCHED_OSTREE/lib" \
    "$OSTREE_IMA_PATCHED_OSTREE/bin/ostree" "$@"
}

patched_ostree_with_plugin() {
  local p=${OSTREE_IMA_PATCHED_OSTREE:-} dir=${OSTREE_IMA_PLUGIN_DIR:-}
  [ -n "$p" ] && [ -x "$p/bin/ostree" ] && [ -n "$dir" ] || return 1
  # (ldd's output first: with pipefail, grep -q closing the pipe early
  # would make the test's outcome a race.)
  local libs
  libs=$(ldd "$dir"/*.so 2>/dev/null || true)
  if [[ $libs == *libasan* ]] && [[ ${LD_PRELOAD:-} != *libasan* ]]; then
    return 1
  fi
  return 0
}
