// Browser half of `distlab bench`: loads the shipped bundle (dist/) in
// headless Chromium and calls the page's exported bench functions, which
// run the same workload as the native bench. Prints one JSON line.
//
//   node tests/e2e/bench.mjs DIST EVENTS SEEK_EVENTS SEEKS
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { serve } from "./serve.mjs";
import { launch, watchErrors } from "./browser.mjs";

const [dist = "dist", events = "2000000", seekEvents = "1000000", seeks = "25"] = process.argv.slice(2);
if (!fs.existsSync(path.join(dist, "index.html"))) {
  console.error(`${dist}/index.html is missing: build the page first (make build)`);
  process.exit(1);
}

const bundle = fs
  .readdirSync(dist)
  .filter((f) => /\.(wasm|js|css)$/.test(f))
  .map((f) => [f, zlib.gzipSync(fs.readFileSync(path.join(dist, f)), { level: 9 }).length]);

const server = await serve(dist);
const browser = await launch();
try {
  const page = await browser.newPage();
  const errors = watchErrors(page);
  await page.goto(`http://127.0.0.1:${server.address().port}/?bench`);
  await page.waitForFunction(() => window.wasmBindings && window.wasmBindings.bench_throughput, null, { timeout: 30_000 });
  const result = await page.evaluate(
    ([events, seekEvents, seeks]) => {
      const b = window.wasmBindings;
      const t = JSON.parse(b.bench_throughput(events));
      const s = JSON.parse(b.bench_seek(seekEvents, seeks));
      return { ...t, ...s };
    },
    [Number(events), Number(seekEvents), Number(seeks)],
  );
  if (errors.length) throw new Error(errors.join("\n"));
  const total = bundle.reduce((a, [, n]) => a + n, 0);
  console.log(JSON.stringify({ ...result, bundle_gzip_bytes: total, bundle }));
} finally {
  await browser.close();
  server.close();
}
