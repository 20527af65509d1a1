# shellcheck shell=bash
# The VPN tests' lab, shared by tests/netns/vpn.sh (wireguard-go) and
# tests/vm/vpn_kernel.sh (the kernel module, in the test VM). Sourced with
# $P set (the namespaces' prefix; the namespaces $P-net, $P-fw, $P-srv and
# the clients' exist, their lo up) and $tmp (the test's directory):
#   - $P-net: the "internet", a bridge of 203.0.113.0/24;
#   - $P-fw: the firewall, eth0 203.0.113.1 on it, vlan10 10.0.10.1/24
#     toward $P-srv (web 10.0.10.5, crm 10.0.10.6), forwarding on;
#   - vpnlab_link NS ADDRESS: a client's eth0 on the internet.
vpnlab_in() { # NS CMD...
	local n=$1
	shift
	ip netns exec "$P-$n" "$@"
}
vpnlab_link() { # NS ADDRESS: eth0 in NS on the internet bridge
	ip link add "$P-x" netns "$P-$1" type veth peer name "v-$1" netns "$P-net"
	vpnlab_in "$1" ip link set "$P-x" name eth0
	vpnlab_in "$1" ip addr add "$2/24" dev eth0
	vpnlab_in "$1" ip link set eth0 up
	vpnlab_in net ip link set "v-$1" master br0 up
}
vpnlab_up() {
	vpnlab_in net ip link add br0 type bridge
	vpnlab_in net ip link set br0 up
	vpnlab_link fw 203.0.113.1
	ip link add "$P-y" netns "$P-fw" type veth peer name eth0 netns "$P-srv"
	vpnlab_in fw ip link set "$P-y" name vlan10
	vpnlab_in fw ip addr add 10.0.10.1/24 dev vlan10
	vpnlab_in fw ip link set vlan10 up
	vpnlab_in srv ip addr add 10.0.10.5/24 dev eth0 # web
	vpnlab_in srv ip addr add 10.0.10.6/24 dev eth0 # crm
	vpnlab_in srv ip link set eth0 up
	vpnlab_in srv ip route add default via 10.0.10.1
	vpnlab_in fw sysctl -qw net.ipv4.ip_forward=1
}
# A client's key pair: $tmp/NAME.key (0600) and $tmp/NAME.pub.
vpnlab_key() { (umask 077 && wg genkey >"$tmp/$1.key") && wg pubkey <"$tmp/$1.key" >"$tmp/$1.pub"; }
