#!/usr/bin/env bash
# Helpers shared by the provisioning scripts (sourced, not run): logging,
# apt installs that skip what is there, and checked downloads.

# Versions this VM installs. Change them here; README "Running it on a real
# cluster" names them too.
export MESOS_VERSION=1.11.0
export MARATHON_IMAGE=mesosphere/marathon:v1.11.24
export CONSUL_VERSION=1.15.4

say() { echo "==> $*"; }

# apt_install PACKAGE...: installs the packages that are missing.
apt_install() {
	local missing=()
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	[ "${#missing[@]}" -eq 0 ] && return 0
	say "apt-get install ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y --no-install-recommends "${missing[@]}" ||
		{ apt-get update && apt-get install -y --no-install-recommends "${missing[@]}"; }
}

# fetch URL FILE: downloads URL to FILE unless FILE is already there.
fetch() {
	[ -s "$2" ] && return 0
	say "downloading $1"
	curl -fsSL --retry 3 -o "$2.part" "$1"
	mv "$2.part" "$2"
}

# hex_digest FILE: every hexadecimal run of 8 or more characters in FILE,
# joined and lower-cased: the digest in both "HASH  name" files and GnuPG's
# grouped "name: XXXXXXXX XXXXXXXX ..." files.
hex_digest() {
	grep -oiE '[0-9a-f]{8,}' "$1" | tr -d '\n' | tr 'A-F' 'a-f'
}
