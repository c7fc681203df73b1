// The first load of a built page: each wasm, js and css file of DIST, and
// the lesson files the page fetches before it mounts (the catalogue and the
// default scenario; see web/src/lesson/files.rs), with its gzip size (level
// 9), as `distlab bench` reports it. Run directly, it
// prints {"total": BYTES, "files": [[NAME, BYTES], ...]} for DIST.
//
//   node tests/e2e/bundle.mjs DIST
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { fileURLToPath } from "node:url";

const FETCHED_AT_LOAD = ["lessons/catalog.json", "lessons/raft/playground.toml.json"];

/** [[file, gzip bytes], ...] for the page in `dist`. */
export function bundleSizes(dist) {
  const code = fs.readdirSync(dist).filter((f) => /\.(wasm|js|css)$/.test(f));
  return [...code, ...FETCHED_AT_LOAD.filter((f) => fs.existsSync(path.join(dist, f)))].map((f) => [
    f,
    zlib.gzipSync(fs.readFileSync(path.join(dist, f)), { level: 9 }).length,
  ]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = bundleSizes(process.argv[2] ?? "dist");
  console.log(JSON.stringify({ total: files.reduce((a, [, n]) => a + n, 0), files }));
}
