// The first load of a built page: each wasm, js and css file of DIST, and
// the lesson files the page fetches before it mounts (the catalogue and the
// default scenario; see web/src/lesson/files.rs), with its gzip size (level
// 9), as `distlab bench` reports it. The code the first load leaves out
// (deferred-*.wasm, fetched when a protocol in it opens; web/src/code.rs)
// is listed apart. Run directly, it prints
// {"total": BYTES, "files": [[NAME, BYTES], ...], "deferred": [[NAME, BYTES], ...]} for DIST.
//
//   node tests/e2e/bundle.mjs DIST
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { fileURLToPath } from "node:url";

const FETCHED_AT_LOAD = ["lessons/catalog.json", "lessons/raft/playground.toml.json"];

const DEFERRED = /^deferred-.*\.wasm$/;
/** Matches the address of a page's deferred module (for request counts). */
export const DEFERRED_URL = /\/deferred-[0-9a-f]+\.wasm$/;
const gzipped = (dist) => (f) => [f, zlib.gzipSync(fs.readFileSync(path.join(dist, f)), { level: 9 }).length];

/** [[file, gzip bytes], ...] of the first load of the page in `dist`. */
export function bundleSizes(dist) {
  const code = fs.readdirSync(dist).filter((f) => /\.(wasm|js|css)$/.test(f) && !DEFERRED.test(f));
  return [...code, ...FETCHED_AT_LOAD.filter((f) => fs.existsSync(path.join(dist, f)))].map(gzipped(dist));
}

/** The files of the code the first load of `dist` leaves out (none if the build was not split). */
export function deferredFiles(dist) {
  return fs.readdirSync(dist).filter((f) => DEFERRED.test(f));
}

/** [[file, gzip bytes], ...] of the code the first load of `dist` leaves out. */
export function deferredSizes(dist) {
  return deferredFiles(dist).map(gzipped(dist));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dist = process.argv[2] ?? "dist";
  const files = bundleSizes(dist);
  console.log(JSON.stringify({ total: files.reduce((a, [, n]) => a + n, 0), files, deferred: deferredSizes(dist) }));
}
