#!/bin/bash
# GitOps with gpg-signed commits (--git-trusted-gpg-keys): fwd in a firewall
# namespace follows a bare repository that a work clone pushes to; git signs
# with gpg keys made in a throw-away GNUPGHOME inside the test's directory.
#
#   - a commit signed by a trusted gpg key is applied and traffic follows it;
#     the signer (address and fingerprint) shows in status, history, audit;
#   - one signed by another gpg key, an unsigned one, one whose data changed
#     after it was signed, an ssh-signed one (only gpg keys trusted) and any
#     commit while the keys file is junk or holds a secret key are refused
#     with their exact reason, and the kernel's ruleset does not change;
#   - the keys file is read for every commit: a key taken out of it (the
#     file now binary, as `gpg --export` writes it) is refused at the next
#     push, without a restart, and the key that stays still works;
#   - both options: ssh and gpg signatures are each accepted; only ssh
#     keys: a gpg signature is refused naming the option that trusts it;
#   - fwd never uses a default gpg home (GNUPGHOME points at a directory
#     that must never appear) and leaves no temporary gpg home behind.
#
# Usage (ctest): bash tests/netns/gitops_gpg.sh BUILD_DIR SOURCE_DIR
set -uo pipefail
build="$(cd "$1" && pwd)" src="$(cd "$2" && pwd)"
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: gitops_gpg: needs root for network namespaces"
	exit 77
fi
for t in git gpg gpg-agent gpgconf ssh-keygen; do
	command -v "$t" >/dev/null || { echo "FAIL: gitops_gpg: $t is not installed (scripts/setup.sh installs it)"; exit 1; }
done
FWLAB_PREFIX="fwgpg$$" FWLAB_BUILD="$build"
# shellcheck source=tests/support/fwlab.sh
. "$src/tests/support/fwlab.sh"
fwlab_test_begin gitops_gpg
gh="$tmp/gnupg" # the signers' keys: git and the key generation only
# the agent that git's gpg started goes with the test
trap 'gpgconf --homedir "$gh" --kill all 2>/dev/null; fwlab_test_cleanup' EXIT
fwlab_up traffic || die "cannot build the lab"
# shellcheck source=tests/support/gitopslib.sh
. "$src/tests/support/gitopslib.sh"

# fwd with the receive repository and "$@" (the trust options). Its
# GNUPGHOME is a canary: a gpg run on the default home would create it.
start() { GITOPS_FWD_ENV="GNUPGHOME=$tmp/canary" gitops_start "$@"; }

# --- keys: alice and carol trusted, mallory not; alice's ssh key --------------
mkdir -m 700 "$gh"
g() { GNUPGHOME="$gh" gpg --batch --quiet --no-tty --passphrase '' --pinentry-mode loopback "$@"; }
for k in Alice Carol Mallory; do
	g --quick-gen-key "$k <${k,,}@example.com>" ed25519 sign never 2>/dev/null || die "gpg --quick-gen-key $k"
done
fpr() { GNUPGHOME="$gh" gpg --with-colons --fingerprint "$1" 2>/dev/null | awk -F: '/^fpr/ { print $10; exit }'; }
alice="$(fpr alice@example.com)" carol="$(fpr carol@example.com)" mallory="$(fpr mallory@example.com)"
[ ${#alice} -eq 40 ] && [ ${#carol} -eq 40 ] && [ ${#mallory} -eq 40 ] || die "fingerprints: $alice $carol $mallory"
keys="$tmp/trusted.asc"
g --export --armor alice@example.com carol@example.com >"$keys" 2>/dev/null || die "gpg --export"
ssh-keygen -q -t ed25519 -N '' -C alice -f "$tmp/alice" || die "ssh-keygen"
echo "alice@example.com $(cut -d' ' -f1,2 "$tmp/alice.pub")" >"$tmp/signers"

start --git-trusted-gpg-keys "$keys"
git clone -q "$tmp/repo.git" "$tmp/work" 2>/dev/null || die "git clone"
w() { GNUPGHOME="$gh" git -C "$tmp/work" "$@"; }
w config user.name Alice && w config user.email alice@example.com
w config gpg.format openpgp && w config user.signingkey alice@example.com
expect_applied() { # expect_applied SHA SIGNER
	local got
	got="$(field "$1" state) by $(field "$1" signer)"
	[ "$got" = "applied by $2" ] && ok || bad "commit ${1:0:12}: $got $(field "$1" reason), expected applied by $2"
}
for port in 8080 8081 8082 8083 8084; do fwlab_listen app "$port"; done

# --- a commit signed by a trusted gpg key: applied, traffic follows ------------
policy 8080 >"$tmp/work/acme.yaml"
a="$(commit "web reaches the ERP (gpg)")"
push
expect_applied "$a" "alice@example.com gpg:$alice"
[ "$(fwlab_probe web app 8080)" = open ] && ok || bad "web -> app 8080 not open after the gpg-signed commit"
[ "$(fwlab_probe web app 8081)" = closed ] && ok || bad "web -> app 8081 open"
c status >"$tmp/out" 2>&1
grep -qx "git: last commit ${a:0:12} applied: generation 1 (signed by alice@example.com gpg:$alice)" "$tmp/out" &&
	ok || bad "status: $(cat "$tmp/out")"
c history >"$tmp/out"
grep -q " alice@example.com gpg:$alice git:$a parent 0  web reaches the ERP (gpg)$" "$tmp/out" &&
	ok || bad "history: $(cat "$tmp/out")"
audit="$(grep "\"event\":\"git-applied\",\"generation\":1,\"source\":\"git:$a\"" "$state/audit.log")"
[[ "$audit" == *"\"who\":\"alice@example.com gpg:$alice\""* ]] && ok || bad "audit: $(tail -3 "$state/audit.log")"
kernel="$(fwlab_ruleset_hash)"

# --- refusals --------------------------------------------------------------------
policy 8081 >"$tmp/work/acme.yaml"
m="$(commit "signed by mallory" --gpg-sign=mallory@example.com)"
push
expect_refused "$m" "signed by an untrusted gpg key $mallory"

w reset -q --hard "$a"
u="$(commit "unsigned" --no-gpg-sign)"
push
expect_refused "$u" "unsigned commit: only commits signed by a trusted key are applied (--git-trusted-gpg-keys)"

# alice's signature, the commit's message changed afterwards
w reset -q --hard "$a"
policy 8081 >"$tmp/work/acme.yaml"
s="$(commit "signed as it was")"
forged="$(w cat-file commit "$s" | sed 's/^signed as it was$/changed after signing/' | w hash-object -t commit -w --stdin)"
w reset -q --hard "$forged"
push
expect_refused "$forged" "bad signature: the gpg signature does not match the commit"

w reset -q --hard "$a"
x="$(w -c gpg.format=ssh -c user.signingkey="$tmp/alice.pub" commit -q --allow-empty -S -m "signed with ssh" && w rev-parse HEAD)"
push
expect_refused "$x" "signed with ssh, but only gpg keys are trusted (--git-trusted-signers would trust ssh keys)"

# --- the keys file is read for every commit ---------------------------------------
w reset -q --hard "$a"
policy 8081 >"$tmp/work/acme.yaml"
k="$(commit "carol's change" --gpg-sign=carol@example.com)"
push
expect_applied "$k" "carol@example.com gpg:$carol"
[ "$(fwlab_probe web app 8081)" = open ] && ok || bad "web -> app 8081 not open after carol's commit"
kernel="$(fwlab_ruleset_hash)"

cp "$keys" "$tmp/trusted.bak"
echo "this is not a key" >"$keys"
policy 8082 >"$tmp/work/acme.yaml"
j="$(commit "while the keys file is junk")"
push
expect_refused "$j" "trusted gpg keys $keys: no OpenPGP public key in it (gpg --export [--armor] writes them)"

g --export-secret-keys --armor alice@example.com >"$keys" 2>/dev/null || die "gpg --export-secret-keys"
w reset -q --hard "$k"
policy 8082 >"$tmp/work/acme.yaml"
sk="$(commit "while the keys file holds a secret key")"
push
expect_refused "$sk" "trusted gpg keys $keys: holds a secret key; give public keys only (gpg --export)"

# carol taken out; the file now binary
g --export alice@example.com >"$keys" 2>/dev/null || die "gpg --export"
w reset -q --hard "$k"
policy 8082 >"$tmp/work/acme.yaml"
k2="$(commit "carol again, no longer trusted" --gpg-sign=carol@example.com)"
push
expect_refused "$k2" "signed by an untrusted gpg key $carol"
w reset -q --hard "$k"
policy 8083 >"$tmp/work/acme.yaml"
b="$(commit "alice, binary keys file")"
push
expect_applied "$b" "alice@example.com gpg:$alice"
[ "$(fwlab_probe web app 8083)" = open ] && ok || bad "web -> app 8083 not open"
[ "$(fwlab_probe web app 8081)" = closed ] && ok || bad "web -> app 8081 still open"

# --- both kinds of keys; only ssh keys ------------------------------------------------
start --git-trusted-gpg-keys "$keys" --git-trusted-signers "$tmp/signers"
policy 8084 >"$tmp/work/acme.yaml"
x2="$(w -c gpg.format=ssh -c user.signingkey="$tmp/alice.pub" commit -q -a -S -m "ssh, both trusted" && w rev-parse HEAD)"
push
expect_applied "$x2" "alice@example.com"
[ "$(fwlab_probe web app 8084)" = open ] && ok || bad "web -> app 8084 not open"
policy 8080 >"$tmp/work/acme.yaml"
b2="$(commit "gpg, both trusted")"
push
expect_applied "$b2" "alice@example.com gpg:$alice"
kernel="$(fwlab_ruleset_hash)"
u2="$(commit "unsigned, both trusted" --no-gpg-sign)"
push
expect_refused "$u2" "unsigned commit: only commits signed by a trusted key are applied (--git-trusted-signers, --git-trusted-gpg-keys)"

start --git-trusted-signers "$tmp/signers"
w reset -q --hard "$b2"
policy 8081 >"$tmp/work/acme.yaml"
o="$(commit "gpg, only ssh keys trusted")"
push
expect_refused "$o" "signed with gpg, but only ssh keys are trusted (--git-trusted-gpg-keys would trust gpg keys)"
stop

# --- a keys file that trusts nobody stops fwd at start, like a bad signers file --------
echo "not a key" >"$tmp/junk.asc"
rm -f "$sock"
timeout 20 ip netns exec "$(fwlab_ns fw)" "$build/fwd" --state-dir "$state" --socket "$sock" \
	--group root --l2 off --git-receive "$tmp/repo.git" --git-trusted-gpg-keys "$tmp/junk.asc" \
	>"$tmp/start.out" 2>&1
rc=$?
[ "$rc" -eq 1 ] && ok || bad "fwd with a junk keys file exited $rc, expected 1"
[ "$(cat "$tmp/start.out")" = "fwd: git: trusted gpg keys $tmp/junk.asc: no OpenPGP public key in it (gpg --export [--armor] writes them)" ] &&
	ok || bad "fwd's start message: $(cat "$tmp/start.out")"

# --- no default gpg home, no temporary home left ------------------------------------
[ ! -e "$tmp/canary" ] && ok || bad "fwd's gpg used the default home ($tmp/canary exists)"
left="$(find "$state/gitops" -maxdepth 1 -name 'gpg-*')"
[ -z "$left" ] && ok || bad "temporary gpg homes left: $left"

echo "gitops_gpg: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
