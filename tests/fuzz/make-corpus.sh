#!/bin/sh
# make-corpus.sh OUT: the seed corpus of every fuzz target, one folder a
# target under OUT, made from the tests' own fixtures: the example pod
# files, the OCI layouts and docker-archive shapes of t-image.sh, the
# layer tars of t-rootfs.sh, and the plan and challenges the unit tests
# use. Nothing binary is kept in the tree; this script remakes it all.
set -eu
OUT=$1
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
FIX="$ROOT/tests/fixtures"
W=$(mktemp -d "${TMPDIR:-/tmp}/hpc-corpus.XXXXXX")
trap 'rm -rf "$W"' EXIT

rm -rf "$OUT"
mkdir -p "$OUT/spec" "$OUT/manifest" "$OUT/docker_archive" "$OUT/auth" \
	"$OUT/layer" "$OUT/plan"

# spec: the examples, and one pod using every field of both dialects
cp "$ROOT/examples/hello/pod.json" "$OUT/spec/hello.json"
cp "$ROOT/examples/debian/pod.json" "$OUT/spec/debian.json"
cat >"$OUT/spec/hyper.json" <<'POD'
{"id": "p1", "hostname": "h", "resource": {"memory": "128", "vcpu": 2},
 "restartPolicy": "onFailure", "tty": false, "dns": ["10.0.0.1"],
 "containers": [{"name": "a", "image": "oci:x:1", "envs": [{"env": "A",
 "value": "1"}], "entrypoint": "sh -c 'echo hi'", "command": ["x"],
 "workdir": "/", "user": "1:2", "sidecar": true, "restartPolicy": "never",
 "ports": [{"containerPort": "80", "hostPort": 8080}]},
 {"name": "b", "image": "busybox", "env": ["B=2"], "args": ["true"]}]}
POD

# manifest: first byte 0 for an index or manifest, 1 for a config
python3 "$FIX/image-make-oci.py" "$W/img" >/dev/null
python3 - "$W/img/oci" "$OUT/manifest" <<'PY'
import json, os, sys
src, out = sys.argv[1], sys.argv[2]
n = 0
for layout in sorted(os.listdir(src)):
    blobs = os.path.join(src, layout, "blobs", "sha256")
    docs = [os.path.join(src, layout, "index.json")]
    if os.path.isdir(blobs):
        docs += [os.path.join(blobs, b) for b in sorted(os.listdir(blobs))]
    for d in docs:
        if not os.path.isfile(d) or os.path.getsize(d) > 65536:
            continue
        data = open(d, "rb").read()
        try:
            j = json.loads(data)
        except ValueError:
            continue
        kind = b"1" if isinstance(j, dict) and ("rootfs" in j or "config" in j
                                                and "layers" not in j) else b"0"
        n += 1
        open(os.path.join(out, "%03d" % n), "wb").write(kind + data)
PY

# docker_archive: what skopeo writes, and the other docker save shapes
sh "$FIX/image-make.sh" "$W/img2" >/dev/null 2>&1 || true
for f in "$W"/img2/da/*.tar; do
	[ -f "$f" ] || continue
	[ "$(stat -c %s "$f")" -le 4194304 ] && cp "$f" "$OUT/docker_archive/"
done

# auth: challenges as registries send them; a NUL, then a token answer
printf '%s\0%s' 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"' \
	'{"token":"abc","expires_in":300}' >"$OUT/auth/bearer"
printf '%s\0%s' 'Basic realm="Registry Realm"' '{"access_token":"x"}' \
	>"$OUT/auth/basic"
printf '%s' 'Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple"' \
	>"$OUT/auth/two"
printf '%s' 'Negotiate abcd==, Bearer realm=x' >"$OUT/auth/token68"

# layer: the rule tars of t-rootfs.sh, plain and compressed
python3 "$FIX/make-layers.py" layers "$W/layers" >/dev/null
for f in "$W"/layers/*.tar; do
	b=$(basename "$f" .tar)
	[ "$(stat -c %s "$f")" -le 1048576 ] || continue
	cp "$f" "$OUT/layer/$b.tar"
	gzip -9n <"$f" >"$OUT/layer/$b.tar.gz"
done


# plan: the unit tests' plan, whole and cut
cat >"$OUT/plan/full" <<'PLAN'
hpc-plan 1
name hello
hostname web-host
ip 10.0.2.15
netmask 255.255.255.0
gateway 10.0.2.2
dns 10.0.2.3
tty 0
module /lib/modules/virtio_ring.ko
container web
rootfs hpc-root-0
arg /bin/busybox
arg -p%2080%25
env PATH=/usr/bin:/bin
workdir /srv/www
user app:staff
restart onFailure
stopsignal 3
end
container side
rootfs hpc-root-1
arg sh
end
PLAN
head -c 200 "$OUT/plan/full" >"$OUT/plan/cut"
for t in spec manifest docker_archive auth layer plan; do
	echo "corpus $t: $(ls "$OUT/$t" | wc -l) files"
done
