#!/usr/bin/env bash
# The main job: build lumen and run the quickstart against the embedded default (recent spans kept
# in memory and printed as a tree). Point it at a collector with OTEL_EXPORTER_OTLP_ENDPOINT.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh build
cmake --build build -j"$(nproc)" --target quickstart
exec build/examples/quickstart
