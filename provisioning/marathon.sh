#!/usr/bin/env bash
# Marathon from its last published Docker image (the Mesosphere package
# repositories are gone), on the host network so that it reaches ZooKeeper
# and the master on 127.0.0.1. task_killing makes Marathon advertise
# TASK_KILLING_STATE, so the executor reports TASK_KILLING.
set -euo pipefail
# shellcheck source=common.sh source-path=SCRIPTDIR
. "$(dirname "$0")/common.sh"

apt_install docker.io
systemctl enable --now docker
docker pull "$MARATHON_IMAGE"

cat >/etc/systemd/system/marathon.service <<UNIT
[Unit]
Description=Marathon (UI and API on :8080)
After=docker.service mesos-master.service
Requires=docker.service

[Service]
ExecStartPre=-/usr/bin/docker rm -f marathon
ExecStart=/usr/bin/docker run --rm --name marathon --net host $MARATHON_IMAGE \\
  --master zk://127.0.0.1:2181/mesos --zk zk://127.0.0.1:2181/marathon \\
  --hostname localhost --http_port 8080 --enable_features task_killing
ExecStop=/usr/bin/docker stop marathon
Restart=always
RestartSec=5

[Install]
WantedBy=multi-user.target
UNIT

systemctl daemon-reload
systemctl enable --now marathon
systemctl restart marathon
say "Marathon on http://localhost:8080 (give it a minute to start)"
