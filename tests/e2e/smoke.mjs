// Smoke test of the built page: it must load without errors, draw a
// cluster, elect a leader, and pause when asked. Screenshots go to
// test-output/. Exits non-zero on any failure.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "./serve.mjs";
import { launch, watchErrors } from "./browser.mjs";
import { DEFERRED_URL, deferredFiles } from "./bundle.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const dist = path.join(root, "dist");
const out = path.join(root, "test-output");
fs.mkdirSync(out, { recursive: true });

function fail(msg) {
  console.error(`smoke: FAIL: ${msg}`);
  process.exitCode = 1;
}

if (!fs.existsSync(path.join(dist, "index.html"))) {
  fail("dist/index.html is missing; build the page first (trunk build --release --offline)");
  process.exit(1);
}

const server = await serve(dist);
const url = `http://127.0.0.1:${server.address().port}/`;
const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = watchErrors(page);
  // The code of protocols the default scenario does not use is fetched
  // only when one of them opens (web/src/code.rs).
  const deferred = [];
  page.on("request", (r) => {
    if (DEFERRED_URL.test(r.url())) deferred.push(r.url());
  });
  await page.goto(url);
  // The start page first: what DistLab is, the families, the lessons.
  await page.waitForSelector('[data-testid="home"]', { timeout: 20_000 }).catch(() => fail("no start page"));
  if ((await page.locator('[data-testid^="family-"]').count()) < 3) fail("the start page lists fewer than three protocol families");
  await page.screenshot({ path: path.join(out, "smoke-home.png") });
  await page.click('[data-testid="home-open-raft-playground-toml"]');
  await page.waitForSelector('[data-testid="cluster"] [data-testid^="node-"]', { timeout: 20_000 });
  const nodes = await page.locator('[data-testid="cluster"] [data-testid^="node-"]').count();
  if (nodes !== 5) fail(`expected 5 nodes in the cluster view, found ${nodes}`);
  await page.screenshot({ path: path.join(out, "smoke-start.png") });

  // Real time (1x) so an election happens within a second or two of wall time.
  await page.locator('[data-testid="speed"]').fill("0");
  await page.click('[data-testid="play"]');
  await page.waitForSelector('[data-role="leader"]', { timeout: 20_000 }).catch(() => fail("no leader was elected"));
  const term = await page.locator('[data-role="leader"] .term').textContent();
  if (!/^term [1-9]/.test(term ?? "")) fail(`the leader shows '${term}', expected a term of 1 or more`);

  await page.click('[data-testid="play"]');
  const t1 = await page.textContent('[data-testid="time"]');
  await page.waitForTimeout(400);
  const t2 = await page.textContent('[data-testid="time"]');
  if (t1 !== t2) fail(`time kept moving after Pause: ${t1} -> ${t2}`);
  await page.screenshot({ path: path.join(out, "smoke-leader.png") });

  if (await page.locator('[data-testid="error"]').count()) {
    fail(`the page shows an error: ${await page.textContent('[data-testid="error"]')}`);
  }
  const split = deferredFiles(dist).length > 0;
  if (deferred.length) fail(`the Raft playground fetched code it does not need: ${deferred.join(", ")}`);
  // A protocol outside the first load: its code arrives once, then it runs.
  await page.goto(`${url}?open=locks/queue-lock.toml`);
  await page.waitForSelector('[data-testid="cluster"] [data-testid^="node-"]', { timeout: 20_000 }).catch(() => fail("the queue lock did not open"));
  await page.click('[data-testid="play"]');
  await page.waitForTimeout(500);
  await page.click('[data-testid="play"]');
  if (split && deferred.length !== 1) fail(`opening the queue lock fetched ${deferred.length} code files, expected 1`);
  if (!split) console.log("smoke: this build is not split (no deferred-*.wasm in dist/)");
  await page.screenshot({ path: path.join(out, "smoke-queue-lock.png") });

  if (await page.locator('[data-testid="error"]').count()) {
    fail(`the page shows an error: ${await page.textContent('[data-testid="error"]')}`);
  }
  if (errors.length) fail(errors.join("\n"));

  // Moved code called before the page loaded it (here: the lease lock's
  // benchmark, straight from the default page) loads it synchronously,
  // says so, and runs; it never traps.
  let fallback = "not split";
  if (split) {
    const other = await browser.newPage();
    const warned = [];
    const broke = [];
    other.on("console", (m) => {
      if (m.type() === "warning" && m.text().includes("loaded it synchronously")) warned.push(m.text());
      else if (m.type() === "error") broke.push(m.text());
    });
    other.on("pageerror", (e) => broke.push(e.message));
    await other.goto(url);
    await other.waitForSelector('[data-testid="home"]', { timeout: 20_000 });
    const run = await other.evaluate(() => JSON.parse(window.wasmBindings.bench_throughput(20000, "lease_lock", 0)));
    if (!(run.events_per_s > 0)) fail(`the lease lock did not run from the default page: ${JSON.stringify(run)}`);
    if (warned.length !== 1) fail(`expected one warning of a synchronous load, got ${warned.length}`);
    if (broke.length) fail(`errors after the synchronous load: ${broke.join("\n")}`);
    fallback = "synchronous fallback ran";
    await other.close();
  }
  if (!process.exitCode) {
    console.log(`smoke: ok (${nodes} nodes, leader with ${term}, queue lock loaded its code on demand, ${fallback}, screenshots in test-output/)`);
  }
} finally {
  await browser.close();
  server.close();
}
