#!/usr/bin/env bash
# Builds the executor from the synced sources (/vagrant) with scripts/release,
# installs the .deb (executor and the fakes in /usr/bin), and publishes the
# tarball's binary with nginx at http://localhost/executor, where the example
# apps fetch it, and runs fakevaas as the VM's VaaS. Run it again after
# changing the code:
#   vagrant rsync && vagrant provision --provision-with executor
set -euo pipefail
# shellcheck source=common.sh source-path=SCRIPTDIR
. "$(dirname "$0")/common.sh"

apt_install nginx git

cd /vagrant
# The sources belong to the host user; let git describe read them as root.
git config --global --add safe.directory /vagrant
SKIP_SMOKE=1 scripts/release

deb=$(ls build/release/dist/mesos-executor_*.deb)
bin=$(ls build/release/dist/executor-*/executor)
apt-get install -y "./$deb"
install -m 0755 "$bin" /var/www/html/executor
systemctl enable --now nginx
curl -fsS -o /dev/null http://localhost/executor
say "$(executor --version) published at http://localhost/executor"

# No VaaS is published to run outside Allegro, so the fake one (from the .deb)
# plays it, with VaaS's development data (director first_service, dc dc1).
cat >/etc/systemd/system/fakevaas.service <<UNIT
[Unit]
Description=fakevaas: a fake VaaS API (:3030) for the executor's VaaS hook
After=network-online.target

[Service]
ExecStart=/usr/bin/fakevaas --listen 127.0.0.1:3030
Restart=always
RestartSec=3

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable --now fakevaas
systemctl restart fakevaas
say "fakevaas on http://127.0.0.1:3030 (inside the VM)"
