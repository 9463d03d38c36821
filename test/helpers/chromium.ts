// Debian's Chromium for the page tests, driven by playwright-core, with the
// flags this kind of machine needs (no sandbox as root, no GPU, no traffic of
// its own). SKILLOPT_CHROMIUM names another binary.
import { execFileSync } from 'node:child_process';
import { chromium, type Browser } from 'playwright-core';

export function chromiumPath(): string {
  if (process.env.SKILLOPT_CHROMIUM) return process.env.SKILLOPT_CHROMIUM;
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error("no chromium on PATH: install Debian's chromium package (npm test does it as root), or set SKILLOPT_CHROMIUM");
  }
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
