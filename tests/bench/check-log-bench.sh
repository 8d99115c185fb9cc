#!/bin/bash
# `ostree ima check-log` on a 1 GiB measurement list, read from a pipe:
# the time it takes and its peak memory (GNU time), against the same list
# of 1/64th the size.  Memory must not grow with the list: the reader is
# streamed, and the commit's digests are cached once per object.
#
# Usage: OSTREE_IMA=_build/plugin/tools/ostree-ima tests/bench/check-log-bench.sh [--gib N]
# The list repeats a 23 MiB binary list of ima-sig entries (files of a
# small signed commit); every entry's template hash is valid, and PCR 10
# is replayed over all of them.
set -euo pipefail
. "$(dirname "$0")/../libtest.sh"
TEST_NAME=check-log-bench
GIB=1
while [ $# -gt 0 ]; do
  case $1 in
  --gib) GIB=$2; shift 2 ;;
  -h | --help) sed -n '2,11p' "$0"; exit 0 ;;
  *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
OSTREE_IMA=${OSTREE_IMA:-$(dirname "$0")/../../_build/plugin/tools/ostree-ima}
[ -x "$OSTREE_IMA" ] || { echo "ostree-ima not built: $OSTREE_IMA (set OSTREE_IMA)" >&2; exit 2; }
OSTREE_IMA=$(realpath "$OSTREE_IMA")
SRC=$(realpath "$(dirname "$0")/../..")
require_cmd ostree python3 /usr/bin/time
oima_setup_tmpdir

gen_key rsa2048 key
mkdir -p tree/usr/bin
for i in $(seq 1 64); do printf '#!/bin/sh\necho %s\n' "$i" > "tree/usr/bin/p$i"; done
make_repo bare repo
src=$(commit_tree repo src tree)
"$OSTREE_IMA" sign --repo=repo --key key.key.pem "$src" os/signed >/dev/null
ostree --repo=repo checkout os/signed co
# One chunk: 22,400 ima-sig entries of the commit's files, about 23 MiB.
for r in $(seq 1 350); do
  for i in $(seq 1 64); do echo "sig /usr/bin/p$i co/usr/bin/p$i"; done
done > chunk.spec
python3 "$SRC/tests/cli/make-measure-log.py" chunk.ascii chunk.binary < chunk.spec >/dev/null
chunk=$(stat -c %s chunk.binary)

# run NAME REPEATS: check-log on REPEATS copies of the chunk through a pipe.
run() {
  local name=$1 repeats=$2
  /usr/bin/time -f '%e %M' -o "$name.time" sh -c \
    "for i in \$(seq 1 $repeats); do cat chunk.binary; done | '$OSTREE_IMA' check-log --repo=repo os/signed - >'$name.out'"
  read -r secs kib < "$name.time"
  echo "$name: $(( chunk * repeats / 1048576 )) MiB of log, $(grep -o '^check-log: [0-9]* entries' "$name.out"), ${secs} s, peak RSS $((kib / 1024)) MiB"
  echo "$kib" > "$name.rss"
}
repeats=$(( (GIB * 1073741824 + chunk - 1) / chunk ))
run small $(( (repeats + 63) / 64 ))
run big "$repeats"
echo "ratio: peak RSS big/small = $(python3 -c "print(f'{$(cat big.rss)/$(cat small.rss):.2f}')")x (1.00x: memory does not grow with the list)"
