#!/usr/bin/env python3
"""Holds the sources and docs/ARCHITECTURE.md to the module graph CMakeLists.txt builds.

  check_module_graph.py <source-dir> <build-dir>/lumen-module-graph.txt

1. Every public header belongs to a component, and every `#include "lumen/..."` in a component's sources and public headers names a header of
   that component or of one it links (directly or through others).
2. The table of docs/ARCHITECTURE.md lists each component with exactly the links CMake has.
"""
import pathlib
import re
import sys

source = pathlib.Path(sys.argv[1])
graph = {}
for line in pathlib.Path(sys.argv[2]).read_text().splitlines():
    name, _, deps = line.partition(":")
    graph[name.strip()] = deps.split()


def component_of(header):
    """The component a path under include/lumen/ or src/ belongs to."""
    parts = header.split("/")
    if parts[0] in ("runtime.hpp", "config.hpp", "global.hpp", "runtime"):
        return "runtime"
    if parts[0] == "perf" and parts[-1].startswith("redis_"):
        return "redis"
    return parts[0]


def closure(name):
    seen, todo = set(), [name]
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo.extend(graph[current])
    return seen


errors = []
files = [p for p in (source / "src").rglob("*.[ch]pp")] + list((source / "include/lumen").rglob("*.hpp"))
for path in files:
    relative = path.relative_to(source / ("src" if path.is_relative_to(source / "src") else "include/lumen"))
    owner = component_of(str(relative))
    if owner.endswith(".hpp"):
        errors.append(f"{path.relative_to(source)} belongs to no component (so it is not installed)")
        continue
    if owner not in graph:
        continue  # a component switched off in this build
    allowed = closure(owner)
    for included in re.findall(r'#include "lumen/([^"]+)"', path.read_text()):
        target = component_of(included)
        if target not in allowed:
            errors.append(f"{path.relative_to(source)} ({owner}) includes lumen/{included} "
                          f"({target}), which {owner} does not link")

table = {}
architecture = (source / "docs/ARCHITECTURE.md").read_text()
for row in re.findall(r"^\| `lumen_([a-z]+)` \(`lumen::[a-z]+`\) \|[^|]*\|([^|]*)\|", architecture, re.M):
    table[row[0]] = sorted(d.strip() for d in row[1].split(",") if d.strip())
for name, deps in graph.items():
    if table.get(name) != sorted(deps):
        errors.append(f"docs/ARCHITECTURE.md says {name} links {table.get(name)}, CMake says {sorted(deps)}")

for error in errors:
    print(error)
print(f"{len(files)} files, {len(graph)} components, {len(errors)} problems")
sys.exit(1 if errors else 0)
