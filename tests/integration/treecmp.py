#!/usr/bin/env python3
"""treecmp.py A B: compare two directory trees entry by entry (type, mode,
owner, size, content digest, link target) and print every difference.
Exit status 0 when they agree."""
import hashlib
import os
import stat
import sys


def describe(root):
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            st = os.lstat(full)
            kind = stat.S_IFMT(st.st_mode)
            extra = ""
            if stat.S_ISREG(st.st_mode):
                with open(full, "rb") as f:
                    extra = hashlib.sha256(f.read()).hexdigest()
            elif stat.S_ISLNK(st.st_mode):
                extra = os.readlink(full)
            elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
                extra = "%d,%d" % (os.major(st.st_rdev), os.minor(st.st_rdev))
            mode = stat.S_IMODE(st.st_mode)
            if stat.S_ISLNK(st.st_mode):
                mode = 0o777
            out[rel] = (kind, oct(mode), st.st_uid, st.st_gid,
                        st.st_size if stat.S_ISREG(st.st_mode) else 0, extra)
    return out


def main():
    a, b = describe(sys.argv[1]), describe(sys.argv[2])
    bad = 0
    for path in sorted(set(a) | set(b)):
        if a.get(path) != b.get(path):
            bad += 1
            if bad <= 30:
                print("%s:\n  %s\n  %s" % (path, a.get(path), b.get(path)))
    print("%d entries, %d differ" % (len(a), bad))
    sys.exit(1 if bad else 0)


main()
