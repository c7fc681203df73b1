// The first load of a built page: each wasm, js and css file of DIST with
// its gzip size (level 9), as `distlab bench` reports it. Run directly, it
// prints {"total": BYTES, "files": [[NAME, BYTES], ...]} for DIST.
//
//   node tests/e2e/bundle.mjs DIST
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { fileURLToPath } from "node:url";

/** [[file, gzip bytes], ...] for the page in `dist`. */
export function bundleSizes(dist) {
  return fs
    .readdirSync(dist)
    .filter((f) => /\.(wasm|js|css)$/.test(f))
    .map((f) => [f, zlib.gzipSync(fs.readFileSync(path.join(dist, f)), { level: 9 }).length]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = bundleSizes(process.argv[2] ?? "dist");
  console.log(JSON.stringify({ total: files.reduce((a, [, n]) => a + n, 0), files }));
}
