#!/bin/sh
# Interop check against the upstream Mesos .proto files (not part of ctest or
# CI: it needs Debian's golang-github-mesos-mesos-go-dev, which ships them,
# and installs it when missing). Generates C from the upstream protos with
# protoc-c (gogoproto options stripped), builds tests/interop/interop.c with
# both our generated code and theirs, and exchanges every Call fixture ours
# -> upstream and every Event fixture upstream -> ours (see interop.c).
#   tests/interop/check.sh            exits non-zero when anything disagrees
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
pkg=golang-github-mesos-mesos-go-dev
lib=/usr/share/gocode/src/github.com/mesos/mesos-go/api/v1/lib

if [ ! -f "$lib/mesos.proto" ] || [ ! -f "$lib/executor/executor.proto" ]; then
	echo "check.sh: installing $pkg for the upstream .proto files" >&2
	if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get install -y --no-install-recommends "$pkg" ||
		{ $SUDO apt-get update && $SUDO apt-get install -y --no-install-recommends "$pkg"; }
fi
for tool in protoc-c cc pkg-config perl; do
	command -v "$tool" >/dev/null || { echo "check.sh: $tool missing (run scripts/deps.sh)" >&2; exit 2; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/interop.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
up=$tmp/up/github.com/mesos/mesos-go/api/v1/lib
mkdir -p "$up/executor" "$tmp/gen-up" "$tmp/gen-ours"

# The gogoproto options only steer Go code generation; protoc-c has no
# gogo.proto, so the import, the file options and the field options go.
for f in mesos.proto executor/executor.proto; do
	perl -0pe '
		s/^\s*import "github.com\/gogo[^\n]*\n//mg;
		s/^\s*option \(gogoproto\.[^;]*;[ \t]*\n//mg;
		s/\s*,?\s*\(gogoproto\.\w+\)\s*=\s*("[^"]*"|[\w.]+)//g;
		s/\[\s*,\s*/[/g;
		s/\s*\[\s*\]//g;
	' "$lib/$f" >"$up/$f"
done
if grep -n "gogoproto" "$up/mesos.proto" "$up/executor/executor.proto" | grep -v "//"; then
	echo "check.sh: gogoproto options left after stripping" >&2
	exit 2
fi

protoc-c --proto_path="$tmp/up" --c_out="$tmp/gen-up" \
	github.com/mesos/mesos-go/api/v1/lib/mesos.proto \
	github.com/mesos/mesos-go/api/v1/lib/executor/executor.proto
protoc-c --proto_path="$root/proto" --c_out="$tmp/gen-ours" \
	mesos/v1/mesos.proto mesos/v1/executor/executor.proto

# shellcheck disable=SC2046
cc -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -g -O1 \
	-fsanitize=address,undefined -fno-sanitize-recover=all \
	-I"$root" -I"$tmp/gen-ours" -I"$tmp/gen-up" \
	-o "$tmp/interop" "$root/tests/interop/interop.c" \
	"$root/proto/pbjson.c" "$root/common/base64.c" "$root/common/file.c" \
	"$tmp/gen-ours/mesos/v1/mesos.pb-c.c" "$tmp/gen-ours/mesos/v1/executor/executor.pb-c.c" \
	"$tmp/gen-up/github.com/mesos/mesos-go/api/v1/lib/mesos.pb-c.c" \
	"$tmp/gen-up/github.com/mesos/mesos-go/api/v1/lib/executor/executor.pb-c.c" \
	$(pkg-config --cflags --libs libprotobuf-c libcjson) -lmbedcrypto

echo "upstream: $(dpkg-query -W -f='${Package} ${Version}' "$pkg" 2>/dev/null || echo "$lib")"
ASAN_OPTIONS=detect_leaks=1 "$tmp/interop" "$root/tests/unit/fixtures"
