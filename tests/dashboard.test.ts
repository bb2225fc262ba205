/**
 * The dashboard in real headless Chromium (Debian's chromium, driven by playwright-core): the
 * page loads without console errors, lists the spawned actors, and its counts follow the calls.
 */
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { configure, type Dashboard, serveDashboard, shutdown, spawn } from '@troupe/runtime';
import { type Browser, chromium, type Page } from 'playwright-core';
import { Holder, Steps, Trio } from './fixtures/dist/observed.js';
import { systemBinary } from './support/system-binary.js';

const executablePath = systemBinary('chromium', 'chromium', 'tests/dashboard.test.ts');
const suite = executablePath === undefined ? describe.skip : describe;
const artifacts = new URL('../out/test-artifacts/', import.meta.url);

let browser: Browser | undefined;
let dashboard: Dashboard | undefined;

beforeAll(async () => {
  if (executablePath === undefined) return;
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
});

afterAll(async () => {
  await browser?.close();
  await dashboard?.close();
  configure({ timeline: false });
  await shutdown();
});

/** The text of one cell of the actors table, for the actor named `name`. */
function cellOf(page: Page, name: string, column: string): Promise<string | null> {
  return page.locator(`#actors tr[data-actor="${name}"] td.${column}`).textContent();
}

suite('the dashboard', () => {
  test('lists the actors, follows their counts, and logs no console error', async () => {
    dashboard = await serveDashboard({ intervalMs: 100 });
    expect(dashboard.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const steps = spawn(Steps, { name: 'ledger' });
    const holder = spawn(Holder, { name: 'downloads', maxConcurrency: 4 });
    const trio = spawn(Trio, { name: 'hashers' });
    await Promise.all([steps.ready(), holder.ready(), trio.ready()]);

    const page = await (browser as Browser).newPage({ viewport: { width: 1100, height: 700 } });
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('requestfailed', (request) => errors.push(`request failed: ${request.url()}`));
    await page.goto(dashboard.url);

    await page.locator('#actors tr[data-actor="ledger"]').waitFor();
    expect(await cellOf(page, 'ledger', 'class')).toBe('Steps');
    expect(await cellOf(page, 'hashers', 'threads')).toBe('3');
    expect(await cellOf(page, 'ledger', 'done')).toBe('0');

    await Promise.all(Array.from({ length: 5 }, (_, i) => steps.step(i)));
    await Promise.allSettled([steps.fail(1)]);
    const cell = new Int32Array(new SharedArrayBuffer(8));
    await Promise.all([0, 1, 2].map((i) => trio.meet(i, cell, 3)));
    const held = new Int32Array(new SharedArrayBuffer(8));
    const holding = [holder.hold(1, held), holder.hold(2, held)];

    await page.waitForFunction(
      () => document.querySelector('#actors tr[data-actor="ledger"] td.done')?.textContent === '5',
    );
    expect(await cellOf(page, 'ledger', 'failed')).toBe('1');
    await page.waitForFunction(
      () =>
        document.querySelector('#actors tr[data-actor="downloads"] td.running')?.textContent ===
        '2',
    );
    await page.locator('#methods tr[data-method="ledger.step"]').waitFor();
    await page.locator('#strip rect').first().waitFor();

    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: new URL('dashboard.png', artifacts).pathname, fullPage: true });

    Atomics.store(held, 1, 1);
    Atomics.notify(held, 1);
    expect(await Promise.all(holding)).toEqual([1, 2]);
    await page.waitForFunction(
      () =>
        document.querySelector('#actors tr[data-actor="downloads"] td.done')?.textContent === '2',
    );
    expect(errors).toEqual([]);
    await page.close();
  });

  test('serves nothing after close', async () => {
    const served = await serveDashboard();
    const response = await fetch(`${served.url}snapshot.json`);
    try {
      expect(Array.isArray(((await response.json()) as { actors: unknown[] }).actors)).toBe(true);
    } finally {
      await served.close();
    }
    await expect(fetch(served.url)).rejects.toThrow();
  });
});
