#!/usr/bin/env python3
"""Which files scripts/tidy.sh must check, and the cache key of each.

  tidy_keys.py ROOT COMPILE_COMMANDS CONFIG_HASH CACHE_DIR [file.cpp...]

Reads the compile database, keeps the .cpp files under src/, apps/ and examples/ and the unity
batches that include the libraries' sources (cmake/LumenUnity.cmake: one translation unit of up to
sixteen files), or those that are or include the files named, and prints "file<TAB>key" for each whose
key is not in CACHE_DIR (a clean check of the same text), then "total<TAB>UNITS<TAB>CACHED" last.

A file's key hashes clang-tidy's configuration, the file's path and flags, and the path and the
contents of every file its compilation reads (itself and its headers, as `clang -M` lists them), so
that a header or a NOLINT comment changed means a new key. Paths inside ROOT count relative to it:
another clone of the same commit (CI's) finds what this one checked. The header list of a file's
last compilation is kept (CACHE_DIR/deps/); when nothing it names has changed, the compilation
reads the same text and the key is found without running the compiler. Only a header added where
the include path would now find it first, or one that __has_include would now find, goes unseen,
as in ccache's direct mode.
"""
import concurrent.futures
import hashlib
import json
import os
import shlex
import subprocess
import sys

root, database, config, cache = sys.argv[1:5]
wanted = {os.path.abspath(f) for f in sys.argv[5:]}
deps_dir = os.path.join(cache, "deps")
os.makedirs(deps_dir, exist_ok=True)


def relative(path):
    return "./" + os.path.relpath(path, root) if path.startswith(root + "/") else path


content_hashes = {}


def content_hash(path):
    if path not in content_hashes:
        try:
            with open(path, "rb") as f:
                content_hashes[path] = hashlib.sha256(f.read()).hexdigest()
        except OSError:
            content_hashes[path] = None  # gone: the list is stale
    return content_hashes[path]


def key_of(rel, command, deps):
    h = hashlib.sha256(f"{config}\n{rel}\n{command}\n".encode())
    for dep in deps:
        digest = content_hash(dep)
        if digest is None:
            return None
        h.update(f"{relative(dep)}\0{digest}\n".encode())
    return h.hexdigest()


def list_headers(directory, args):
    """The files the compilation reads, in the order `clang -M` names them."""
    rule = subprocess.run(args + ["-M"], cwd=directory, check=True, capture_output=True, text=True).stdout
    words = rule.replace("\\\n", " ").split()
    return [os.path.normpath(os.path.join(directory, w)) for w in words[1:]]  # words[0] is "x.o:"


CHECKED = ("src", "apps", "examples")


def sources_of(path, rel):
    """The checked sources a translation unit compiles: itself, or a unity batch's includes."""
    if rel.split("/")[0] in CHECKED:
        return [path]
    if os.path.basename(os.path.dirname(path)).endswith("_unity"):
        with open(path) as f:
            included = [line.split('"')[1] for line in f if line.startswith("#include \"")]
        return [os.path.join(root, i) for i in included if i.split("/")[0] in CHECKED]
    return []


files = []
for entry in json.load(open(database)):
    path = os.path.join(entry["directory"], entry["file"])
    rel = os.path.relpath(path, root)
    sources = sources_of(path, rel) if rel.endswith(".cpp") else []
    if not sources:
        continue
    if wanted and wanted.isdisjoint(sources):
        continue
    args = entry.get("arguments") or shlex.split(entry["command"])
    kept, skip = [], False
    for a in args:
        if skip:
            skip = False
        elif a in ("-o", "-MF", "-MT", "-MQ"):
            skip = True
        elif a not in ("-c", "-MD", "-MMD"):
            kept.append(a)
    command = shlex.join(kept).replace(root, ".")
    files.append((rel, entry["directory"], kept, command))


def decide(item):
    """(rel, key) when the file must be checked, (rel, None) when its clean check is cached."""
    rel, directory, args, command = item
    deps_file = os.path.join(deps_dir, hashlib.sha256(f"{rel}\n{command}".encode()).hexdigest())
    if os.path.exists(deps_file):
        with open(deps_file) as f:
            deps = f.read().split("\n")
        key = key_of(rel, command, deps)
        if key is not None and os.path.exists(os.path.join(cache, key)):
            return rel, None
    deps = list_headers(directory, args)
    with open(deps_file + ".tmp", "w") as f:
        f.write("\n".join(deps))
    os.replace(deps_file + ".tmp", deps_file)
    key = key_of(rel, command, deps)
    return rel, (None if os.path.exists(os.path.join(cache, key)) else key)


with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 1) as pool:
    decided = list(pool.map(decide, files))
for rel, key in decided:
    if key is not None:
        print(f"{rel}\t{key}")
print(f"total\t{len(decided)}\t{sum(1 for _, key in decided if key is None)}")
