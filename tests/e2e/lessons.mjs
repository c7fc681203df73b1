// Every shipped lesson, opened fresh and walked to its last step using only
// what a learner sees: the lab plays by itself while a step waits for the
// simulation, "Show me" acts where a step asks the learner to act, Continue
// moves on. In English at 1280x800 the waits run at the lesson's own pace
// (each must end within a bounded wall time); at 800x580 and in Chinese
// "Skip to it" is used. At every step Continue (or Next) must be inside the
// viewport. Then: scrubbing back and forward keeps the lesson's progress,
// acting in the past forks it, the start page lists every lesson with done
// marks, the address follows what is open (reload, back and forward), and a
// corrupted progress store is ignored. Screenshots: test-output/lessons-*.png.
import { serve } from "./serve.mjs";
import { launch, watchErrors } from "./browser.mjs";
import { dist, harness } from "./harness.mjs";
import fs from "node:fs";
import path from "node:path";

const { check, shot, finish } = harness("lessons");

/** Longest wall time one step may take at the lesson's pace (the lessons promise 15 s). */
const STEP_WALL_MS = 20_000;

const lessons = fs
  .readdirSync(path.join(dist, "..", "tutorials"), { recursive: true })
  .filter((f) => f.endsWith(".toml"))
  .map((f) => f.split(path.sep).join("/"))
  .filter((f) => /\[lesson\]/.test(fs.readFileSync(path.join(dist, "..", "tutorials", f), "utf8")))
  .filter((f) => !process.env.LESSONS || f.includes(process.env.LESSONS))
  .sort();
const verbose = !!process.env.VERBOSE;

async function stepOf(page) {
  const of = (await page.textContent('[data-testid="step-of"]')) ?? "";
  const [, at, total] = (of.match(/(\d+)\D+(\d+)/) ?? []).map(Number);
  return [at, total];
}

/** Whether the element is on screen and not hidden by anything (the
 * point at its centre hits it, not a clipping parent or an overlay). */
async function inViewport(page, selector) {
  // The pane may be mid-redraw (a condition just came true): look again
  // briefly before calling it hidden.
  for (let i = 0; i < 5; i++) {
    if (await inViewportOnce(page, selector)) return true;
    await page.waitForTimeout(100);
  }
  return false;
}

async function inViewportOnce(page, selector) {
  const box = await page.locator(selector).first().boundingBox();
  const vp = page.viewportSize();
  if (!box || box.y < 0 || box.x < 0 || box.y + box.height > vp.height || box.x + box.width > vp.width) return false;
  return page.evaluate(
    ([sel, x, y]) => {
      const hit = document.elementFromPoint(x, y);
      return !!hit && !!hit.closest(sel);
    },
    [selector, box.x + box.width / 2, box.y + box.height / 2],
  );
}

/** The step status's class ("status waiting", "status met"...), "free" if none. */
async function statusClass(page) {
  return page.evaluate(() => document.querySelector('[data-testid="step-status"]')?.className ?? "free");
}

/** Waits until the step no longer waits (or `ms` pass); returns the state class. */
async function settle(page, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    const cls = await statusClass(page);
    if (!/waiting/.test(cls)) return cls;
    if (Date.now() > deadline) return cls;
    await page.waitForTimeout(100);
  }
}

/**
 * Walks lesson `file` from its first step to its last. `mode` is "pace"
 * (wait at the lesson's pace) or "skip". Returns per-step wall times.
 */
async function walk(page, file, mode, tag) {
  const times = [];
  const forward = '[data-testid="lesson-continue"], [data-testid="lesson-next"]';
  for (let guard = 0; guard < 20; guard++) {
    const [at, total] = await stepOf(page);
    check(await inViewport(page, forward), `${file} ${tag}: step ${at}: Continue is not in the viewport`);
    if (at === 1) await shot(page, `${file.replace(/[/.]/g, "-")}-${tag}-first`);
    const started = Date.now();
    const waiting = /waiting/.test(await statusClass(page));
    if (waiting) {
      if (await page.locator('[data-testid="lesson-show-me"]').count()) {
        await page.click('[data-testid="lesson-show-me"]');
      } else if (mode === "skip") {
        // The step may come true on its own between reading its status and
        // the click (the button then goes): only a step still waiting must
        // offer Skip.
        try {
          await page.click('[data-testid="lesson-skip"]', { timeout: 5_000 });
        } catch {
          check(!/waiting/.test(await statusClass(page)), `${file} ${tag}: step ${at} waits with no Skip button`);
        }
      } else if (/step-hint/.test(await page.innerHTML('[data-testid="step-status"]'))) {
        // The step asks the learner to press Play.
        await page.click('[data-testid="play"]');
      }
      const cls = await settle(page, STEP_WALL_MS);
      check(!/waiting/.test(cls), `${file} ${tag}: step ${at} still waits after ${STEP_WALL_MS / 1000} s`);
      check(!/timed-out/.test(cls), `${file} ${tag}: step ${at} timed out`);
    }
    times.push([at, Date.now() - started]);
    if (verbose) console.log(`${file} ${tag} step ${at}/${total}: ${Date.now() - started} ms`);
    if (at >= total) {
      await shot(page, `${file.replace(/[/.]/g, "-")}-${tag}-last`);
      return times;
    }
    await page.click('[data-testid="lesson-continue"]', { timeout: 5000 }).catch(() => check(false, `${file} ${tag}: step ${at}: Continue cannot be pressed`));
    await page
      .waitForFunction((n) => Number(((document.querySelector('[data-testid="step-of"]')?.textContent ?? "").match(/\d+/) ?? [])[0]) === n, at + 1, { timeout: 5000 })
      .catch(() => check(false, `${file} ${tag}: Continue did not reach step ${at + 1}`));
  }
  check(false, `${file} ${tag}: never reached its last step`);
  return times;
}

const server = await serve(dist);
const url = `http://127.0.0.1:${server.address().port}/`;
const browser = await launch();
let summary = "";
try {
  check(process.env.LESSONS || lessons.length >= 8, `only ${lessons.length} lessons found`);

  // 1. Every lesson in English at 1280x800, at its own pace.
  const big = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-US" });
  const slowest = [];
  for (const file of lessons) {
    const page = await big.newPage();
    const errors = watchErrors(page);
    await page.goto(`${url}?open=${file}`);
    await page.waitForSelector('[data-testid="lesson-text"]', { timeout: 20_000 });
    const times = await walk(page, file, "pace", "en");
    const worst = times.reduce((a, b) => (b[1] > a[1] ? b : a), [0, 0]);
    slowest.push(`${file} step ${worst[0]} ${(worst[1] / 1000).toFixed(1)} s`);
    check((await page.locator('[data-testid="lesson-finished"]').count()) === 1, `${file}: the last step does not say the lesson is finished`);
    check((await page.locator('[data-testid="lesson-next"]').count()) === 1, `${file}: no "next lesson" at the end`);
    check(errors.length === 0, `${file}: ${errors.join("; ")}`);
    await page.close();
  }
  summary = `slowest step per lesson: ${slowest.join(", ")}`;

  // 2. Every lesson at 800x580 (the embed size), skipping ahead; Continue in view.
  const small = await browser.newContext({ viewport: { width: 800, height: 580 }, locale: "en-US" });
  for (const file of lessons) {
    const page = await small.newPage();
    await page.goto(`${url}?open=${file}`);
    await page.waitForSelector('[data-testid="lesson-text"]', { timeout: 20_000 });
    await walk(page, file, "skip", "small");
    await page.close();
  }

  // 2b. At 800x580 with the space-time diagram and the share bar open,
  // Continue is still in view (the share bar floats over the lab).
  {
    const page = await small.newPage();
    await page.goto(`${url}?open=raft/02-log-replication.toml`);
    await page.waitForSelector('[data-testid="lesson-text"]');
    await page.click('[data-testid="spacetime-panel"] .bar button.link');
    await page.click('[data-testid="share"]');
    await page.waitForSelector('[data-testid="share-box"]');
    check(await inViewport(page, '[data-testid="lesson-continue"]'), "800x580 with the diagram and the share bar open: Continue is not in view");
    await shot(page, "small-share-spacetime");
    await page.close();
  }

  // 3. Once in Chinese, every lesson, skipping; no stray spaces in the text.
  const zh = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "zh-CN" });
  for (const file of lessons) {
    const page = await zh.newPage();
    await page.goto(`${url}?open=${file}`);
    await page.waitForSelector('[data-testid="lesson-text"]', { timeout: 20_000 });
    // Within a paragraph, no space between two Chinese characters.
    const paras = await page.$$eval('[data-testid="lesson-text"] p, [data-testid="lesson-text"] li', (ps) => ps.map((p) => p.textContent));
    const stray = paras.map((t) => t.match(/.{0,6}[\u4e00-\u9fff，。：；、）]\s+[\u4e00-\u9fff（].{0,6}/)?.[0]).find(Boolean);
    check(!stray, `${file} zh: a stray space between Chinese characters: '${stray}'`);
    await walk(page, file, "skip", "zh");
    await page.close();
  }

  // 4. Time travel and the lesson agree (Raft 1): back shows the step that
  // was current then, forward restores the later steps, acting forks.
  const page = await big.newPage();
  const errors = watchErrors(page);
  await page.goto(`${url}?open=raft/01-leader-election.toml`);
  await page.waitForSelector('[data-testid="lesson-text"]');
  await walk(page, "raft/01-leader-election.toml", "skip", "scrub");
  // "The end": as far right as the learner can drag.
  const endUs = Math.floor(Number(await page.getAttribute('[data-testid="scrubber"]', "max")) / 100) * 100;
  // Back to 300 ms, inside step 4 (heartbeats), then to the very end again.
  await page.locator('[data-testid="scrubber"]').fill("300000");
  check((await stepOf(page))[0] === 4, `after scrubbing back to 300 ms the lesson shows step ${(await stepOf(page))[0]}, not 4`);
  await shot(page, "scrub-back");
  await page.locator('[data-testid="scrubber"]').fill(String(endUs));
  const [atEnd, total] = await stepOf(page);
  check(atEnd === total, `after scrubbing forward to the end the lesson shows step ${atEnd}, not ${total}`);
  check((await page.locator('[data-testid="lesson-finished"]').count()) === 1, "after scrubbing forward the lesson is not finished again");
  // Back again and act there: the run forks, later steps are forgotten.
  await page.locator('[data-testid="scrubber"]').fill("300000");
  await page.click('[data-testid="node-1"]');
  await page.click('[data-testid="crash"]');
  check(/forked/.test((await page.textContent('[data-testid="notice"]').catch(() => "")) ?? ""), "acting in the past showed no fork notice");
  check((await stepOf(page))[0] === 4, "acting in the past moved the lesson off its step");
  check(await page.locator('[data-testid="lesson-continue"]').isDisabled(), "after the fork at 300 ms, step 4 (400 ms of heartbeats) should wait again");
  check(errors.length === 0, `scrub: ${errors.join("; ")}`);

  // 5. The start page: every lesson by family with a done mark; the address
  // follows what is open; back and forward work.
  await page.goto(url);
  await page.waitForSelector('[data-testid="home"]');
  const cards = await page.locator('[data-testid^="home-lesson-"]').count();
  check(process.env.LESSONS || cards === lessons.length, `the start page lists ${cards} lessons, not ${lessons.length}`);
  const done = await page.locator('[data-testid^="home-lesson-"].done').count();
  check(process.env.LESSONS || done === lessons.length, `${done} of ${lessons.length} lessons are marked done after walking them all`);
  await shot(page, "home");
  await page.click('[data-testid="home-lesson-locks-02-fencing-toml"] button');
  await page.waitForSelector('[data-testid="lesson-text"]');
  check(/open=locks%2F02-fencing\.toml|open=locks\/02-fencing\.toml/.test(page.url()), `the address does not follow the lesson: ${page.url()}`);
  await page.reload();
  await page.waitForSelector('[data-testid="lesson-text"]');
  check(/Locks 2/.test(await page.textContent('[data-testid="lesson"] h2')), "a reload did not bring back the open lesson");
  await page.goBack();
  await page.waitForSelector('[data-testid="home"]', { timeout: 5000 }).catch(() => {});
  check((await page.locator('[data-testid="home"]').count()) === 1, "back did not return to the start page");
  await page.goForward();
  await page.waitForSelector('[data-testid="lesson-text"]', { timeout: 5000 }).catch(() => {});
  check((await page.locator('[data-testid="home"]').count()) === 0 && /Locks 2/.test((await page.textContent('[data-testid="lesson"] h2').catch(() => "")) ?? ""), "forward did not reopen the lesson");

  // 6. A corrupted or absurd progress store is ignored without an error.
  for (const bad of ["{", "null", '"x"', "[1,2,3]", "x".repeat(100_000)]) {
    const p = await big.newPage();
    const errs = watchErrors(p);
    await p.goto(url);
    await p.evaluate((v) => localStorage.setItem("distlab.done", v), bad);
    await p.reload();
    await p.waitForSelector('[data-testid="home"]');
    check((await p.locator('[data-testid^="home-lesson-"].done').count()) === 0, `a corrupted store (${bad.slice(0, 8)}) shows done marks`);
    check((await p.locator('[data-testid="error"]').count()) === 0 && errs.length === 0, `a corrupted store (${bad.slice(0, 8)}) caused an error: ${errs}`);
    await p.close();
  }
} finally {
  await browser.close();
  server.close();
}
finish(summary);
