#!/usr/bin/env python3
"""Fails when a file outside the allowed ones includes RocksDB internals.

RocksDB's internal headers (everything of its source tree but include/rocksdb/)
are only valid with Debian's build settings (no NDEBUG) and change between
releases, so Drift keeps them behind one boundary: only table/*.cc (with the
table/*.h they include) and db/pinned_view.cc may include them, directly or
through a Drift header. docs/architecture.md lists those files.

An include is RocksDB's internal header if it is not rocksdb/..., is not a file
of this repository (Drift's own table/, db/, util/ share RocksDB's directory
names) and is a file of the RocksDB source tree. A Drift header with the path of
a RocksDB header is an error too: it would shadow RocksDB's for RocksDB's own
headers (the repository root comes first on the include path).

Usage: check_internal_includes.py --source-dir=DIR --rocksdb-src=DIR [--list]
  --list  print the files that include internals (directly or not) and exit 0
"""
import argparse
import fnmatch
import os
import re
import sys

ALLOWED = ["table/*.cc", "table/*.h", "db/pinned_view.cc"]
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^">]+)[">]', re.M)
SOURCE_EXT = (".cc", ".h")


def source_files(root):
    for dirpath, dirnames, filenames in os.walk(root):
        # Skip hidden dirs (.git, .deps with the RocksDB tree) and build trees.
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".")
            and not os.path.exists(os.path.join(dirpath, d, "CMakeCache.txt")))
        for f in sorted(filenames):
            if f.endswith(SOURCE_EXT):
                yield os.path.relpath(os.path.join(dirpath, f), root)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--rocksdb-src", required=True)
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()
    root, rsrc = args.source_dir, args.rocksdb_src
    if not os.path.isdir(os.path.join(rsrc, "include", "rocksdb")):
        sys.exit("check_internal_includes: no RocksDB source tree at " + rsrc)

    files = list(source_files(root))
    own = set(files)
    errors = []
    direct = {}  # file -> internal headers it includes itself
    drift_deps = {}  # file -> Drift headers it includes
    for f in files:
        with open(os.path.join(root, f), encoding="utf-8",
                  errors="replace") as fh:
            text = fh.read()
        direct[f], drift_deps[f] = [], []
        for inc in INCLUDE.findall(text):
            if inc in own:
                drift_deps[f].append(inc)
                if os.path.isfile(os.path.join(rsrc, inc)):
                    errors.append("%s: %s shadows RocksDB's header of that "
                                  "path" % (f, inc))
            elif not inc.startswith("rocksdb/") and os.path.isfile(
                    os.path.join(rsrc, inc)):
                direct[f].append(inc)

    # reach[f]: how f reaches an internal header ("a.h -> b.h -> db/x.h"),
    # propagated through Drift headers until nothing changes (include cycles
    # are fine).
    reach = {f: direct[f][0] for f in files if direct[f]}
    changed = True
    while changed:
        changed = False
        for f in files:
            if f in reach:
                continue
            for dep in drift_deps[f]:
                if dep in reach:
                    reach[f] = dep + " -> " + reach[dep]
                    changed = True
                    break

    users = [f for f in files if f in reach]
    if args.list:
        for f in users:
            print(f)
        return 0
    for f in users:
        if not any(fnmatch.fnmatch(f, p) for p in ALLOWED):
            errors.append("%s includes RocksDB internals (%s); only %s may "
                          "(docs/architecture.md)" %
                          (f, reach[f], ", ".join(ALLOWED)))
    for e in errors:
        print("check_internal_includes: " + e, file=sys.stderr)
    if not errors:
        print("check_internal_includes: OK, %d of %d files include RocksDB "
              "internals, all in %s" % (len(users), len(files),
                                        ", ".join(ALLOWED)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
