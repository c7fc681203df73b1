// End-to-end test of the lock lessons in real Chromium, driven as a learner
// would: open the GC-pause lesson, play it with Continue, see the checker
// catch the stale write (Fenced Writes) and name the clients; then the
// fencing lesson, where the storage refuses the same write and nothing
// breaks; then Redlock, where a clock jump on one server gives two
// clients the lock at once. Screenshots go to test-output/ (locks-*.png).
import { serve } from "./serve.mjs";
import { launch, watchErrors } from "./browser.mjs";
import { continueToStep, dist, harness, play } from "./harness.mjs";

const { failures, check, shot, finish } = harness("locks");

// Plays a lesson from its first step to its last with Continue.
async function playLesson(page, file, lang) {
  await page.goto(`${url}?open=${file}`);
  await page.selectOption('[data-testid="lang"]', lang);
  await page.waitForSelector('[data-testid="lesson-text"]');
  // The lesson plays by itself at its own pace; Continue plays on.
  await play(page);
  await continueToStep(page);
}

const server = await serve(dist);
const url = `http://127.0.0.1:${server.address().port}/`;
const browser = await launch();
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-US" });
  const page = await context.newPage();
  const errors = watchErrors(page);

  // 1. Without fencing: the stale write is caught, with both clients named.
  await playLesson(page, "locks/01-gc-pause.toml", "en");
  const sentence = await page
    .waitForSelector('[data-testid="violation"]', { timeout: 30_000 })
    .then((e) => e.textContent())
    .catch(() => "");
  check(/Fenced Writes/.test(sentence), `no Fenced Writes sentence (got '${sentence}')`);
  check(/S2's write with token 33/.test(sentence) && /S3 had written with token 34/.test(sentence), `the sentence does not name the clients and tokens: ${sentence}`);
  for (const n of [2, 3]) {
    check((await page.locator(`[data-testid="involved-node-${n}"]`).count()) === 1, `S${n} is not named as involved`);
  }
  check((await page.locator('[data-testid="cluster"] .node.flagged').count()) >= 2, "the clients involved are not marked");
  // The storage's view: fencing off, the stale write accepted.
  await page.click('[data-testid="node-4"]');
  const storage = (await page.textContent('[data-testid="inspector"]')) ?? "";
  check(/fencing check\s*off/.test(storage), `the storage does not say fencing is off: ${storage.slice(0, 200)}`);
  // The lock board: clients in serving order, the storage's highest token.
  const board = (await page.textContent('[data-testid="lock-board"]').catch(() => "")) ?? "";
  check(/S2/.test(board) && /S3/.test(board), `the lock board does not list both clients: ${board}`);
  const store = (await page.textContent('[data-testid="lock-resource"]').catch(() => "")) ?? "";
  check(/highest token #34/.test(store) && /no token check/.test(store) && /2 accepted/.test(store), `the board's storage row is wrong: ${store}`);
  check(/wait-time distribution/.test((await page.textContent('[data-testid="figures"]')) ?? ""), "no wait-time distribution among the figures");
  await shot(page, "1-stale-write");

  // 2. With fencing, in Chinese: the write is refused, every light stays green.
  await playLesson(page, "locks/02-fencing.toml", "zh-CN");
  check((await page.locator('[data-testid="violation"]').count()) === 0, "the fenced run broke an invariant");
  check((await page.textContent('[data-testid="step-of"]')).includes("4"), "the fencing lesson did not reach its last step");
  await page.click('[data-testid="node-4"]');
  const fenced = (await page.textContent('[data-testid="inspector"]')) ?? "";
  check(/已拒绝\s*1/.test(fenced), `the storage did not refuse one write: ${fenced.slice(0, 240)}`);
  check(/写入防护/.test((await page.textContent('[data-testid="invariants"]')) ?? ""), "the invariant names are not in Chinese");
  await shot(page, "2-fenced-zh");

  // 3. Redlock: a clock jump on one server, two holders at once.
  await playLesson(page, "locks/03-redlock-clock-jump.toml", "en");
  const two = await page
    .waitForSelector('[data-testid="violation"]', { timeout: 30_000 })
    .then((e) => e.textContent())
    .catch(() => "");
  check(/Lock Exclusivity: S7 acquired the lock/.test(two) && /S6 still held it/.test(two), `no two-holder sentence (got '${two}')`);
  check((await page.locator('[data-testid="cluster"] .node[data-role="holder"]').count()) === 2, "the cluster does not show two holders");
  await shot(page, "3-redlock-two-holders");

  // 4. The herd: one release wakes every waiter.
  await playLesson(page, "locks/04-herd.toml", "en");
  check((await page.textContent('[data-testid="step-of"]')).includes("3 of 3"), "the herd lesson did not reach its last step");
  // The queue in order: the board shows places for the waiting clients.
  const places = await page.locator('[data-testid="lock-board"] .place').allTextContents();
  check(places.length >= 1 && places.every((p, i) => p === `place ${i + 2}` || p === `place ${i + 1}`), `the board's queue places are not in order: ${places}`);
  await page.click('[data-testid="node-1"]');
  const z = (await page.textContent('[data-testid="inspector"]')) ?? "";
  const notes = Number((z.match(/notifications sent\s*(\d+)/) ?? [])[1] ?? 0);
  check(notes >= 6, `one release should notify the whole herd (notifications ${notes})`);
  const figures = (await page.textContent('[data-testid="figures"]').catch(() => "")) ?? "";
  check(/messages per acquisition\s*[\d.]+/.test(figures) && /Jain/.test(figures), `no live lock figures: ${figures}`);
  await shot(page, "4-herd");

  if (errors.length) failures.push(...errors);
} finally {
  await browser.close();
  server.close();
}
finish("GC-pause lesson caught without fencing, refused with fencing; Redlock clock jump caught; herd figures; screenshots in test-output/");
