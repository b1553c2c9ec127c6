#!/usr/bin/env python3
"""bench.py: hpc against the floor and the alternatives, in one run.

Makes its inputs (the Debian example image, three layers; a pod of three
containers), then times, alternating the contenders round by round:

  build   hpc build cold and warm; zcat and igzip -d of the same layers;
          cp then sync of the cached root filesystems (the warm build's
          floor where no blocks can be shared);
          umoci unpack then mke2fs -d; virt-make-fs (when installed);
          hpc build cold and warm again on btrfs in a loop-mounted file,
          where the warm build's copy of a cached filesystem is a reflink
  boot    hpc run to the first container output (a pod of one
          container, a one-line shell echo from the Debian image; and the
          build's pod of three); the same kernel booting a one-line init
          (busybox's echo), same machine options, same accelerator, as
          it boots by default and with the kernel parameters hpc adds
  size    the image against its unpacked content, kernel and initrd
  memory  peak RSS of the build against the largest layer, and with a
          4 GiB file added to a pod against the same pod without it

Prints medians (wall clock, and CPU time: user + system of the command
and its children, which a machine shared with other work disturbs less)
and ratios, each against its target with a verdict, and writes
bench/RESULTS.md with the machine and its load. Timings belong here,
never in tests.

    bench/bench.py [--runs N] [--skip-virt-make-fs]
"""
import argparse
import glob
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HPC = os.path.join(ROOT, "bin", "hpc")
FIXTURES = os.path.join(ROOT, "build", "fixtures")
LOAD_AT_START = "?"


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=True, check=True, **kw)


def cpu_children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(cmd):
    """(wall seconds, CPU seconds) of cmd and everything it started,
    after a sync, so no command waits for another's writeback."""
    os.sync()
    cpu = cpu_children()
    start = time.monotonic()
    sh(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - start, cpu_children() - cpu


def layers_of(layout):
    """The layer blob paths of the layout's 'latest' image, base first."""
    with open(os.path.join(layout, "index.json")) as f:
        desc = json.load(f)["manifests"][0]
    blob = lambda d: os.path.join(layout, "blobs", "sha256",
                                  d["digest"].split(":")[1])
    with open(blob(desc)) as f:
        manifest = json.load(f)
    return [blob(l) for l in manifest["layers"]]


def first_output(cmd, marker, limit=120):
    """Seconds from starting cmd to the first line containing marker."""
    start = time.monotonic()
    p = subprocess.Popen(cmd, shell=True, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    seen = None
    for line in p.stdout:
        if marker in line.decode(errors="replace"):
            seen = time.monotonic() - start
            break
    p.stdout.close()
    try:
        p.wait(limit)
    except subprocess.TimeoutExpired:
        p.kill()
    if seen is None:
        sys.exit("bench: '%s' never printed '%s'" % (cmd, marker))
    return seen


def make_inputs(work):
    sh("%s/examples/make-debian-image.sh %s/debian >/dev/null" % (ROOT, FIXTURES))
    sh("%s/examples/make-busybox-image.sh %s/busybox >/dev/null" % (ROOT, FIXTURES))
    deb = os.path.join(FIXTURES, "debian")
    pod = {
        "name": "bench",
        "containers": [
            {"name": "app", "image": "oci:%s:latest" % deb,
             "command": ["sh", "-c", "echo bench-ready"]},
            {"name": "tool", "image": "oci:%s:latest" % deb,
             "command": ["true"]},
            {"name": "side", "image": "oci:%s/busybox:latest" % FIXTURES,
             "command": ["true"]},
        ],
    }
    for name, cmd in (("pod", "echo bench-ready"),
                      ("pod2", "echo bench-ready-2")):
        pod["containers"][0]["command"][2] = cmd
        with open(os.path.join(work, name + ".json"), "w") as f:
            json.dump(pod, f)
    # the boot's: the one container that prints, as the one-line init
    # is one process
    pod["containers"] = pod["containers"][:1]
    pod["containers"][0]["command"][2] = "echo bench-ready"
    with open(os.path.join(work, "boot.json"), "w") as f:
        json.dump(pod, f)
    return deb


def one_line_init(work):
    """An initrd whose /init prints a marker and powers off."""
    root = os.path.join(work, "initrd-root")
    os.makedirs(os.path.join(root, "bin"))
    deb = glob.glob("/var/cache/apt/archives/busybox-static_*.deb")
    if not deb:
        sh("cd %s && apt-get download busybox-static >/dev/null 2>&1" % work)
        deb = glob.glob(os.path.join(work, "busybox-static_*.deb"))
    sh("dpkg-deb -x %s %s/deb" % (deb[0], work))
    shutil.copy(os.path.join(work, "deb", "bin", "busybox"),
                os.path.join(root, "bin", "busybox"))
    with open(os.path.join(root, "init"), "w") as f:
        f.write("#!/bin/busybox sh\n/bin/busybox echo bench-ready\n"
                "/bin/busybox poweroff -f\n")
    os.chmod(os.path.join(root, "init"), 0o755)
    sh("cd %s && find . | cpio -o -H newc -R 0:0 --quiet | gzip > %s/min.initrd"
       % (root, work))
    return os.path.join(work, "min.initrd")


def big_file_pod(work):
    """A pod of the busybox image and a root filesystem tarball holding
    one 4 GiB file of bytes that are not zeros (1.6 MiB once zstd has it),
    so that every byte of it streams through the build."""
    tar = os.path.join(work, "big.tar.zst")
    gen = ("import sys, tarfile\n"
           "class Pattern:\n"
           "    def __init__(s, n): s.left = n\n"
           "    def read(s, n=-1):\n"
           "        n = s.left if n < 0 else min(n, s.left)\n"
           "        s.left -= n\n"
           "        return (b'hpc-bench-pattern ' * (n // 18 + 1))[:n]\n"
           "t = tarfile.open(fileobj=sys.stdout.buffer, mode='w|')\n"
           "i = tarfile.TarInfo('big')\n"
           "i.size = 4 << 30\n"
           "t.addfile(i, Pattern(i.size))\n"
           "t.close()\n")
    sh("python3 -c \"%s\" | zstd -q -1 -T0 >%s" % (gen, tar))
    pod = {"name": "big", "containers": [
        {"name": "side", "image": "oci:%s/busybox:latest" % FIXTURES,
         "command": ["true"]},
        {"name": "big", "image": "tar:" + tar, "command": ["true"]}]}
    small = {"name": "big", "containers": pod["containers"][:1]}
    for name, p in (("big", pod), ("small", small)):
        with open(os.path.join(work, name + ".json"), "w") as f:
            json.dump(p, f)


def reflink_rounds(work, runs):
    """Cold and warm builds of the same pods on btrfs, in a loop-mounted
    file, where the warm build's copy of a cached filesystem is a
    reflink: the same code, on a filesystem CI hosts often have. None
    when this machine cannot mount one (not root, no loop device)."""
    img, mnt = os.path.join(work, "btrfs.img"), os.path.join(work, "btrfs")
    os.makedirs(mnt)
    try:
        sh("truncate -s 4G %s && mkfs.btrfs -q %s && mount -o loop %s %s"
           % (img, img, img, mnt), stdout=subprocess.DEVNULL,
           stderr=subprocess.DEVNULL)
    except subprocess.CalledProcessError:
        return None
    try:
        cmds = {
            "cold": ("rm -rf %s/cache %s/cold.img" % (mnt, mnt),
                     "%s build -q %s/pod.json -o %s/cold.img --cache "
                     "%s/cache" % (HPC, work, mnt, mnt)),
            "warm": ("rm -f %s/warm.img" % mnt,
                     "%s build -q %s/pod2.json -o %s/warm.img --cache "
                     "%s/cache" % (HPC, work, mnt, mnt)),
        }
        return run_rounds(cmds, runs)
    finally:
        sh("umount %s" % mnt)


def median_ratio(results, name, floor):
    return statistics.median(results[name]) / statistics.median(results[floor])


# The warm build's floor where no blocks can be shared: the bytes of the
# cached root filesystems copied and made durable, as the build does.
COPY = "cp of the cached filesystems, then sync"


def contenders(work, deb, layers, args):
    """name -> (preparation, shell command), for the build side. The
    preparation, untimed, removes what the last round left (outputs,
    the cold build's cache), so no contender is charged for deleting
    another round's files."""
    cat = " ".join(layers)
    size_mb = 2048
    w = work
    c = {
        "zcat": ("true", "for l in %s; do zcat $l; done >/dev/null" % cat),
        "hpc build (cold)": (
            "rm -rf %s/cache %s/cold.img" % (w, w),
            "%s build -q %s/pod.json -o %s/cold.img --cache %s/cache"
            % (HPC, w, w, w)),
        "hpc build (warm, one command changed)": (
            "rm -f %s/warm.img" % w,
            "%s build -q %s/pod2.json -o %s/warm.img --cache %s/cache"
            % (HPC, w, w, w)),
        COPY: (
            "rm -rf %s/copy && mkdir %s/copy" % (w, w),
            "cp --reflink=never --sparse=always %s/cache/rootfs/xxh128c/* "
            "%s/copy/ && sync %s/copy/*" % (w, w, w)),
        "umoci unpack + mke2fs -d": (
            "rm -rf %s/bundle %s/umoci.img" % (w, w),
            "umoci unpack --image %s:latest %s/bundle && mke2fs -q -t ext4 "
            "-d %s/bundle/rootfs %s/umoci.img %dM"
            % (deb, w, w, w, size_mb)),
    }
    if shutil.which("igzip"):
        c["igzip -d"] = ("true", "for l in %s; do igzip -dc $l; done "
                                 ">/dev/null" % cat)
    if shutil.which("virt-make-fs") and not args.skip_virt_make_fs:
        c["virt-make-fs"] = (
            "rm -f %s/vmf.img" % w,
            "LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg "
            "virt-make-fs --format=raw --type=ext4 --size=%dM %s/rootfs.tar "
            "%s/vmf.img" % (size_mb, w, w))
    return c


def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") >> 30
    return "%s, %d cores, %d GiB, Linux %s" % (cpu, os.cpu_count(), mem,
                                               platform.release())


def peak_rss_kib(cmd):
    out = subprocess.run("/usr/bin/time -f %%M %s" % cmd, shell=True,
                         check=True, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE).stderr.decode()
    return int(out.strip().splitlines()[-1])


def du_bytes(path, apparent=False):
    flag = "--apparent-size -sb" if apparent else "-sB1"
    out = subprocess.run("du %s %s" % (flag, path), shell=True, check=True,
                         stdout=subprocess.PIPE).stdout.decode()
    return int(out.split()[0])


def run_rounds(cmds, runs):
    """name -> ([wall...], [cpu...]) of cmds' name -> (preparation,
    command); the order turns every round."""
    results = {name: ([], []) for name in cmds}
    for r in range(runs):
        order = list(cmds) if r % 2 == 0 else list(reversed(cmds))
        for name in order:
            prepare, cmd = cmds[name]
            sh(prepare)
            wall, cpu = timed(cmd)
            results[name][0].append(wall)
            results[name][1].append(cpu)
        print("bench: round %d of %d done" % (r + 1, runs), file=sys.stderr)
    return results


RUN = "hpc run to first output"
RUN3 = "hpc run to first output, the pod of three containers"
BARE = "kernel + one-line init"
BARE_SAME = "kernel + one-line init, hpc's kernel parameters"


def boot_rounds(work, kernel, min_initrd, runs):
    """The target's floor is the bare kernel as it boots by default; the
    same boot given the parameters hpc adds (cryptomgr.notests) leaves
    the init's own overhead."""
    sh("%s build -q %s/boot.json -o %s/boot.img --cache %s/boot-cache"
       % (HPC, work, work, work))
    hpc = "%s run --accel tcg %%s </dev/null" % HPC
    bare = ("qemu-system-x86_64 -accel tcg -M q35 -m 128 -nodefaults "
            "-no-reboot -display none -chardev stdio,id=c,signal=off "
            "-serial chardev:c -kernel %s -initrd %s "
            "-append 'console=ttyS0 panic=-1 quiet%%s' </dev/null"
            % (kernel, min_initrd))
    cmds = {RUN: hpc % os.path.join(work, "boot.img"),
            RUN3: hpc % os.path.join(work, "cold.img"), BARE: bare % "",
            BARE_SAME: bare % " cryptomgr.notests"}
    out = {name: [] for name in cmds}
    for r in range(runs):
        for name, cmd in cmds.items():
            out[name].append(first_output(cmd, "bench-ready"))
    return out


def size_ratio(work):
    """The image on disk, and its ratio to content, kernel, initrd, 8 MiB."""
    content = du_bytes("%s/ref/rootfs" % work, apparent=True)
    busybox = du_bytes("%s/bundle-bb/rootfs" % work, apparent=True)
    img = du_bytes("%s/cold.img" % work)
    m = json.loads(subprocess.run([HPC, "inspect", "--json",
                                   "%s/cold.img" % work], check=True,
                                  stdout=subprocess.PIPE).stdout)
    floor = (content + busybox + m["kernel"]["size"] + m["initrd"]["size"]
             + (8 << 20))
    return img, img / floor


# What each measure should reach: (measure, "<=" or ">=", bound).
TARGETS = {
    "cold": ("<=", 0.6),
    "alternative": (">=", 10.0),
    "warm": ("<=", 0.1),
    "rss": ("<=", 100.0),
    "size": ("<=", 1.10),
    "boot": ("<=", 1.15),
}


def verdict(which, value):
    op, bound = TARGETS[which]
    ok = value <= bound if op == "<=" else value >= bound
    return "%s %g" % (op, bound), "met" if ok else "NOT met"


def table(rows):
    lines = ["| measure | median wall | median CPU | ratio | target | verdict |",
             "|---|---|---|---|---|---|"]
    lines += ["| %s |" % " | ".join(r) for r in rows]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--skip-virt-make-fs", action="store_true")
    args = ap.parse_args()
    global LOAD_AT_START
    LOAD_AT_START = "%.2f %.2f %.2f" % os.getloadavg()

    work = tempfile.mkdtemp(prefix="hpc-bench.")
    try:
        deb = make_inputs(work)
        layers = layers_of(deb)
        kernel = sorted(glob.glob("/boot/vmlinuz-*"))[-1]
        min_initrd = one_line_init(work)
        sh("umoci unpack --image %s:latest %s/ref >/dev/null" % (deb, work))
        sh("umoci unpack --image %s/busybox:latest %s/bundle-bb >/dev/null"
           % (FIXTURES, work))
        sh("tar -C %s/ref/rootfs --numeric-owner -cf %s/rootfs.tar ."
           % (work, work))
        cmds = contenders(work, deb, layers, args)
        build = run_rounds(cmds, args.runs)
        boot = boot_rounds(work, kernel, min_initrd, args.runs)
        reflink = reflink_rounds(work, args.runs)
        rss = peak_rss_kib("%s build -q %s/pod.json -o %s/rss.img --cache "
                           "%s/rss-cache" % (HPC, work, work, work))
        big_file_pod(work)
        flat = [peak_rss_kib("%s build -q %s/%s.json -o %s/big.img --cache "
                             "%s/big-cache-%s" % (HPC, work, name, work,
                                                  work, name))
                for name in ("small", "big")]
        sh("rm -rf %s/big.img %s/big-cache-*" % (work, work))
        report(work, deb, layers, build, boot, rss, flat, reflink,
               args.runs)
    finally:
        sh("rm -rf %s" % work)


def build_rows(build):
    med = {k: (statistics.median(v[0]), statistics.median(v[1]))
           for k, v in build.items()}
    zcat = med["zcat"]
    rows = [(k, "%.2f s" % w, "%.2f s" % c,
             "%.2f x zcat (CPU %.2f x)" % (w / zcat[0], c / zcat[1]), "", "")
            for k, (w, c) in med.items()]
    cold = med["hpc build (cold)"]
    warm = med["hpc build (warm, one command changed)"]
    umoci = med["umoci unpack + mke2fs -d"]
    r = cold[0] / zcat[0]
    rows.append(("cold / zcat", "", "", "%.2f (CPU %.2f)" %
                 (r, cold[1] / zcat[1])) + verdict("cold", r))
    r = umoci[0] / cold[0]
    rows.append(("umoci + mke2fs / cold", "", "", "%.1f x (CPU %.1f x)" %
                 (r, umoci[1] / cold[1])) + verdict("alternative", r))
    r = warm[0] / cold[0]
    rows.append(("warm / cold", "", "", "%.2f (CPU %.2f)" %
                 (r, warm[1] / cold[1])) + verdict("warm", r))
    copy = med[COPY]
    rows.append(("cp + sync / cold", "", "", "%.2f (CPU %.2f)" %
                 (copy[0] / cold[0], copy[1] / cold[1]), "",
                 "the warm build's floor without reflinks"))
    rows.append(("warm / (cp + sync)", "", "", "%.2f (CPU %.2f)" %
                 (warm[0] / copy[0], warm[1] / copy[1]), "", ""))
    return rows


def reflink_rows(reflink):
    if reflink is None:
        return [("warm / cold on btrfs (reflinks)", "", "",
                 "not measured: no loop mount here", "", "")]
    med = {k: (statistics.median(v[0]), statistics.median(v[1]))
           for k, v in reflink.items()}
    (cw, cc), (ww, wc) = med["cold"], med["warm"]
    return [("hpc build cold, on btrfs", "%.2f s" % cw, "%.2f s" % cc,
             "", "", ""),
            ("hpc build warm, on btrfs", "%.2f s" % ww, "%.2f s" % wc,
             "", "", ""),
            ("warm / cold on btrfs (reflinks)", "", "",
             "%.2f (CPU %.2f)" % (ww / cw, wc / cc)) +
            verdict("warm", ww / cw)]


def report(work, deb, layers, build, boot, rss, flat, reflink, runs):
    rows = build_rows(build) + reflink_rows(reflink)
    bmed = {k: statistics.median(v) for k, v in boot.items()}
    r = bmed[RUN] / bmed[BARE]
    rows.append((RUN, "%.2f s" % bmed[RUN], "",
                 "%.2f x one-line init" % r) + verdict("boot", r))
    rows.append((BARE, "%.2f s" % bmed[BARE], "", "", "", ""))
    rows.append((BARE_SAME, "%.2f s" % bmed[BARE_SAME], "",
                 "hpc run %.2f x this" % (bmed[RUN] / bmed[BARE_SAME]),
                 "", "the init's own overhead"))
    rows.append((RUN3, "%.2f s" % bmed[RUN3], "",
                 "%.2f x one-line init" % (bmed[RUN3] / bmed[BARE]), "",
                 "three start at once on the one vCPU"))
    img, r = size_ratio(work)
    rows.append(("image on disk / (content + kernel + initrd + 8 MiB)",
                 "%d MiB" % (img >> 20), "", "%.2f" % r) + verdict("size", r))
    big = max(os.path.getsize(l) for l in layers)
    rows.append(("peak RSS of a cold build", "%d MiB" % (rss >> 10), "",
                 "%.2f x largest layer" % (rss * 1024 / big))
                + verdict("rss", rss / 1024))
    grew = (flat[1] - flat[0]) >> 10
    rows.append(("peak RSS, busybox pod with a 4 GiB file added / without",
                 "%d / %d MiB" % (flat[1] >> 10, flat[0] >> 10), "",
                 "+%d MiB" % grew, "flat (+16 MiB at most)",
                 "met" if grew <= 16 else "NOT met"))
    load = "%.2f %.2f %.2f" % os.getloadavg()
    text = ("# Benchmark results\n\n"
            "Made by `make bench` (bench/bench.py) on %s, %s; load average "
            "%s at the start, %s at the end (the machine is shared, so wall "
            "times are inflated by other work; CPU times less so).\n"
            "Medians of %d runs, the contenders alternated round by round, "
            "each started after a sync (none waits for another's "
            "writeback) and after removing, untimed, what its last round "
            "left: its output, and the cold build's cache (deleting a 200 "
            "MiB file costs 0.05 s here, which no contender is charged). "
            "Input: the Debian example image (%d layers, %d MiB compressed) "
            "in a pod of three containers (two share its filesystem, one "
            "is busybox). The warm build changes one container's command "
            "and finds both root filesystems in the result cache. The boot "
            "measure's pod is one container, a one-line shell echo from the "
            "Debian image, as the one-line init is one process running "
            "busybox's, so the ratio is hpc's overhead and not a program's "
            "start-up; the build's pod of three is booted too, for the "
            "record.\n\n%s\n"
            % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), machine(),
               LOAD_AT_START, load, runs, len(layers),
               sum(os.path.getsize(l) for l in layers) >> 20, table(rows)))
    print(text)
    with open(os.path.join(ROOT, "bench", "RESULTS.md"), "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
