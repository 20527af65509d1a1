#!/bin/bash
# fwctl vpn user add|del, site add|del, list through the daemon's control
# path (fwd-testd: the real state directory and handlers, a file for the
# kernel, and a fixed VPN interface key). A user added without --pubkey gets
# a key pair made by fwctl: the printed wg-quick configuration is checked
# line by line, its private key matches the public key in the live policy
# (Debian's `wg pubkey`), and it is in no file of the state directory and in
# no log. --out writes the configuration (0600) or a PNG QR code that zbarimg
# reads back to the same text. Errors are exact.
set -uo pipefail
# shellcheck source=tests/support/clitest.sh
. "$2/tests/support/clitest.sh" vpn_user "$@"
unset SSH_CONNECTION
command -v wg >/dev/null || { echo "wg (wireguard-tools) is missing: run scripts/setup.sh" >&2; exit 1; }

cli_testd_start "$tmp/testd.log"
live_yaml() { cat "$tmp/state/history/$(printf %06d "$1")/policy/road-warriors.yaml"; }
SERVER_KEY=dGVzdGQtdnBuLXNlcnZlci1wdWJsaWMta2V5LTAwMDA=
B64='[A-Za-z0-9+/]{43}='

c apply "$src/templates/road-warriors.yaml" >/dev/null && ok || bad "apply of the template"

# --- user add, the key made by fwctl: the configuration, then its QR code
run 0 "applied generation 2
+ vpn:zoe → crm tcp/443" c vpn user add zoe --group sales
mapfile -t L <"$tmp/out"
[[ "${L[0]}" == "[Interface]" ]] && ok || bad "line 1: ${L[0]}"
[[ "${L[1]}" =~ ^PrivateKey\ =\ ($B64)$ ]] && ok || bad "line 2: ${L[1]}"
priv="${BASH_REMATCH[1]}"
[[ "${L[2]}" == "Address = 10.41.99.3/32" ]] && ok || bad "line 3: ${L[2]}" # .1 firewall, .2 frank
[[ "${L[3]}" == "DNS = 10.41.10.53" ]] && ok || bad "line 4: ${L[3]}"
[[ "${L[4]}" == "" ]] && ok || bad "line 5: ${L[4]}"
[[ "${L[5]}" == "[Peer]" ]] && ok || bad "line 6: ${L[5]}"
[[ "${L[6]}" == "PublicKey = $SERVER_KEY" ]] && ok || bad "line 7: ${L[6]}"
[[ "${L[7]}" == "Endpoint = 203.0.113.40:51840" ]] && ok || bad "line 8: ${L[7]}"
# sales reach crm (https), everybody dns1: nothing else goes into the tunnel
[[ "${L[8]}" == "AllowedIPs = 10.41.10.10/32, 10.41.10.53/32" ]] && ok || bad "line 9: ${L[8]}"
[[ "${L[9]}" == "PersistentKeepalive = 25" ]] && ok || bad "line 10: ${L[9]}"
[[ "${L[10]}" == "" ]] && ok || bad "line 11: ${L[10]}"
# The QR code: half blocks only, every row as wide (4 modules of quiet zone + the code).
qr=("${L[@]:11}")
[ "${#qr[@]}" -ge 12 ] && ok || bad "QR code: ${#qr[@]} rows"
bad_rows=0
for row in "${qr[@]}"; do
	[[ "$row" =~ ^[█▀▄\ ]+$ && "${#row}" -eq "${#qr[0]}" ]] || bad_rows=$((bad_rows + 1))
done
[ "$bad_rows" -eq 0 ] && ok || bad "QR code: $bad_rows rows are not half blocks of one width"
[ $(( (${#qr[0]} - 4 - 17) % 4 )) -eq 0 ] && ok || bad "QR width ${#qr[0]} is no QR version"
# The live policy holds the public key of the printed private key.
pub="$(printf '%s\n' "$priv" | wg pubkey)"
live_yaml 2 >"$tmp/live.yaml"
grep -A3 '^    zoe:$' "$tmp/live.yaml" >"$tmp/zoe"
[ "$(cat "$tmp/zoe")" = "    zoe:
      address: auto
      public_key: \"$pub\"
      groups: [sales]" ] && ok || bad "zoe in the live YAML: $(cat "$tmp/zoe")"
c vpn list >"$tmp/list"
grep -qxF "  user zoe 10.41.99.3 (auto) groups sales key $pub" "$tmp/list" && ok || bad "vpn list: $(cat "$tmp/list")"
# The private key is nowhere but in what fwctl printed.
if grep -rqF "$priv" "$tmp/state" "$tmp/kernel.nft" "$tmp/testd.log"; then
	bad "the private key is in $(grep -rlF "$priv" "$tmp/state" "$tmp/kernel.nft" "$tmp/testd.log")"
else ok; fi
c history 2 >"$tmp/hist"
grep -qx "source:  fwctl vpn user add" "$tmp/hist" && ok || bad "history: $(head -6 "$tmp/hist")"

# --- errors, exactly; nothing applied
K="$(wg genkey | wg pubkey)" # a key nobody in the template has
line="$(grep -n '^    zoe:$' "$tmp/live.yaml" | cut -d: -f1)"
run 1 "fwctl: vpn user add refused: road-warriors.yaml:$line:5: VPN user 'zoe' already exists (EEXIST)" \
	c vpn user add zoe --pubkey "$K"
run 1 "fwctl: vpn user add refused: public key: expected a WireGuard public key (44 characters of base64), found 'nope' (EINVAL)" \
	c vpn user add yan --pubkey nope
at=$((line + 4)) # yan's address line, right after zoe's four
run 1 "fwctl: vpn user add refused: 1 error (EINVAL)
road-warriors.yaml:$((at + 1)):16: error: address: 10.9.9.9 is outside the VPN pool 10.41.99.0/24" \
	c vpn user add yan --pubkey "$K" --address 10.9.9.9
run 1 "fwctl: vpn user add refused: 1 error (EINVAL)
road-warriors.yaml:$((at + 1)):16: error: address: 10.41.99.10 is already used by VPN user 'carol' (92:16)" \
	c vpn user add yan --pubkey "$K" --address 10.41.99.10
run 1 "fwctl: vpn user del refused: road-warriors.yaml: no VPN user 'nobody' (ENOENT)" c vpn user del nobody
run 2 "fwctl vpn user add: --out takes FILE.conf or FILE.png, and only when fwctl makes the key (no --pubkey)" \
	c vpn user add yan --out "$tmp/yan.txt"
c status >"$tmp/status"
grep -qx "live generation: 2" "$tmp/status" && ok || bad "a refused edit changed the generation: $(head -3 "$tmp/status")"
# A group nobody had yet is a new group; a fixed address.
run 0 "applied generation 3" c vpn user add yan --pubkey "$K" --address 10.41.99.30 --group auditors

# --- --out FILE.conf and FILE.png: 0600, nothing on stdout
c vpn user add ann --group it --out "$tmp/ann.conf" >"$tmp/out" 2>"$tmp/err" && ok || bad "add ann: $(cat "$tmp/err")"
[ "$(head -1 "$tmp/err")" = "applied generation 4" ] && ok || bad "add ann: $(cat "$tmp/err")"
[ "$(tail -1 "$tmp/err")" = "client configuration of VPN user 'ann' written to $tmp/ann.conf" ] && ok || bad "add ann: $(cat "$tmp/err")"
[ ! -s "$tmp/out" ] && ok || bad "--out printed: $(cat "$tmp/out")"
[ "$(stat -c %a "$tmp/ann.conf")" = 600 ] && ok || bad "ann.conf mode $(stat -c %a "$tmp/ann.conf")"
annpriv="$(sed -n 's/^PrivateKey = //p' "$tmp/ann.conf")"
live_yaml 4 | grep -qF "public_key: \"$(printf '%s\n' "$annpriv" | wg pubkey)\"" && ok || bad "ann's key in the live YAML"
# group it: the servers zone, the firewall (management ssh), dns1 inside the zone
grep -qx "AllowedIPs = 10.41.10.0/24, 10.41.99.1/32" "$tmp/ann.conf" && ok || bad "ann AllowedIPs: $(grep AllowedIPs "$tmp/ann.conf")"
grep -qx "Address = 10.41.99.4/32" "$tmp/ann.conf" && ok || bad "ann Address: $(grep Address "$tmp/ann.conf")"
run 0 "applied generation 5
+ vpn:bob → accounting tcp/443
client configuration of VPN user 'bob' written to $tmp/bob.png" c vpn user add bob --group finance --out "$tmp/bob.png"
[ "$(stat -c %a "$tmp/bob.png")" = 600 ] && ok || bad "bob.png mode"
[ "$(head -c 8 "$tmp/bob.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] && ok || bad "bob.png is not a PNG"
if command -v zbarimg >/dev/null; then
	zbarimg -q --raw "$tmp/bob.png" >"$tmp/bob.decoded" 2>/dev/null
	grep -qx "AllowedIPs = 10.41.10.20/32, 10.41.10.53/32" "$tmp/bob.decoded" && ok || bad "bob.png decodes to: $(cat "$tmp/bob.decoded")"
	bobpriv="$(sed -n 's/^PrivateKey = //p' "$tmp/bob.decoded")"
	live_yaml 5 | grep -qF "public_key: \"$(printf '%s\n' "$bobpriv" | wg pubkey)\"" && ok || bad "bob's key in the live YAML"
	grep -qx "Address = 10.41.99.5/32" "$tmp/bob.decoded" && ok || bad "bob Address"
else
	bad "zbarimg (zbar-tools) is missing: run scripts/setup.sh"
fi
# An existing file is not overwritten, and then no user is added.
run 2 "fwctl vpn user add: cannot create $tmp/bob.png: File exists" c vpn user add cy --out "$tmp/bob.png"
c vpn list >"$tmp/list"
grep -q "user cy " "$tmp/list" && bad "cy was added" || ok
for k in "$annpriv" "${bobpriv:-x}"; do
	grep -rqF "$k" "$tmp/state" "$tmp/kernel.nft" "$tmp/testd.log" && bad "a private key is kept by fwd" || ok
done

# --- user del: gone from the YAML and the list
run 0 "applied generation 6
- vpn:zoe → crm tcp/443" c vpn user del zoe
live_yaml 6 | grep -qF "$pub" && bad "zoe's key is still live" || ok
c vpn list >"$tmp/list"
grep -q "user zoe " "$tmp/list" && bad "zoe still listed" || ok

# --- sites
SK="$(wg genkey | wg pubkey)"
run 2 "fwctl vpn site add: --pubkey and --network are required" c vpn site add branch --pubkey "$SK"
run 0 "applied generation 7" c vpn site add branch --pubkey "$SK" --network 10.50.0.0/16 \
	--network 10.51.0.0/16 --endpoint 198.51.100.20:51820 --keepalive 25
live_yaml 7 | grep -A5 '^  sites:$' >"$tmp/site"
[ "$(cat "$tmp/site")" = "  sites:
    branch:
      endpoint: \"198.51.100.20:51820\"
      public_key: \"$SK\"
      networks: [10.50.0.0/16, 10.51.0.0/16]
      keepalive: 25" ] && ok || bad "site in the live YAML: $(cat "$tmp/site")"
c vpn list roam >"$tmp/list"
grep -qxF "  site branch networks 10.50.0.0/16,10.51.0.0/16 endpoint 198.51.100.20:51820 key $SK" "$tmp/list" && ok || bad "vpn list site: $(cat "$tmp/list")"
run 1 "fwctl: vpn site add refused: road-warriors.yaml:$(live_yaml 7 | grep -n '^    branch:$' | cut -d: -f1):5: VPN site 'branch' already exists (EEXIST)" \
	c vpn site add branch --pubkey "$SK" --network 10.52.0.0/16
run 0 "applied generation 8" c vpn site del branch
live_yaml 8 | grep -qx "  sites: {}" && ok || bad "sites after del: $(live_yaml 8 | grep -A2 sites)"
run 1 "fwctl: vpn site del refused: road-warriors.yaml: no VPN site 'branch' (ENOENT)" c vpn site del branch

# Every generation's policy still carries its comments (the text was edited, not rewritten).
live_yaml 8 | grep -qF "pool: 10.41.99.0/24           # the firewall is 10.41.99.1" && ok || bad "a comment was lost"

cli_end
