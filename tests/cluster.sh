#!/bin/bash
# tests/cluster.sh BUILD_DIR: examples/nightly-cluster.sh over three hosts.
#
# Three hosts on this machine: network namespaces (ip netns), each joined to
# this one by a veth pair and running Debian's openssh-server on its own
# address, with a host key and a login key made for the test. The nightly
# chain runs over 4 shards across the three (GNU parallel -S, one job slot a
# host, the files moved by --transferfile/--return through rsync over ssh),
# on the bundled examples and on 10k generated persons (cdp-gen), and each
# night's identity partition (identified records, state, journal, links),
# profiles, segment memberships and audiences, and campaign files must equal
# examples/nightly.sh's on this host, as sorted files.
#
# CDP_CLUSTER_SCALE: the generated persons (default 10k); CDP_CLUSTER_KEEP=1
# keeps the outputs (the hosts are stopped all the same).
# Skipped, with the reason, where namespaces cannot be made (not root, no
# CAP_NET_ADMIN, no ip, sshd, ssh, rsync or parallel). Everything it starts
# (sshd, namespaces, veths, files) is stopped and removed on exit, also on
# failure or interruption.
set -euo pipefail

build=$(CDPATH='' cd -- "${1:?usage: tests/cluster.sh BUILD_DIR}" && pwd)
root=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
prog=check-cluster
scale=${CDP_CLUSTER_SCALE:-10k}

skip() {
    echo "$prog: skipped: $*"
    exit 0
}
for tool in ip ssh ssh-keygen rsync parallel; do
    command -v "$tool" >/dev/null 2>&1 || skip "no $tool (Debian: iproute2, openssh-client, rsync, parallel)"
done
sshd=/usr/sbin/sshd
[ -x "$sshd" ] || skip "no $sshd (Debian: openssh-server)"

tag=cdpc$$
work=$(mktemp -d "${TMPDIR:-/tmp}/cdp-cluster.XXXXXX")
made_run_sshd=
namespaces=()
cleanup() {
    local ns i
    # The kept ssh connections, then every process in the namespaces (the
    # sshd listeners and their sessions: a session outlives its listener),
    # the veth pairs (gone only with the last process of a namespace
    # otherwise), the namespaces.
    for cm in "$work"/cm-*; do
        [ -S "$cm" ] && ssh -o ControlPath="$cm" -O exit dummy 2>/dev/null || true
    done
    for ns in "${namespaces[@]}"; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
    done
    for i in 1 2 3; do
        ip link delete "${tag}h$i" 2>/dev/null || true
    done
    for ns in "${namespaces[@]}"; do
        ip netns delete "$ns" 2>/dev/null || true
    done
    [ -z "$made_run_sshd" ] || rmdir /run/sshd 2>/dev/null || true
    if [ -n "${CDP_CLUSTER_KEEP-}" ]; then
        echo "$prog: kept $work"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$tag-probe" 2>/dev/null || skip "cannot create a network namespace (needs root or CAP_NET_ADMIN)"
ip netns delete "$tag-probe"

# The keys: the hosts' one, and the one this host logs in with.
ssh-keygen -q -t ed25519 -N '' -f "$work/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$work/id"
# The jobs find the programs under test on PATH (sshd sets the rest), each
# behind a shim that notes the host (CDP_CLUSTER_HOST, set by the host's
# sshd) it ran on: the proof that the shard jobs ran over there.
mkdir "$work/shim"
for p in cdp-dedupe cdp-merge cdp-segment cdp-export; do
    printf '#!/bin/sh\necho "$CDP_CLUSTER_HOST %s" >>%s/jobs.log\nexec %s "$@"\n' \
        "$p" "$work" "$build/bin/$p" >"$work/shim/$p"
    chmod 755 "$work/shim/$p"
done
for i in 1 2 3; do
    printf 'environment="PATH=%s:%s:/usr/local/bin:/usr/bin:/bin",environment="CDP_CLUSTER_HOST=%s" %s\n' \
        "$work/shim" "$build/bin" "$i" "$(cat "$work/id.pub")" >"$work/authorized_keys-$i"
    chmod 600 "$work/authorized_keys-$i"
done
if [ ! -d /run/sshd ]; then # sshd's privilege separation folder
    mkdir -p -m 755 /run/sshd
    made_run_sshd=1
fi

# Host i (1..3): namespace $tag-i, veth $tag-hi here (10.213.B.4i+1) and
# its peer in the namespace (10.213.B.4i+2), sshd on the latter.
net=10.213.$(($$ % 250 + 1))
hosts=
for i in 1 2 3; do
    ns=$tag-$i here_if=${tag}h$i there_if=${tag}n$i
    here_ip=$net.$((4 * i + 1)) there_ip=$net.$((4 * i + 2))
    ip netns add "$ns"
    namespaces+=("$ns")
    ip link add "$here_if" type veth peer name "$there_if"
    ip link set "$there_if" netns "$ns"
    ip addr add "$here_ip/30" dev "$here_if"
    ip link set "$here_if" up
    ip -n "$ns" addr add "$there_ip/30" dev "$there_if"
    ip -n "$ns" link set "$there_if" up
    ip -n "$ns" link set lo up
    cat >"$work/sshd-$i.conf" <<EOF
ListenAddress $there_ip
Port 22
HostKey $work/host_key
PidFile $work/sshd-$i.pid
AuthorizedKeysFile $work/authorized_keys-$i
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitUserEnvironment PATH,CDP_CLUSTER_HOST
StrictModes no
UsePAM no
MaxStartups 100
MaxSessions 100
Subsystem sftp internal-sftp
EOF
    ip netns exec "$ns" "$sshd" -f "$work/sshd-$i.conf" -E "$work/sshd-$i.log"
    hosts=$hosts${hosts:+,}1/root@$there_ip
done
cat >"$work/ssh_config" <<EOF
Host $net.*
    IdentityFile $work/id
    IdentitiesOnly yes
    BatchMode yes
    StrictHostKeyChecking no
    UserKnownHostsFile $work/known_hosts
    LogLevel ERROR
    ConnectTimeout 10
    # one connection a host, kept: a job opens several (rsync there, the
    # command, rsync back, the clean-up), each a handshake otherwise
    ControlMaster auto
    ControlPath $work/cm-%h
    ControlPersist 120
EOF
export PARALLEL_SSH="ssh -F $work/ssh_config"
for i in 1 2 3; do
    ip=$net.$((4 * i + 2))
    for try in 1 2 3 4 5 6 7 8 9 10; do
        $PARALLEL_SSH "root@$ip" true 2>/dev/null && break
        [ "$try" -lt 10 ] || { cat "$work/sshd-$i.log" >&2; echo "$prog: no ssh to $ip" >&2; exit 1; }
        sleep 0.5
    done
done
echo "$prog: three hosts up: $hosts"

export PATH="$build/bin:$PATH" CDP_SHARE=$root/share/cdp LC_ALL=C.UTF-8

# night NAME EXPORTS: nightly.sh here and nightly-cluster.sh over the three
# hosts on EXPORTS; their outputs compared.
night() {
    local name=$1 in=$2 f n
    # Each from its own folder, to OUT_DIR "out": the logs name it.
    mkdir -p "$work/$name-one" "$work/$name-cluster"
    echo "$prog: $name: nightly.sh on this host"
    (cd "$work/$name-one" && "$root/examples/nightly.sh" "$in" out >log 2>&1) ||
        { cat "$work/$name-one/log" >&2; return 1; }
    echo "$prog: $name: nightly-cluster.sh, 4 shards on 3 hosts"
    local start=$SECONDS
    # (each line of its log with the time, to see where the time goes)
    (cd "$work/$name-cluster" && "$root/examples/nightly-cluster.sh" -S "$hosts" -n 4 "$in" out 2>&1 |
        while IFS= read -r line; do printf '%s %s\n' "$(date +%T)" "$line"; done >log) ||
        { cat "$work/$name-cluster/log" >&2; return 1; }
    "$root/tests/same-night.sh" "$work/$name-one/out" "$work/$name-cluster/out" | sed "s/^/$prog: /"
    # Not trivially: the files are there, and the jobs ran on the hosts.
    for f in identified.ndjson.zst profiles.ndjson.zst segments.ndjson.zst; do
        n=$(zstd -dcq "$work/$name-cluster/out/$f" | wc -l)
        [ "$n" -gt 0 ] || { echo "$prog: $name: $f is empty" >&2; return 1; }
        printf '%s' "$f $n lines, "
    done
    n=$(cat "$work/$name-cluster"/out/export/* | wc -l)
    echo "export/ $n lines: the same ($((SECONDS - start)) s over the hosts)"
}

# ran_on HOST: the shard programs run on HOST (1..3).
ran_on() {
    grep -c "^$1 " "$work/jobs.log" || true
}

mkdir -p "$work/gen"
cdp-gen -q -n "$scale" -o "$work/gen"
cp "$root/examples/segments.rules" "$root/examples/unsubscribed.txt" "$work/gen/"

night examples "$root/examples"
night "gen-$scale" "$work/gen"
echo "$prog: shard programs run by host: $(ran_on 1), $(ran_on 2), $(ran_on 3)"
for i in 1 2 3; do
    [ "$(ran_on "$i")" -gt 0 ] || { echo "$prog: host $i ran no job" >&2; exit 1; }
done
echo "$prog: ok"
