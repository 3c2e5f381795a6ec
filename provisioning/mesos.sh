#!/usr/bin/env bash
# Apache Mesos (master and agent) built from the release tarball in the
# Apache archive, since no one publishes Mesos packages for Debian 12 any
# more (the Mesosphere/D2iQ repositories are gone and Mesos is in the Apache
# Attic). The first run takes about an hour; later runs only (re)write the
# services. ZooKeeper comes from Debian (Marathon needs it, and the master
# registers there).
#
# The agent runs with the Mesos containerizer and the isolators
#   filesystem/linux, namespaces/pid, cgroups/cpu, cgroups/mem
# (namespaces/pid needs filesystem/linux), and gives every executor the
# settings for Consul and VaaS on this VM (EXECUTOR_ENV below).
set -euo pipefail
# shellcheck source=common.sh source-path=SCRIPTDIR
. "$(dirname "$0")/common.sh"

apt_install build-essential g++-11 curl ca-certificates tar zlib1g-dev libcurl4-openssl-dev \
	libsasl2-dev libsasl2-modules libapr1-dev libsvn-dev libssl-dev libev-dev python3 \
	python3-six iputils-ping zookeeperd

if [ -x /usr/local/sbin/mesos-agent ] &&
	/usr/local/sbin/mesos-agent --version 2>/dev/null | grep -q "mesos $MESOS_VERSION"; then
	say "Mesos $MESOS_VERSION already installed"
else
	src=/usr/local/src
	tarball="$src/mesos-$MESOS_VERSION.tar.gz"
	url="https://archive.apache.org/dist/mesos/$MESOS_VERSION/mesos-$MESOS_VERSION.tar.gz"
	mkdir -p "$src"
	fetch "$url" "$tarball"
	fetch "$url.sha512" "$tarball.sha512"
	want=$(hex_digest "$tarball.sha512")
	got=$(sha512sum "$tarball" | cut -d ' ' -f 1)
	if [ "$want" != "$got" ]; then
		echo "mesos.sh: $tarball does not match $url.sha512" >&2
		rm -f "$tarball" "$tarball.sha512"
		exit 1
	fi
	rm -rf "$src/mesos-$MESOS_VERSION"
	tar -xzf "$tarball" -C "$src"
	build="$src/mesos-$MESOS_VERSION/build"
	mkdir -p "$build"
	cd "$build"
	# Mesos 1.11 predates GCC 12, so GCC 11; its sources also lean on headers
	# that newer libstdc++ no longer includes transitively.
	say "building Mesos $MESOS_VERSION (about an hour; log in $build/build.log)"
	CC=gcc-11 CXX=g++-11 CXXFLAGS="-O2 -include limits -include cstdint" \
		../configure --disable-java --disable-python --disable-werror >"$build/configure.log" 2>&1 ||
		{ tail -n 40 "$build/configure.log"; exit 1; }
	mem_gb=$(awk '/MemTotal/ { print int($2 / 1048576) }' /proc/meminfo)
	jobs=$(nproc)
	[ "$jobs" -gt $((mem_gb / 2 + 1)) ] && jobs=$((mem_gb / 2 + 1))
	make -j "$jobs" V=0 >"$build/build.log" 2>&1 || { tail -n 60 "$build/build.log"; exit 1; }
	make install >"$build/install.log" 2>&1 || { tail -n 40 "$build/install.log"; exit 1; }
	ldconfig
fi

mkdir -p /var/lib/mesos/master /var/lib/mesos/agent /var/log/mesos

# What every executor gets: debug logs, the local Consul, and the VaaS that
# fakevaas plays (provisioning/executor.sh; its development data has the user
# admin with key vagrant_api_key and the datacenter dc1).
EXECUTOR_ENV='{"PATH":"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
"ALLEGRO_EXECUTOR_DEBUG":"true","CONSUL_HTTP_ADDR":"127.0.0.1:8500","CLOUD_PUBLIC_IP":"127.0.0.1",
"ALLEGRO_EXECUTOR_VAAS_HOST":"http://127.0.0.1:3030","ALLEGRO_EXECUTOR_VAAS_USERNAME":"admin",
"ALLEGRO_EXECUTOR_VAAS_TOKEN":"vagrant_api_key","CLOUD_DC":"dc1"}'
EXECUTOR_ENV=$(printf '%s' "$EXECUTOR_ENV" | tr -d '\n')

cat >/etc/systemd/system/mesos-master.service <<UNIT
[Unit]
Description=Mesos master (UI on :5050)
After=network-online.target zookeeper.service
Wants=network-online.target zookeeper.service

[Service]
ExecStart=/usr/local/sbin/mesos-master --ip=0.0.0.0 --advertise_ip=127.0.0.1 \\
  --hostname=localhost --port=5050 --zk=zk://127.0.0.1:2181/mesos --quorum=1 \\
  --work_dir=/var/lib/mesos/master --log_dir=/var/log/mesos
Restart=always
RestartSec=3

[Install]
WantedBy=multi-user.target
UNIT

cat >/etc/systemd/system/mesos-agent.service <<UNIT
[Unit]
Description=Mesos agent (:5051)
After=network-online.target mesos-master.service
Wants=network-online.target

[Service]
ExecStart=/usr/local/sbin/mesos-agent --ip=0.0.0.0 --advertise_ip=127.0.0.1 \\
  --hostname=localhost --port=5051 --master=zk://127.0.0.1:2181/mesos \\
  --work_dir=/var/lib/mesos/agent --log_dir=/var/log/mesos \\
  --containerizers=mesos --launcher=linux \\
  --isolation=filesystem/linux,namespaces/pid,cgroups/cpu,cgroups/mem \\
  --executor_environment_variables='$EXECUTOR_ENV'
Restart=always
RestartSec=3
# As Mesos' own packaging: executors outlive agent restarts; cgroups delegated.
KillMode=process
LimitNOFILE=16384
CPUAccounting=true
MemoryAccounting=true
Delegate=true

[Install]
WantedBy=multi-user.target
UNIT

systemctl daemon-reload
systemctl enable --now zookeeper mesos-master mesos-agent
systemctl restart mesos-master mesos-agent
say "Mesos master on http://localhost:5050, agent on :5051"
