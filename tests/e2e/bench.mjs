// Browser half of `distlab bench`: loads the shipped bundle (dist/) in
// headless Chromium and calls the page's exported bench functions, which
// run the same workload as the native bench. Prints one JSON line.
//
//   node tests/e2e/bench.mjs DIST EVENTS WARM_UP SEEK_EVENTS SEEKS
//
// The first call is the page's first run (cold: V8 has not yet tiered the
// hot functions up, memory still grows); every other throughput run is
// timed after an untimed warm-up of WARM_UP events, as the native side is.
import fs from "node:fs";
import path from "node:path";
import { bundleSizes, deferredSizes } from "./bundle.mjs";
import { serve } from "./serve.mjs";
import { launch, watchErrors } from "./browser.mjs";

const [dist = "dist", events = "2000000", warmUp = "500000", seekEvents = "1000000", seeks = "25"] = process.argv.slice(2);
if (!fs.existsSync(path.join(dist, "index.html"))) {
  console.error(`${dist}/index.html is missing: build the page first (make build)`);
  process.exit(1);
}

const bundle = bundleSizes(dist);
const deferred = deferredSizes(dist);

// Frame gaps over 5 s of requestAnimationFrame on `page`, with the median
// of `countSrc` (a function's source, sampled every frame).
async function measureFrames(page, countSrc) {
  return page.evaluate(async (countSrc) => {
    const count = eval(countSrc);
    const gaps = [];
    const samples = [];
    await new Promise((done) => {
      let last = null;
      const end = performance.now() + 5000;
      const tick = (t) => {
        if (last !== null) gaps.push(t - last);
        last = t;
        samples.push(count());
        if (t < end) requestAnimationFrame(tick);
        else done();
      };
      requestAnimationFrame(tick);
    });
    const at = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))];
    return {
      frame_ms_median: at(gaps, 0.5),
      frame_ms_p95: at(gaps, 0.95),
      frames: gaps.length,
      frames_late: gaps.filter((g) => g > 25).length,
      in_flight_median: at(samples, 0.5),
      nodes: document.querySelectorAll('[data-testid="cluster"] [data-testid^="node-"]').length,
    };
  }, countSrc);
}

const server = await serve(dist);
const browser = await launch();
try {
  const page = await browser.newPage();
  const errors = watchErrors(page);
  await page.goto(`http://127.0.0.1:${server.address().port}/?bench`);
  await page.waitForFunction(() => window.wasmBindings && window.wasmBindings.bench_throughput, null, { timeout: 30_000 });
  // The first load leaves some protocols' code out (web/src/code.rs); load it all first.
  const notReady = await page.evaluate(() => window.wasmBindings.bench_ready());
  if (notReady) throw new Error(`bench: the page could not load its protocols: ${notReady}`);
  const result = await page.evaluate(
    ([events, warmUp, seekEvents, seeks]) => {
      const b = window.wasmBindings;
      const cold = JSON.parse(b.bench_throughput(events, "", 0));
      const t = JSON.parse(b.bench_throughput(events, "", warmUp));
      t.cold_events_per_s = cold.events_per_s;
      const s = JSON.parse(b.bench_seek(seekEvents, seeks));
      // Every protocol's own workload, for the per-protocol rows.
      const per_protocol = JSON.parse(b.bench_protocols()).map((protocol) => ({
        protocol,
        ...JSON.parse(b.bench_throughput(events, protocol, warmUp)),
      }));
      return { ...t, ...s, per_protocol };
    },
    [Number(events), Number(warmUp), Number(seekEvents), Number(seeks)],
  );
  // Frame time of the lab itself: nine servers in an election storm keep
  // about 250 messages in flight (tutorials/raft/slow-network.toml). Each
  // message in flight has exactly one element naming it in the cluster.
  // A frame is late when it came more than 1.5 refresh intervals after the
  // one before (a dropped frame at 60 Hz reads 33 ms).
  const lab = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  errors.push(...watchErrors(lab));
  await lab.goto(`http://127.0.0.1:${server.address().port}/?open=raft/slow-network.toml`);
  await lab.waitForSelector('[data-testid="cluster"] [data-testid^="node-"]', { timeout: 30_000 });
  await lab.locator('[data-testid="speed"]').fill("-1");
  await lab.click('[data-testid="play"]');
  const inFlight = () => document.querySelectorAll('[data-testid="cluster"] [data-testid^="msg-"]').length;
  await lab.waitForFunction(`(${inFlight})() >= 150`, null, { timeout: 60_000 }).catch(() => {});
  await lab.waitForTimeout(1000);
  const frames = await measureFrames(lab, `(${inFlight})`);
  Object.assign(result, frames);
  // The ring view at scale: ten members with 100 virtual nodes each, 10,000
  // keys (tutorials/hashing/large-ring.toml), measured while S11 joins and
  // a tenth of the keys move.
  const ring = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  errors.push(...watchErrors(ring));
  await ring.goto(`http://127.0.0.1:${server.address().port}/?open=hashing/large-ring.toml`);
  await ring.waitForSelector('[data-testid="action-join-11"]', { timeout: 30_000 });
  await ring.click('[data-testid="action-join-11"]');
  await ring.locator('[data-testid="speed"]').fill("-1");
  await ring.click('[data-testid="play"]');
  await ring.waitForTimeout(500);
  const moving = () => Number((document.querySelector('[data-testid="figures"]')?.textContent.match(/(\d+) keys to go/) ?? [])[1] ?? 0);
  const r = await measureFrames(ring, `(${moving})`);
  Object.assign(result, {
    ring_frame_ms_median: r.frame_ms_median,
    ring_frame_ms_p95: r.frame_ms_p95,
    ring_frames: r.frames,
    ring_frames_late: r.frames_late,
    ring_moving_median: r.in_flight_median,
  });
  if (errors.length) throw new Error(errors.join("\n"));
  const total = bundle.reduce((a, [, n]) => a + n, 0);
  console.log(JSON.stringify({ ...result, bundle_gzip_bytes: total, bundle, deferred }));
} finally {
  await browser.close();
  server.close();
}
