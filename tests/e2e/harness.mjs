// What the end-to-end tests share: where the built page and the screenshots
// are, a check list that collects every failure instead of stopping at the
// first, and the exit with a summary.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** The built page. */
export const dist = path.join(root, "dist");
/** Where screenshots go. */
export const out = path.join(root, "test-output");

/**
 * Presses the lesson's Continue (waiting until it is enabled) until the
 * lesson shows step `n` (default: its last step).
 */
export async function continueToStep(page, n = Infinity) {
  for (let guard = 0; guard < 10; guard++) {
    const of = (await page.textContent('[data-testid="step-of"]')) ?? "";
    const [, at, total] = (of.match(/(\d+)\D+(\d+)/) ?? []).map(Number);
    if (at >= Math.min(n, total)) return;
    await page.waitForSelector('[data-testid="lesson-continue"]:not([disabled])', { timeout: 30_000 });
    await page.click('[data-testid="lesson-continue"]');
  }
}

/** Presses Play unless the lab already plays (lessons play by themselves). */
export async function play(page) {
  if ((await page.getAttribute('[data-testid="play"]', "aria-pressed")) !== "true") await page.click('[data-testid="play"]');
}

/** Presses Pause if the lab plays. */
export async function pause(page) {
  if ((await page.getAttribute('[data-testid="play"]', "aria-pressed")) === "true") await page.click('[data-testid="play"]');
}

/** A test named `name`: exits at once if the page is not built. */
export function harness(name) {
  if (!fs.existsSync(path.join(dist, "index.html"))) {
    console.error(`${name}: dist/index.html is missing; build the page first (make build)`);
    process.exit(1);
  }
  fs.mkdirSync(out, { recursive: true });
  const failures = [];
  return {
    failures,
    /** Records `msg` unless `ok`; returns `ok`. */
    check(ok, msg) {
      if (!ok) failures.push(msg);
      return ok;
    },
    /** Saves a screenshot as test-output/NAME-FILE.png. */
    shot(page, file) {
      return page.screenshot({ path: path.join(out, `${name}-${file}.png`) });
    },
    /** Prints every failure and exits non-zero, or prints the summary. */
    finish(summary) {
      if (failures.length) {
        console.error(`${name}: FAIL\n- ${failures.join("\n- ")}`);
        process.exit(1);
      }
      console.log(`${name}: ok (${summary})`);
    },
  };
}
