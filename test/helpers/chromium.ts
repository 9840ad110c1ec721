// Debian's Chromium driven by playwright-core for the browser tests. CI (CI=true) always runs them:
// .ci/run installs Chromium, and a missing browser there is a failure. On a developer machine
// without Chromium they are skipped with a notice.
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export const RUN_BROWSER_TESTS = existsSync(CHROMIUM) || Boolean(process.env.CI);
if (!RUN_BROWSER_TESTS) console.warn(`browser tests skipped: ${CHROMIUM} is missing (apt-get install chromium); CI always runs them`);

/** Headless, and without the background connections that this machine's closed network refuses. */
export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    timeout: 30_000,
  });
}
