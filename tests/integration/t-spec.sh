#!/bin/sh
# The pod spec's fields in a running VM, in one boot of three containers:
# ports (a container's, the pod's portmappings with hostPort 0, hpc run
# -p adding and overriding) reached by a host curl; env, user, groups,
# workdir, hostname, /etc/hosts, /etc/resolv.conf, a sysctl, vCPUs and a
# read-only root, each read back inside the guest.
. "$(dirname "$0")/lib.sh"

img=$(busybox_image)

# free_port: a TCP port nothing listens on now.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# mapped PORT/PROTO: the host port hpc run said the pod's PORT is on.
mapped() {
	sed -n "s|^hpc: port $1 of the pod is on 127.0.0.1:\([0-9]*\)$|\1|p" \
		"$T/err" | head -1
}

a=$(free_port)
b=$(free_port)
r=$(free_port)
cat >"$T/pod.json" <<POD
{
	"id": "Spec-Net",
	"hostname": "spec-host",
	"resource": {"vcpu": "2", "memory": "256"},
	"dns": ["192.0.2.53", "2001:db8::53"],
	"dnsSearch": ["example.test", "corp.test"],
	"dnsOptions": ["ndots:2", "timeout:1"],
	"labels": {"team": "net"},
	"portmappings": [
		{"containerPort": "8081", "hostPort": "0"},
		{"containerport": "9000-9001", "hostport": "$r-$((r + 1))"},
		{"containerPort": "5300", "hostPort": 0, "protocol": "UDP"}
	],
	"containers": [{
		"name": "web",
		"image": "oci:$img:latest",
		"sidecar": true,
		"command": ["sh", "-c", "httpd -p 8080 -h /www && exec httpd -f -p 8081 -h /www"],
		"ports": [{"containerPort": 8080, "hostPort": "$a"}]
	}, {
		"name": "check",
		"image": "oci:$img:latest",
		"readOnly": true,
		"workdir": "/srv/app",
		"user": {"name": "nobody", "group": "nogroup", "additionalGroups": ["root", "4242"]},
		"envs": [{"env": "PATH", "value": "/bin"}, {"env": "GREETING", "value": "hi there"}],
		"sysctl": {"kernel.domainname": "spec.example", "net.ipv4.ip_forward": 1},
		"entrypoint": "sh -c",
		"command": ["echo env GREETING=\$GREETING PATH=\$PATH HOME=\$HOME IP=\$DVM_POD_IP HOSTNAME=\$HOSTNAME; echo id \$(id); echo pwd \$(pwd); echo hostname \$(hostname); sed 's/^/hosts /' /etc/hosts; sed 's/^/resolv /' /etc/resolv.conf; echo domainname \$(cat /proc/sys/kernel/domainname) forward \$(cat /proc/sys/net/ipv4/ip_forward); touch /probe && echo rootwrite=yes || echo rootwrite=no; echo ncpu \$(grep -c ^processor /proc/cpuinfo); echo ready; nc -l -p 7000 >/dev/null; echo released"]
	}, {
		"name": "rw",
		"image": "oci:$img:latest",
		"workdir": "/made/here",
		"env": {"HOSTNAME": "mine", "DVM_POD_IP": "192.0.2.9"},
		"command": ["sh", "-c", "touch /probe && echo rootwrite=yes; echo pwd \$(pwd) home=\$HOME; echo own HOSTNAME=\$HOSTNAME IP=\$DVM_POD_IP"]
	}]
}
POD

"$HPC" validate "$T/pod.json" >/dev/null 2>"$T/warn" || fail "validate: $(cat "$T/warn")"
expect_contains "$T/warn" "containers[1].entrypoint: a string, split into 2 words"
expect_contains "$T/warn" "containers[2].env: DVM_POD_IP is the pod's address; the container gets '192.0.2.9' instead"
"$HPC" validate --json "$T/pod.json" >"$T/norm.json"
python3 - "$T/norm.json" "$a" <<'EOF' || fail "normalised pod: $(cat "$T/norm.json")"
import json, sys
p = json.load(open(sys.argv[1]))
assert p["name"] == "Spec-Net" and p["hostname"] == "spec-host", p
assert p["resource"] == {"vcpu": 2, "memory": 256}, p["resource"]
assert p["labels"] == {"team": "net"}
c = p["containers"][1]
assert c["entrypoint"] == ["sh", "-c"] and c["readOnly"] is True, c
assert c["env"] == ["PATH=/bin", "GREETING=hi there"], c["env"]
assert c["additionalGroups"] == ["root", "4242"], c
assert p["containers"][0]["ports"] == [{"containerPort": 8080, "hostPort": int(sys.argv[2]), "protocol": "tcp"}]
assert p["portmappings"][2]["protocol"] == "udp"
EOF

"$HPC" build -q "$T/pod.json" -o "$T/p.img"
check_disk "$T/p.img"
# the manifest keeps the labels and every port, ranges expanded
"$HPC" inspect --json "$T/p.img" >"$T/inspect.json"
python3 - "$T/inspect.json" "$a" "$r" <<'EOF' || fail "manifest: $(cat "$T/inspect.json")"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["pod"]["labels"] == {"team": "net"}, m["pod"]
assert m["pod"]["dns"] == ["192.0.2.53", "2001:db8::53"], m["pod"]
assert m["pod"]["files"] == [] and m["pod"]["volumes"] == [], m["pod"]
assert all(c["files"] == [] and c["volumes"] == []
           for c in m["pod"]["containers"]), m["pod"]
ports = {(p["containerPort"], p["protocol"]): p["hostPort"] for p in m["ports"]}
a, r = int(sys.argv[2]), int(sys.argv[3])
assert ports == {(8081, "tcp"): 0, (9000, "tcp"): r, (9001, "tcp"): r + 1,
                 (5300, "udp"): 0, (8080, "tcp"): a}, ports
EOF

# the image's own forwards, ranges expanded, and the resources
"$HPC" run --accel tcg --dry-run "$T/p.img" >"$T/dry" 2>"$T/dry.err"
expect_contains "$T/dry" "hostfwd=tcp:127.0.0.1:$a-:8080"
expect_contains "$T/dry" "hostfwd=tcp:127.0.0.1:$r-:9000"
expect_contains "$T/dry" "hostfwd=tcp:127.0.0.1:$((r + 1))-:9001"
expect_contains "$T/dry" "-:5300"
grep -q "hostfwd=udp:127.0.0.1:[0-9]*-:5300" "$T/dry" || fail "no udp forward: $(cat "$T/dry")"
expect_contains "$T/dry" "-smp 2"
expect_contains "$T/dry" "-m 256"
expect_contains "$T/dry.err" "port 8081/tcp of the pod is on 127.0.0.1:"

# -p replaces the image's forward of a port, or adds one
"$HPC" run --accel tcg --dry-run -p "$b:8080" -p 7001:7000/udp "$T/p.img" \
	>"$T/dry2" 2>/dev/null
expect_contains "$T/dry2" "hostfwd=tcp:127.0.0.1:$b-:8080"
expect_contains "$T/dry2" "hostfwd=udp:127.0.0.1:7001-:7000"
! grep -q "127.0.0.1:$a-:8080" "$T/dry2" || fail "-p did not replace $a"

# a bad -p is a usage error, before anything boots
set +e
"$HPC" run --accel tcg -p 80:0 "$T/p.img" >/dev/null 2>"$T/perr"
st=$?
set -e
[ "$st" = 2 ] || fail "-p 80:0: status $st, not 2"
expect_contains "$T/perr" "-p: '80:0' is not HOST:CONTAINER"

# boot: -p overrides 8080's forward and adds one for 7000
timeout 300 "$HPC" run --accel tcg -p "$b:8080" -p "0:7000" "$T/p.img" \
	>"$T/out" 2>"$T/err" &
pid=$!
i=0
until grep -q "check | ready" "$T/out" 2>/dev/null; do
	i=$((i + 1))
	if [ "$i" -gt 240 ] || ! kill -0 "$pid" 2>/dev/null; then
		cat "$T/out" "$T/err"
		fail "the pod did not get ready"
	fi
	sleep 1
done
p8081=$(mapped 8081/tcp)
p7000=$(mapped 7000/tcp)
[ -n "$p8081" ] && [ -n "$p7000" ] || { cat "$T/err"; fail "no mapping printed"; }
# httpd may start a moment after the check container
i=0
until curl -sf -m 5 "http://127.0.0.1:$b/" >"$T/page" 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -lt 30 ] || fail "no answer on the -p port $b"
	sleep 1
done
expect_contains "$T/page" "hello from an hpc pod"
curl -sf -m 10 "http://127.0.0.1:$p8081/" >"$T/page2" || fail "no answer on hostPort 0 ($p8081)"
expect_contains "$T/page2" "hello from an hpc pod"
! curl -sf -m 5 "http://127.0.0.1:$a/" >/dev/null 2>&1 ||
	fail "the overridden forward $a still answers"
python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"done\n")
s.close()' "$p7000"
set +e
wait "$pid"
status=$?
set -e
cat "$T/out" "$T/err" >"$T/all"
[ "$status" = 0 ] || { cat "$T/all"; fail "exit status $status, not 0"; }

o="$T/out"
expect_contains "$o" "check | env GREETING=hi there PATH=/bin HOME=/nonexistent IP=10.0.2.15 HOSTNAME=spec-host"
expect_contains "$o" "check | id uid=65534(nobody) gid=65534(nogroup)"
grep "check | id" "$o" | grep -q "0(root)" || fail "no group root: $(grep 'check | id' "$o")"
grep "check | id" "$o" | grep -q "4242" || fail "no group 4242: $(grep 'check | id' "$o")"
expect_contains "$o" "check | pwd /srv/app"
expect_contains "$o" "check | hostname spec-host"
expect_contains "$o" "check | hosts 10.0.2.15	spec-host Spec-Net"
expect_contains "$o" "check | hosts 127.0.0.1	localhost"
expect_contains "$o" "check | resolv nameserver 192.0.2.53"
expect_contains "$o" "check | resolv nameserver 2001:db8::53"
expect_contains "$o" "check | resolv search example.test corp.test"
expect_contains "$o" "check | resolv options ndots:2 timeout:1"
expect_contains "$o" "check | domainname spec.example forward 1"
expect_contains "$o" "check | rootwrite=no"
expect_contains "$o" "check ! touch: /probe: Read-only file system"
expect_contains "$o" "check | ncpu 2"
expect_contains "$o" "check | released"
expect_contains "$o" "rw | rootwrite=yes"
expect_contains "$o" "rw | pwd /made/here home=/root"
# as docker run -e: the pod's own values of the added variables win
expect_contains "$o" "rw | own HOSTNAME=mine IP=192.0.2.9"

# without dns, the resolver is QEMU's
pod_file "$T/plain.json" "oci:$img:latest" plain \
	'["sh", "-c", "cat /etc/resolv.conf; cat /proc/sys/kernel/domainname"]'
"$HPC" build -q "$T/plain.json" -o "$T/plain.img"
status=$(boot "$T/plain.img")
[ "$status" = 0 ] || { cat "$T/all"; fail "plain pod: status $status"; }
expect_contains "$T/out" "plain | nameserver 10.0.2.3"
echo ok
