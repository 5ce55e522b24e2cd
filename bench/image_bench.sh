#!/usr/bin/env bash
# Times lumen-image beside sharp (the original design's stack) and vipsthumbnail on an image corpus:
# optimize step alone and the whole job (metadata + optimize + 256 thumbnail), one image at a time
# and with all cores. Prints, per configuration, the median wall time over REPS runs, the median
# peak RSS of the largest process, and the bytes written for the optimized copies.
#   bench/image_bench.sh [CORPUS_DIR] [REPS]
# Needs: build/apps/lumen-image/lumen-image (Release), `npm ci --prefix bench/js`, vipsthumbnail.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus="${1:-/work/shared/corpus/images}"
reps="${2:-3}"
cores="$(nproc)"
cli=build/apps/lumen-image/lumen-image
sharp_js=bench/js/image_bench_sharp.js
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

measure() {
  local name="$1"
  shift
  local runs=()
  for _ in $(seq "$reps"); do
    rm -rf "$tmp/o" "$tmp/t"
    mkdir -p "$tmp/o" "$tmp/t"
    /usr/bin/time -f "%e %M" -o "$tmp/time" "$@" >"$tmp/stdout" 2>"$tmp/stderr" || true
    runs+=("$(cat "$tmp/time" | tail -1) $(du -cb "$tmp/o" | tail -1 | cut -f1) $(ls "$tmp/o" | wc -l)")
  done
  local mid=$(((reps + 1) / 2))
  median() { printf '%s\n' "${runs[@]}" | cut -d' ' -f"$1" | sort -n | sed -n "${mid}p"; }
  printf '%-44s %7.2f s  %7.1f MB peak  %10d bytes out  %3d files  (runs: %s)\n' "$name" "$(median 1)" \
    "$(awk -v k="$(median 2)" "BEGIN { print k / 1024 }")" "$(median 3)" "$(median 4)" \
    "$(printf '%s\n' "${runs[@]}" | cut -d' ' -f1 | tr '\n' ' ')"
}

images=("$corpus"/*.jpg "$corpus"/*.png "$corpus"/*.webp)
echo "corpus: $corpus (${#images[@]} images, $(du -cb "${images[@]}" | tail -1 | cut -f1) bytes); cores: $cores; reps: $reps"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$("$cli" --version); $(node -e "const s=require('./bench/js/node_modules/sharp');console.log('sharp '+s.versions.sharp+' (libvips '+s.versions.vips+')')"); vipsthumbnail $(vips --version)"

echo "-- optimize step (resize inside 1920x1920, no enlargement, JPEG q85)"
measure "lumen-image --jobs 1" "$cli" optimize "$corpus" --out "$tmp/o" --jobs 1
measure "sharp, one image at a time" node "$sharp_js" optimize serial "$corpus" "$tmp/o"
# Bytes on the same pictures: lumen flattens alpha onto white (as the issue asks); the design's
# sharp code drops it onto black, which makes a different, smaller picture of a transparent image.
SHARP_FLATTEN='#ffffff' measure "sharp, alpha onto white as lumen" node "$sharp_js" optimize serial "$corpus" "$tmp/o"
measure "vipsthumbnail, one process" vipsthumbnail "${images[@]}" --size '1920x1920>' \
  -o "$tmp/o/%s.jpg[Q=85,optimize_coding,strip]"
measure "lumen-image --jobs $cores" "$cli" optimize "$corpus" --out "$tmp/o" --jobs "$cores"
measure "sharp, all images in flight" node "$sharp_js" optimize parallel "$corpus" "$tmp/o"
measure "vipsthumbnail, xargs -P $cores" sh -c 'printf "%s\n" "$@" | xargs -P "'"$cores"'" -I{} vipsthumbnail {} \
  --size "1920x1920>" -o "'"$tmp"'/o/%s.jpg[Q=85,optimize_coding,strip]"' sh "${images[@]}"

echo "-- whole job (metadata, optimize, thumbnail 256 cover q80)"
measure "lumen-image --thumbnails --jobs 1" "$cli" optimize "$corpus" --out "$tmp/o" --thumbnails "$tmp/t" --jobs 1
measure "sharp job, one image at a time" node "$sharp_js" job serial "$corpus" "$tmp/o"
measure "lumen-image --thumbnails --jobs $cores" "$cli" optimize "$corpus" --out "$tmp/o" --thumbnails "$tmp/t" \
  --jobs "$cores"
measure "sharp job, all images in flight" node "$sharp_js" job parallel "$corpus" "$tmp/o"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
