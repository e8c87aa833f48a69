#!/usr/bin/env bash
# deps.sh - installs the Debian 12 packages bpfvm needs to build and test,
# only those that are missing (apt-get update runs only when something is).
set -euo pipefail
pkgs=(build-essential cmake pkg-config git python3
      libcmocka-dev libpcap-dev libelf-dev libbpf-dev libcapstone-dev zlib1g-dev
      clang llvm tcpdump iproute2)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
	echo "deps: installing ${missing[*]}"
	if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
