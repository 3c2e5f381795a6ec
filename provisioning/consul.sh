#!/usr/bin/env bash
# Consul in dev mode (in-memory, one node, UI on :8500), from HashiCorp's
# release archive, checked against the release's SHA256SUMS.
set -euo pipefail
# shellcheck source=common.sh source-path=SCRIPTDIR
. "$(dirname "$0")/common.sh"

apt_install curl ca-certificates unzip

if /usr/local/bin/consul version 2>/dev/null | grep -q "Consul v$CONSUL_VERSION"; then
	say "Consul $CONSUL_VERSION already installed"
else
	base="https://releases.hashicorp.com/consul/$CONSUL_VERSION"
	zip="consul_${CONSUL_VERSION}_linux_amd64.zip"
	tmp=$(mktemp -d)
	fetch "$base/$zip" "$tmp/$zip"
	fetch "$base/consul_${CONSUL_VERSION}_SHA256SUMS" "$tmp/SHA256SUMS"
	(cd "$tmp" && grep " $zip\$" SHA256SUMS | sha256sum -c -)
	unzip -o -q "$tmp/$zip" -d /usr/local/bin
	rm -rf "$tmp"
fi

cat >/etc/systemd/system/consul.service <<UNIT
[Unit]
Description=Consul agent in dev mode (:8500)
After=network-online.target
Wants=network-online.target

[Service]
ExecStart=/usr/local/bin/consul agent -dev -client 0.0.0.0 -node mesos-executor
Restart=always
RestartSec=3

[Install]
WantedBy=multi-user.target
UNIT

systemctl daemon-reload
systemctl enable --now consul
systemctl restart consul
say "Consul on http://localhost:8500"
