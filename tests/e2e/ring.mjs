// End-to-end test of the consistent-hashing view in real Chromium, driven
// as a learner would: open the scale-out lesson, add S5 with the button in
// the ring view, watch keys move (hollow and ringed marks, Transfer
// messages, "keys to go"), see the ring settle with about a fifth of the
// keys moved and no invariant broken, then crash S2 and see reads keep
// working. Then the mod-N lesson in Chinese: four keys in five move.
// Screenshots go to test-output/ (ring-*.png).
import { serve } from "./serve.mjs";
import { launch, watchErrors } from "./browser.mjs";
import { continueToStep, dist, harness, play } from "./harness.mjs";

const { check, shot, finish } = harness("ring");

const figures = (page) => page.textContent('[data-testid="figures"]').then((t) => t ?? "");
const percent = (text, label) => Number((text.match(new RegExp(`${label}\\s*([0-9.]+) %`)) ?? [])[1] ?? NaN);

const server = await serve(dist);
const url = `http://127.0.0.1:${server.address().port}/`;
const browser = await launch();
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-US" });
  const page = await context.newPage();
  const errors = watchErrors(page);

  // 1. Scale out from four to five while clients read and write.
  await page.goto(`${url}?open=hashing/03-scale-out.toml`);
  await page.waitForSelector('[data-testid="stage-tools"]');
  check((await page.locator('[data-testid="ring"]').count()) === 1, "no ring canvas");
  check(/keys per node[\s\S]*S1[\s\S]*S4/.test(await figures(page)), "no load bars for S1 to S4");
  check((await page.locator('[data-testid="figure-bars"] .bar-row').count()) === 4, "expected four load bars before the join");
  await play(page);
  await continueToStep(page, 2);
  // The learner's move: the + S5 button over the ring.
  await page.click('[data-testid="action-join-5"]');
  await page.waitForFunction(() => /keys to go/.test(document.querySelector('[data-testid="figures"]')?.textContent ?? ""), null, { timeout: 20_000 });
  // The lab pauses when the step's goal is met; Continue plays on.
  await continueToStep(page, 3);
  if ((await page.textContent('[data-testid="play"]'))?.includes("Play")) await page.click('[data-testid="play"]');
  const transfer = await page
    .waitForSelector('[data-testid="cluster"] [data-kind="Transfer"]', { state: "attached", timeout: 10_000 })
    .then(() => true)
    .catch(() => false);
  check(transfer, "no Transfer message in flight during the rebalancing");
  check((await page.locator('[data-testid="action-join-5"]').count()) === 0, "S5 is still offered as a spare after joining");
  await shot(page, "1-moving");
  // Continue to the end of the rebalancing.
  await page.locator('[data-testid="speed"]').fill("0");
  if ((await page.textContent('[data-testid="play"]'))?.includes("Play")) await page.click('[data-testid="play"]');
  await continueToStep(page, 4);
  const settled = await figures(page);
  const moved = percent(settled, "keys moved by the last change");
  check(moved > 12 && moved < 30, `keys moved ${moved} %, expected about 20 %: ${settled.slice(0, 300)}`);
  check(/rebalancing\s*done/.test(settled), `rebalancing not done: ${settled.slice(-200)}`);
  check((await page.locator('[data-testid="figure-bars"] .bar-row').count()) === 5, "expected five load bars after the join");
  check((await page.locator('[data-testid="violation"]').count()) === 0, "an invariant broke while scaling out");
  await page.click('[data-testid="node-5"]');
  const s5 = (await page.textContent('[data-testid="inspector"]')) ?? "";
  check(/member/.test(s5) && /keys held \(copies\)\s*[1-9]/.test(s5), `S5 is not a member holding keys: ${s5.slice(0, 200)}`);
  await shot(page, "2-settled");

  // 2. Crash S2: reads go to the replicas, nothing acknowledged is lost.
  await page.click('[data-testid="node-2"]');
  await page.click('[data-testid="crash"]');
  await continueToStep(page, 5);
  await page.waitForSelector('[data-testid="lesson-continue"]:not([disabled]), [data-testid="step-status"]', { timeout: 30_000 });
  await page.waitForTimeout(1500);
  if ((await page.textContent('[data-testid="play"]'))?.includes("Pause")) await page.click('[data-testid="play"]');
  const after = await figures(page);
  const [, ok, failed] = after.match(/requests answered \/ failed\s*(\d+) \/ (\d+)/) ?? [];
  check(Number(ok) > 50, `too few requests answered: ${after.slice(-120)}`);
  check((await page.locator('[data-testid="violation"]').count()) === 0, "an invariant broke after the crash");
  await shot(page, "3-crash");

  // 3. mod-N, in Chinese: four keys in five move.
  await page.goto(`${url}?open=hashing/01-mod-n.toml`);
  await page.selectOption('[data-testid="lang"]', "zh-CN");
  await page.waitForSelector('[data-testid="stage-tools"]');
  await play(page);
  await continueToStep(page, 2);
  await page.click('[data-testid="action-join-5"]');
  await page.locator('[data-testid="speed"]').fill("0");
  await continueToStep(page, 4);
  const zh = await figures(page);
  check(/移出/.test((await page.textContent('[data-testid="stage-tools"]')) ?? ""), "the ring tools are not in Chinese");
  const movedZh = Number((zh.match(/上次成员变化移动的键\s*([0-9.]+) %/) ?? [])[1] ?? NaN);
  check(movedZh > 70 && movedZh < 90, `mod-N moved ${movedZh} %, expected about 80 %: ${zh.slice(0, 300)}`);
  await shot(page, "4-mod-n-zh");

  check(errors.length === 0, `page errors: ${errors.join(" | ")}`);
  finish(`scale-out moved ${moved} %, ${ok} requests answered and ${failed} failed around a crash, mod-N moved ${movedZh} %`);
} finally {
  await browser.close();
  server.close();
}
