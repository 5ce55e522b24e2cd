// The original design's image job on sharp, for bench/image_bench.sh to time beside lumen-image.
//   node bench/js/image_bench_sharp.js optimize|job serial|parallel DIR [OUT_DIR]
// optimize: resize inside 1920x1920 without enlargement, JPEG q85 (the design's ImageOptimizer).
// job: the design's whole job per image: metadata, optimize, thumbnail 256 cover q80 (three
// separate sharp pipelines, as its code does). serial: one image at a time; parallel: every image
// in flight at once (sharp's default thread pool). Prints one JSON line with the totals.
// SHARP_FLATTEN=#ffffff flattens alpha onto that colour before the JPEG encode, as lumen does;
// the design's code does not (sharp then drops alpha onto black), so its pictures differ.
'use strict';
const fs = require('fs');
const path = require('path');
const sharp = require('sharp');

const [mode, flow, dir, outDir] = process.argv.slice(2);
if (!['optimize', 'job'].includes(mode) || !['serial', 'parallel'].includes(flow) || !dir) {
  console.error('usage: image_bench_sharp.js optimize|job serial|parallel DIR [OUT_DIR]');
  process.exit(2);
}
sharp.cache(false);  // every image is seen once, as in lumen-image
const flatten = process.env.SHARP_FLATTEN;
const files = fs.readdirSync(dir).filter((f) => /\.(jpe?g|png|webp)$/i.test(f)).sort();

async function one(file) {
  const input = fs.readFileSync(path.join(dir, file));
  const entry = { file, bytes_in: input.length };
  if (mode === 'job') entry.meta = await sharp(input).metadata();
  let pipeline = sharp(input).resize(1920, 1920, { fit: 'inside', withoutEnlargement: true });
  if (flatten) pipeline = pipeline.flatten({ background: flatten });
  const { data, info } = await pipeline
    .jpeg({ quality: 85 })
    .toBuffer({ resolveWithObject: true });
  entry.bytes_out = data.length;
  entry.width = info.width;
  entry.height = info.height;
  if (outDir) fs.writeFileSync(path.join(outDir, path.parse(file).name + '.jpg'), data);
  if (mode === 'job') {
    const thumb = await sharp(input).resize(256, 256, { fit: 'cover', position: 'centre' }).jpeg({ quality: 80 }).toBuffer();
    entry.thumbnail_bytes = thumb.length;
  }
  return entry;
}

(async () => {
  if (outDir) fs.mkdirSync(outDir, { recursive: true });
  const start = process.hrtime.bigint();
  let entries;
  if (flow === 'serial') {
    entries = [];
    for (const f of files) entries.push(await one(f));
  } else {
    entries = await Promise.all(files.map(one));
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const sum = (k) => entries.reduce((a, e) => a + (e[k] || 0), 0);
  console.log(JSON.stringify({
    tool: `sharp ${sharp.versions.sharp} (libvips ${sharp.versions.vips})`, mode, flow,
    images: entries.length, seconds, bytes_in: sum('bytes_in'), bytes_out: sum('bytes_out'),
    thumbnail_bytes: sum('thumbnail_bytes'),
    dims: Object.fromEntries(entries.map((e) => [e.file, `${e.width}x${e.height}`])),
  }));
})().catch((e) => { console.error(e); process.exit(1); });
