#!/bin/bash
# Print a generated tenant policy (YAML) for the namespace tests and benches:
#   gen_tenant.sh NAME ID RULES SEED
# 4 zones (VLAN 300+4*(ID%100)+z, subnet 10.(100+ID%100).z.0/24, the odd ones
# isolated) of 50 hosts each, and RULES distinct host-to-host rules (at most
# 10,000: every rule is its own source . destination pair, so no rule shadows
# another) between neighbouring zones; SEED picks each rule's TCP port, so two
# seeds give two rulesets of the same size and shape.
set -euo pipefail
name="${1:?usage: gen_tenant.sh NAME ID RULES SEED}" id="${2:?}" rules="${3:?}" seed="${4:?}"
[ "$rules" -le 10000 ] || { echo "gen_tenant.sh: at most 10000 rules" >&2; exit 2; }
awk -v name="$name" -v id="$id" -v rules="$rules" -v seed="$seed" 'BEGIN {
	net = 100 + id % 100; vlan = 300 + 4 * (id % 100)
	printf "tenant: {name: %s, id: %d}\n", name, id
	printf "uplink: {interface: eth0, addresses: [203.0.113.%d]}\n", 100 + id % 100
	print "zones:"
	for (z = 0; z < 4; z++)
		printf "  z%d: {vlan: %d, subnet: 10.%d.%d.0/24, isolate: %s}\n", z, vlan + z, net, z,
			z % 2 ? "true" : "false"
	print "hosts:"
	for (z = 0; z < 4; z++)
		for (h = 0; h < 50; h++)
			printf "  h%d-%d: {zone: z%d, address: 10.%d.%d.%d}\n", z, h, z, net, z, h + 10
	print "rules:"
	k = 0
	for (sh = 0; sh < 50 && k < rules; sh++)
		for (dh = 0; dh < 50 && k < rules; dh++)
			for (sz = 0; sz < 4 && k < rules; sz++) {
				port = 1024 + (k * 7919 + seed * 104729) % 60000
				printf "  - {from: h%d-%d, to: h%d-%d, allow: tcp/%d}\n", sz, sh, (sz + 1) % 4, dh, port
				k++
			}
}'
