#!/bin/sh
# Installs the Debian packages the build and the tests need, and nothing else.
# Idempotent: apt-get runs only when a package is missing. Safe to run on every build.
set -eu

# musl-tools, dpkg-dev, debian-archive-keyring and python3: the static
# executor (scripts/static-deps builds its libraries from Debian's source
# packages); busybox-static: the chroot it is tested in (it replaces the
# busybox package, whose /bin/busybox it provides statically linked).
pkgs="build-essential cmake pkg-config
libcurl4-openssl-dev libuv1-dev libprotobuf-c-dev protobuf-c-compiler
libmicrohttpd-dev libcjson-dev libcmocka-dev libmbedtls-dev
clang libclang-rt-dev valgrind curl openssl python3-consul python3-cram jq
musl-tools dpkg-dev debian-archive-keyring python3 busybox-static"

missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "deps.sh: installing$missing" >&2
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
$SUDO apt-get install -y --no-install-recommends $missing ||
	{ $SUDO apt-get update && $SUDO apt-get install -y --no-install-recommends $missing; }
