#!/usr/bin/env bash
# demo.sh - the README's demo command: installs what is missing, builds, and
# runs the kernel's sock_example program (the seed's bytecode, unchanged) on
# the bundled loopback capture, printing the per-protocol counts.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/deps.sh"
"$root/scripts/build.sh" "$root/build"
echo "sock_example on examples/data/sample.pcap:"
"$root/build/sock_example" --pcap "$root/examples/data/sample.pcap"
