#!/usr/bin/env bash
# Boots the VM with cgroup v1 controllers: Mesos 1.11's cgroups/cpu and
# cgroups/mem isolators do not support the unified (v2) hierarchy that
# Debian 12 uses by default. The Vagrantfile reboots the VM after this runs.
set -euo pipefail
# shellcheck source=common.sh source-path=SCRIPTDIR
. "$(dirname "$0")/common.sh"

param="systemd.unified_cgroup_hierarchy=0"
if grep -q "$param" /etc/default/grub; then
	say "cgroup v1 already configured"
else
	say "switching to cgroup v1 ($param)"
	sed -i "s/^GRUB_CMDLINE_LINUX=\"\(.*\)\"/GRUB_CMDLINE_LINUX=\"\1 $param\"/" /etc/default/grub
	update-grub
fi
