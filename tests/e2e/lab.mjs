// End-to-end test of the lab in real Chromium: elect a leader, crash it
// through the UI and see a new leader in a higher term, rewind, drop a
// message, open a share link and find the same state, open a broken link,
// load ?embed=1 inside a sandboxed iframe, open lessons over a slow or
// broken network, switch to zh-CN, play a lesson step. Screenshots go to
// test-output/ (lab-*.png). Exits non-zero on any failure, with every
// failure listed.
import fs from "node:fs";
import { serve } from "./serve.mjs";
import { launch, watchErrors } from "./browser.mjs";
import { DEFERRED_URL, deferredFiles } from "./bundle.mjs";
import { dist, harness, pause, play } from "./harness.mjs";

const { failures, check, shot, finish } = harness("lab");

// Node roles and terms as the cluster view shows them: "S1:leader:term 2".
async function clusterState(page) {
  return page.$$eval('[data-testid="cluster"] [data-testid^="node-"]', (gs) =>
    gs.map((g) => `${g.dataset.testid}:${g.dataset.role}:${g.dataset.status}:${g.querySelector(".term")?.textContent}`),
  );
}
const timeText = (page) => page.textContent('[data-testid="time"]');
const termOf = (s) => Number((s.match(/term (\d+)/) ?? [])[1] ?? -1);

async function setSpeed(page, log10) {
  await page.locator('[data-testid="speed"]').fill(String(log10));
}

const server = await serve(dist);
const url = `http://127.0.0.1:${server.address().port}/`;
const browser = await launch();
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-US" });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(`${url}?open=raft/playground.toml`);
  await page.waitForSelector('[data-testid="cluster"] [data-testid^="node-"]', { timeout: 20_000 });

  // 1. A leader is elected.
  await setSpeed(page, -1);
  await play(page);
  await page.waitForSelector('[data-role="leader"]', { timeout: 20_000 });
  await pause(page);
  const before = await clusterState(page);
  const leader = before.find((s) => s.includes(":leader:"));
  const leaderId = leader.split(":")[0];
  const firstTerm = termOf(leader);
  await shot(page, "1-leader");

  // 2. Crash it through the UI: a new leader appears in a higher term.
  await page.click(`[data-testid="${leaderId}"]`);
  await page.click('[data-testid="crash"]');
  check((await page.getAttribute(`[data-testid="${leaderId}"]`, "data-status")) === "crashed", `${leaderId} did not show as crashed`);
  const crashTime = await timeText(page);
  await play(page);
  const newLeader = await page
    .waitForFunction(
      ([old, term]) => {
        const g = [...document.querySelectorAll('[data-testid="cluster"] [data-role="leader"]')].find((n) => n.dataset.testid !== old);
        const t = g && Number((g.querySelector(".term")?.textContent.match(/term (\d+)/) ?? [])[1]);
        return g && t > term ? `${g.dataset.testid}:${t}` : null;
      },
      [leaderId, firstTerm],
      { timeout: 30_000 },
    )
    .then((h) => h.jsonValue())
    .catch(() => null);
  await pause(page);
  check(newLeader !== null, `no new leader with a term above ${firstTerm} after crashing ${leaderId}`);
  await shot(page, "2-new-leader");

  // 3. Rewind with the scrubber to before the crash: the old leader is back.
  const crashUs = Math.round(parseFloat(crashTime) * 1000);
  await page.locator('[data-testid="scrubber"]').fill(String(Math.max(0, Math.round((crashUs - 5000) / 100) * 100)));
  const rewound = await clusterState(page);
  check(rewound.some((s) => s.startsWith(`${leaderId}:leader:up`)), `after rewinding, ${leaderId} is not leader again: ${rewound}`);
  check(parseFloat(await timeText(page)) < parseFloat(crashTime), "rewinding did not move time back");
  await shot(page, "3-rewound");

  // 4. Acting after a rewind forks, with a notice.
  await page.click(`[data-testid="${leaderId}"]`);
  await page.click('[data-testid="send-request"]');
  const notice = await page.textContent('[data-testid="notice"]').catch(() => "");
  check(/forked/.test(notice ?? ""), `acting after a rewind showed no fork notice (got '${notice}')`);

  // 5. Drop a message: it leaves the view and the space-time diagram shows it lost.
  await play(page);
  // Dots are painted on a canvas; each message also has an (invisible)
  // element in the SVG that names it, which is what tests and screen
  // readers use.
  await page.waitForSelector('[data-testid="cluster"] [data-testid^="msg-"]', { state: "attached", timeout: 20_000 });
  await pause(page);
  const msg = await page.getAttribute('[data-testid="cluster"] [data-testid^="msg-"]', "data-testid");
  // Click the dot itself: walk along its link until the inspector shows it.
  const title = await page.textContent(`[data-testid="${msg}"] title`);
  const [, fromId, toId] = title.match(/S(\d+) → S(\d+)/) ?? [];
  const centre = async (id) => {
    const b = await page.locator(`[data-testid="node-${id}"] .body`).boundingBox();
    return [b.x + b.width / 2, b.y + b.height / 2];
  };
  const [a, b] = [await centre(fromId), await centre(toId)];
  let clicked = false;
  for (let i = 1; i < 80 && !clicked; i++) {
    const f = i / 80;
    await page.mouse.click(a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f);
    clicked = ((await page.textContent('[data-testid="inspector"]')) ?? "").includes(`Message m${msg.slice(4)}`);
  }
  check(clicked, `clicking along ${title} never selected ${msg}`);
  if (!clicked) await page.dispatchEvent(`[data-testid="${msg}"]`, "click");
  await page.waitForSelector('[data-testid="inspect-msg"]');
  await page.click('[data-testid="drop-msg"]');
  check((await page.locator(`[data-testid="cluster"] [data-testid="${msg}"]`).count()) === 0, `${msg} is still in flight after Drop`);
  const inspected = await page.textContent('[data-testid="inspector"]');
  check(/Lost at/.test(inspected), `the inspector does not say when the dropped message was lost: ${inspected}`);
  const arrowId = msg.replace("msg-", "arrow-");
  check((await page.getAttribute(`[data-testid="${arrowId}"]`, "class").catch(() => "")).includes("lost"), `the space-time diagram does not show ${msg} as lost`);
  await shot(page, "4-dropped");

  // 5b. Exports: the diagram as a standalone SVG, the trace as JSON.
  const [svgDownload] = await Promise.all([page.waitForEvent("download"), page.click('[data-testid="export-svg"]')]);
  const svgText = fs.readFileSync(await svgDownload.path(), "utf8");
  check(svgText.startsWith("<svg") && svgText.includes("<style>") && svgText.includes(arrowId), "the SVG export is not a standalone diagram with the arrows");
  const [jsonDownload] = await Promise.all([page.waitForEvent("download"), page.click('[data-testid="export-trace"]')]);
  let exported = null;
  try {
    exported = JSON.parse(fs.readFileSync(await jsonDownload.path(), "utf8"));
  } catch (e) {
    check(false, `the trace export is not JSON: ${e}`);
  }
  check(exported && exported.records.length > 10 && exported.commands.some((c) => c.command.do === "drop"), "the trace export lacks records or the drop command");

  // 6. Share link: a new page opened with it shows the same state.
  await page.click('[data-testid="share"]');
  const link = await page.inputValue('[data-testid="share-link"]');
  check(link.includes("#v1."), `the share link has no versioned fragment: ${link}`);
  check(link.length - link.indexOf("#") <= 2049, `the share link is ${link.length} characters`);
  const state = await clusterState(page);
  const time = await timeText(page);
  const other = await context.newPage();
  const errors2 = watchErrors(other);
  await other.goto(link);
  await other.waitForSelector('[data-testid="cluster"] [data-testid^="node-"]');
  check(JSON.stringify(await clusterState(other)) === JSON.stringify(state), `the share link opened a different state:\n${await clusterState(other)}\nvs\n${state}`);
  check((await timeText(other)) === time, `the share link opened at ${await timeText(other)}, not ${time}`);
  check((await other.locator('[data-testid="error"]').count()) === 0, "the share link showed an error");
  await shot(other, "5-shared");
  errors.push(...errors2);

  // 7. A broken link: a clear message over a fresh lab.
  for (const bad of ["#v1.AAAA", "#v7.abc", "#hello", `#v1.${"x".repeat(6000)}`]) {
    const p = await context.newPage();
    const errs = watchErrors(p);
    await p.goto(url + bad);
    await p.waitForSelector('[data-testid="cluster"] [data-testid^="node-"]');
    const text = await p.textContent('[data-testid="error"]').catch(() => null);
    check(text && /could not be opened/.test(text), `broken link ${bad.slice(0, 12)} showed no clear message (got ${text})`);
    if (bad === "#v7.abc") await shot(p, "6-broken-link");
    errors.push(...errs);
    await p.close();
  }

  // 8. Embedded in a sandboxed iframe (no allow-same-origin).
  const host = await context.newPage();
  const errors3 = watchErrors(host);
  await host.setViewportSize({ width: 860, height: 640 });
  await host.setContent(
    `<iframe id="lab" src="${url}?embed=1" width="800" height="580" sandbox="allow-scripts" style="border:1px solid #ccc"></iframe>`,
  );
  const frame = host.frameLocator("#lab");
  await frame.locator('[data-testid="cluster"] [data-testid^="node-"]').first().waitFor({ timeout: 20_000 });
  check((await frame.locator("header.top").count()) === 0, "?embed=1 still shows the page header");
  await frame.locator('[data-testid="play"]').click();
  await host.waitForTimeout(500);
  await shot(host, "7-embedded");
  // A lock lesson in the same kind of frame: its code is not in the first
  // load, and the frame's opaque origin fetches it like the lesson file.
  const fetched = [];
  host.on("requestfinished", (r) => {
    if (DEFERRED_URL.test(r.url())) fetched.push(r.url());
  });
  await host.setContent(
    `<iframe id="lab" src="${url}?open=locks/01-gc-pause.toml&embed=1" width="800" height="580" sandbox="allow-scripts" style="border:1px solid #ccc"></iframe>`,
  );
  await frame.locator('[data-testid="cluster"] [data-testid^="node-"]').first().waitFor({ timeout: 20_000 });
  await frame.locator('[data-testid="lesson"]').waitFor({ timeout: 20_000 }).catch(() => {});
  check((await frame.locator('[data-testid="lesson"]').count()) === 1, "the embedded lock lesson shows no lesson pane");
  const split = deferredFiles(dist).length > 0;
  check(!split || fetched.length === 1, `the embedded lock lesson fetched ${fetched.length} code files, expected 1`);
  await shot(host, "7d-embedded-lock-lesson");
  errors.push(...errors3);

  // 8b. Lesson files come over the network. A slow one says it is coming and
  // goes when it has arrived; a later choice wins over a slower earlier one;
  // a deploy without lessons/ still mounts the lab with a clear message.
  {
    const slow = await context.newPage();
    const errs = watchErrors(slow);
    const delay = (ms) => async (route) => {
      await new Promise((r) => setTimeout(r, ms));
      await route.continue();
    };
    await slow.route("**/lessons/raft/01-leader-election.toml.json", delay(1500));
    await slow.route("**/lessons/raft/02-log-replication.toml.json", delay(2500));
    await slow.goto(url);
    await slow.click('[data-testid="home-lesson-raft-01-leader-election-toml"] button');
    const coming = await slow.textContent('[data-testid="notice"]', { timeout: 1000 }).catch(() => null);
    check(coming && /Opening “Raft 1: electing a leader”/.test(coming), `no loading notice while a lesson file is fetched (got ${coming})`);
    await shot(slow, "7b-loading");
    await slow.waitForSelector('[data-testid="lesson-text"]', { timeout: 10_000 });
    check((await slow.locator('[data-testid="notice"]').count()) === 0, "the loading notice stayed after the lesson opened");
    // Pick lesson 2 (slow), then lesson 1 (already here) before 2 arrives.
    await slow.click('[data-testid="lessons-open"]');
    await slow.click('[data-testid="home-lesson-raft-02-log-replication-toml"] button');
    await slow.click('[data-testid="home-lesson-raft-01-leader-election-toml"] button');
    await slow.waitForTimeout(3500);
    check(slow.url().includes("01-leader-election"), `a slower earlier choice replaced the later one: ${slow.url()}`);
    check(/follower/i.test((await slow.textContent('[data-testid="lesson-text"]')) ?? ""), "lesson 1 is not what shows");
    errors.push(...errs);
    await slow.close();

    const bare = await context.newPage();
    const bareErrors = [];
    bare.on("pageerror", (e) => bareErrors.push(`page error: ${e.message}`));
    await bare.route("**/lessons/**", (route) => route.fulfill({ status: 404, body: "not found" }));
    await bare.goto(url + "?open=raft/01-leader-election.toml");
    await bare.waitForSelector('[data-testid="play"]', { timeout: 20_000 });
    const said = await bare.textContent('[data-testid="error"]').catch(() => null);
    check(
      said && /could not be loaded \(lessons\/catalog\.json: HTTP 404/.test(said) && /could not be loaded \(raft\/playground\.toml\)/.test(said),
      `a deploy without lessons/ gave no clear message (got ${said})`,
    );
    await shot(bare, "7c-no-lessons");
    check(bareErrors.length === 0, `a deploy without lessons/ raised: ${bareErrors.join("; ")}`);
    await bare.close();
  }

  // 9. zh-CN, kept after a reload.
  await page.selectOption('[data-testid="lang"]', "zh-CN");
  check((await page.textContent('[data-testid="share"]')) === "分享", "the UI did not switch to zh-CN");
  await page.reload();
  await page.waitForSelector('[data-testid="cluster"] [data-testid^="node-"]');
  check((await page.textContent('[data-testid="share"]')) === "分享", "the language choice did not persist");
  check((await page.getAttribute("html", "lang")) === "zh-CN", "<html lang> does not follow the language");

  // 10. The header's Lessons button opens the start page with every lesson;
  // a lesson in Chinese: text renders, Continue moves on, Back returns.
  await page.click('[data-testid="lessons-open"]');
  const listed = await page.locator('[data-testid^="home-lesson-"]').count();
  check(listed >= 3, `the start page lists ${listed} lessons`);
  check(/共识/.test((await page.textContent('[data-testid="home"]')) ?? ""), "the start page is not in Chinese");
  await shot(page, "8a-lesson-list");
  await page.click('[data-testid="home-lesson-raft-01-leader-election-toml"] button');
  await page.waitForSelector('[data-testid="lesson-text"]');
  const lessonText = await page.textContent('[data-testid="lesson-text"]');
  check(/跟随者/.test(lessonText), `the lesson is not in Chinese: ${lessonText.slice(0, 60)}`);
  await page.click('[data-testid="lesson-continue"]');
  check((await page.textContent('[data-testid="step-of"]')).includes("2"), "Continue did not move to step 2");
  await shot(page, "8-lesson-zh");
  await page.click('[data-testid="lesson-back"]');
  check((await page.textContent('[data-testid="step-of"]')).includes("1"), "Back did not return to step 1");

  // 10b. Absurd values typed into the network panel: a clear message, nothing applied.
  await page.click('[data-testid="network"] details:first-of-type summary');
  const loss = await page.inputValue('[data-testid="loss"]');
  check(loss === "0", `the loss field does not show the network in force (got '${loss}')`);
  await page.fill('[data-testid="loss"]', "2");
  await page.click('[data-testid="apply-network"]');
  const refusal = await page.textContent('[data-testid="notice"]').catch(() => "");
  check(/2/.test(refusal ?? "") && /0/.test(refusal ?? "") && /1/.test(refusal ?? ""), `a loss of 2 was not refused with its range (got '${refusal}')`);
  await page.fill('[data-testid="lat-min"]', "abc");
  await page.fill('[data-testid="loss"]', "0.1");
  await page.click('[data-testid="apply-network"]');
  check(/abc/.test((await page.textContent('[data-testid="notice"]').catch(() => "")) ?? ""), "a latency of 'abc' was not refused");
  await page.fill('[data-testid="lat-min"]', "20");
  await page.fill('[data-testid="lat-max"]', "40");
  await page.click('[data-testid="apply-network"]');
  check((await page.locator('[data-testid="notice"]').count()) === 0, "valid network settings were refused");
  await shot(page, "8b-network");

  // 11. The shortcut overlay.
  await page.keyboard.press("?");
  check(await page.isVisible('[data-testid="help-overlay"]'), "? did not open the shortcut list");
  await page.keyboard.press("Escape");

  // 12. 800x580, the smallest supported size: everything still on screen.
  await page.selectOption('[data-testid="lang"]', "en");
  await page.setViewportSize({ width: 800, height: 580 });
  await page.waitForTimeout(200);
  const box = await page.locator('[data-testid="cluster"]').boundingBox();
  check(box && box.height > 200 && box.width > 250, `the cluster view is cramped at 800x580: ${JSON.stringify(box)}`);
  check(await page.isVisible('[data-testid="play"]'), "Play is not visible at 800x580");
  await shot(page, "9-small");

  // 13. The break-it lesson: the checker catches the violation, the run
  // pauses, the nodes involved are marked and the rule is named.
  const breaker = await context.newPage();
  errors.push(...watchErrors(breaker));
  await breaker.goto(`${url}?open=raft/03-break-election-restriction.toml`);
  await breaker.selectOption('[data-testid="lang"]', "en");
  await breaker.waitForSelector('[data-testid="lesson-text"]');
  await setSpeed(breaker, 0);
  await play(breaker);
  for (let step = 2; step <= 3; step++) {
    await breaker.waitForSelector('[data-testid="lesson-continue"]:not([disabled])', { timeout: 30_000 });
    // Continue plays on by itself into a step that waits (pressing Play here
    // could resume a run the violation has just paused).
    await breaker.click('[data-testid="lesson-continue"]');
    check((await breaker.getAttribute('[data-testid="play"]', "aria-pressed")) === "true" || step === 3, "Continue did not play on");
    const at = await breaker.textContent('[data-testid="step-of"]');
    check(at.includes(`Step ${step}`), `Continue did not reach step ${step} (${at})`);
  }
  const sentence = await breaker
    .waitForSelector('[data-testid="violation"]', { timeout: 30_000 })
    .then((e) => e.textContent())
    .catch(() => "");
  check(/Leader Completeness/.test(sentence), `no Leader Completeness sentence (got '${sentence}')`);
  check((await breaker.getAttribute('[data-testid="play"]', "aria-pressed")) === "false", "the run did not pause at the violation");
  const stoppedAt = await timeText(breaker);
  check(sentence.startsWith(stoppedAt), `the run stopped at ${stoppedAt}, not where the violation happened (${sentence.slice(0, 14)})`);
  check((await breaker.locator('[data-testid="cluster"] .node.flagged').count()) >= 2, "the nodes involved are not marked");
  check((await breaker.locator('[data-testid="inv-Leader-Completeness"].broken').count()) === 1, "the Leader Completeness light is not red");
  const metText = await breaker.textContent('[data-testid="step-status"]');

  // A share link made here opens at the same step, with the step still met,
  // and Back still works there.
  await breaker.click('[data-testid="share"]');
  const lessonLink = await breaker.inputValue('[data-testid="share-link"]');
  const again = await context.newPage();
  errors.push(...watchErrors(again));
  await again.goto(lessonLink);
  await again.waitForSelector('[data-testid="lesson-text"]');
  check((await again.textContent('[data-testid="step-of"]')).includes("Step 3"), "the lesson link did not open at step 3");
  check((await again.textContent('[data-testid="step-status"]').catch(() => "")) === metText, `the met step is not met after opening the link (sender: '${metText}')`);
  check((await timeText(again)) === stoppedAt, "the lesson link opened at another time");
  await again.click('[data-testid="lesson-back"]');
  check((await again.textContent('[data-testid="step-of"]')).includes("Step 2"), "Back did not work after opening a link");
  await again.close();

  await breaker.click('[data-testid="lesson-continue"]');
  check((await breaker.textContent('[data-testid="step-of"]')).includes("Step 4"), "Continue did not reach step 4");
  check((await breaker.getAttribute('[data-testid="play"]', "aria-pressed")) === "false", "Continue into an explanation restarted the run");
  await shot(breaker, "10-violation");

  // The violation names the message whose delivery broke the rule: it is
  // marked in the space-time diagram; selecting it and going back to just
  // before it arrived shows it in flight with its fields, and one step from
  // there breaks the rule again at the same time.
  const involved = breaker.locator('[data-testid^="involved-msg-"]');
  check((await involved.count()) >= 1, "the violation names no message");
  if ((await involved.count()) >= 1) {
    const mid = (await involved.first().getAttribute("data-testid")).replace("involved-msg-", "");
    check(((await breaker.getAttribute(`[data-testid="arrow-${mid}"]`, "class").catch(() => "")) ?? "").includes("flagged"), `arrow-${mid} is not marked in the space-time diagram`);
    await involved.first().click();
    await breaker.click('[data-testid="msg-before"]');
    await breaker.waitForSelector('[data-testid="inspect-msg"]', { timeout: 5_000 }).catch(() => {});
    check((await breaker.locator(`[data-testid="cluster"] [data-testid="msg-${mid}"]`).count()) === 1, `m${mid} is not in flight just before it arrived`);
    check((await breaker.locator('[data-testid="violation"]').count()) === 0, "the violation still shows before the message that caused it arrived");
    await shot(breaker, "11-before-arrival");
    await breaker.click('[data-testid="step"]');
    await breaker.waitForSelector('[data-testid="violation"]', { timeout: 5_000 }).catch(() => {});
    check((await breaker.locator('[data-testid="violation"]').count()) >= 1, "one step after going back did not break the rule again");
    check((await timeText(breaker)) === stoppedAt, `stepping into the violation again stopped at ${await timeText(breaker)}, not ${stoppedAt}`);
    // The rule's name and the sentence follow the language.
    await breaker.selectOption('[data-testid="lang"]', "zh-CN");
    const zhSentence = (await breaker.textContent('[data-testid="violation"]')) ?? "";
    check(/领导者完整性/.test(zhSentence) && /成为任期/.test(zhSentence), `the violation sentence is not in Chinese: ${zhSentence.slice(0, 80)}`);
    check(/领导者完整性/.test((await breaker.textContent('[data-testid="inv-Leader-Completeness"]')) ?? ""), "the invariant light is not named in Chinese");
    await shot(breaker, "12-violation-zh");
  }

  if (errors.length) failures.push(...errors);
} finally {
  await browser.close();
  server.close();
}
finish("leader, crash, re-election, rewind, fork, drop, exports, share, broken links, embed, slow and missing lesson files, zh-CN, lesson, network panel, violation and its message; screenshots in test-output/");
