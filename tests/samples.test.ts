/**
 * The samples end to end, in quick mode, on the compiled JavaScript (`npx tspc -b` first): each
 * sample's results are checked for correctness and each kind for the concurrency it reached.
 * Timings are never asserted: they belong to `npm start` and the benchmarks. The samples run with
 * their barrier on (`barrier: true`): calls are held until the expected number is in flight, so
 * the peaks checked here do not depend on how busy the cores are.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { shutdown } from '@troupe/runtime';
import fc from 'fast-check';
import { parseCli } from '../samples/dist/common/cli.js';
import { digestOf } from '../samples/dist/common/digest.js';
import {
  armBarrier,
  barrierTimedOut,
  enterAsync,
  type InFlightGauge,
  leave,
  newGauge,
  peakOf,
  resetGauge,
} from '../samples/dist/common/in-flight.js';
import { DEFAULT_DATA_DIR, type SampleOptions } from '../samples/dist/common/options.js';
import { SilentProgress } from '../samples/dist/common/progress.js';
import type { KindRun, SampleReport } from '../samples/dist/common/report.js';
import { renderTable } from '../samples/dist/common/table.js';
import { writeReport } from '../samples/dist/common/write-report.js';
import { runCompute } from '../samples/dist/compute/run.js';
import { COUNTRIES } from '../samples/dist/flags/countries.js';
import { httpGet } from '../samples/dist/flags/http-get.js';
import { flagFiles } from '../samples/dist/flags/images.js';
import { runFlags } from '../samples/dist/flags/run.js';
import { startFlagServer } from '../samples/dist/flags/server.js';
import { checkDownloads } from '../samples/dist/flags/verify.js';
import { sleepDurations } from '../samples/dist/sleep/durations.js';
import { QUICK_SLEEP_SCALE, runSleep } from '../samples/dist/sleep/run.js';
import { queryDirectly } from '../samples/dist/sqlite/direct.js';
import { registryPath } from '../samples/dist/sqlite/generate.js';
import { QUICK_REGISTRY_ROWS, runSqlite } from '../samples/dist/sqlite/run.js';

const outDir = mkdtempSync(join(tmpdir(), 'troupe-samples-'));
const options: SampleOptions = {
  quick: true,
  progress: new SilentProgress(),
  outDir,
  barrier: true,
};
const reports: SampleReport[] = [];

afterAll(async () => {
  await shutdown();
  rmSync(outDir, { recursive: true, force: true });
});

function run(report: SampleReport, kind: KindRun['kind']): KindRun {
  const found = report.runs.find((r) => r.kind === kind);
  if (!found) throw new Error(`${report.sample} has no ${kind} run`);
  return found;
}

/** Serial never overlaps calls; async and threaded run exactly as many at once as their limit. */
function expectConcurrencyReached(report: SampleReport): void {
  expect(run(report, 'serial').peakInFlight).toBe(1);
  for (const kind of ['async', 'threaded'] as const) {
    const { peakInFlight, maxConcurrency } = run(report, kind);
    expect({ kind, peakInFlight }).toEqual({ kind, peakInFlight: maxConcurrency });
  }
}

/**
 * Runs `calls` tasks, at most `cap` at once (an actor's real limit), each arriving when `step`
 * lets it, entering the gauge and finishing when `step` lets it again: what an async actor's
 * calls do, on this thread, with the delays busy cores put between them.
 */
async function runCapped(
  gauge: InFlightGauge,
  calls: number,
  cap: number,
  step: (index: number) => Promise<unknown> = async () => {},
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < calls) {
      const index = next++;
      await step(index);
      await enterAsync(gauge);
      try {
        await step(index);
      } finally {
        leave(gauge);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(cap, calls) }, lane));
}

describe('the barrier that makes the peaks certain', () => {
  test('the gauge opens once size calls are in flight or all have arrived, whatever order they arrive and finish in', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 12 }),
        fc.scheduler(),
        async (calls, size, extra, s) => {
          // An actor that allows at least the barrier's size (or every call) never waits it out.
          const cap = Math.min(size, calls) + extra - 1;
          const gauge = newGauge();
          resetGauge(gauge);
          armBarrier(gauge, size, calls);
          await s.waitFor(runCapped(gauge, calls, cap, (i) => s.schedule(Promise.resolve(i))));
          expect(barrierTimedOut(gauge)).toBe(false);
          // The peak the samples' tests check: the barrier's size, or every call.
          expect(peakOf(gauge)).toBeGreaterThanOrEqual(Math.min(size, calls));
          expect(peakOf(gauge)).toBeLessThanOrEqual(cap);
        },
      ),
      { numRuns: 150 },
    );
  });

  test('an actor capped below the barrier gives up waiting and shows its lower peak', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 12 }),
        fc.integer({ min: 2, max: 12 }),
        async (calls, size) => {
          const cap = Math.min(size, calls) - 1;
          const gauge = newGauge();
          resetGauge(gauge);
          armBarrier(gauge, size, calls, 1); // the wait that ends only by timing out
          await runCapped(gauge, calls, cap);
          expect(barrierTimedOut(gauge)).toBe(true);
          expect(peakOf(gauge)).toBe(cap);
        },
      ),
      { numRuns: 20 },
    );
  });

  test('the flag server answers once size requests wait at once, or all have arrived, and gives up below that', async () => {
    const server = await startFlagServer(flagFiles(), 0);
    const agent = new Agent({ keepAlive: true });
    const fetchCapped = async (calls: number, cap: number) => {
      let next = 0;
      const lane = async () => {
        while (next < calls) {
          const code = COUNTRIES[next++ % COUNTRIES.length];
          await httpGet(`${server.baseUrl}/flags/${code}.png`, agent);
        }
      };
      await Promise.all(Array.from({ length: Math.min(cap, calls) }, lane));
    };
    try {
      for (const [calls, size, cap] of [
        [20, 20, 20],
        [20, 1, 1], // a serial actor: every request is answered at once
        [6, 10, 6], // fewer calls than the barrier: all of them arriving opens it
        [20, 5, 8],
      ]) {
        server.holdUntil(size, calls);
        await fetchCapped(calls, cap);
        expect({ calls, size, cap, timedOut: server.barrierTimedOut() }).toEqual({
          calls,
          size,
          cap,
          timedOut: false,
        });
      }
      server.holdUntil(20, 20, 1);
      await fetchCapped(20, 19);
      expect(server.barrierTimedOut()).toBe(true);
    } finally {
      agent.destroy();
      await server.close();
    }
  });
});

describe('flags', () => {
  let report: SampleReport;
  beforeAll(async () => {
    report = await runFlags(options);
    reports.push(report);
  });

  test('the served flags are distinct PNG files of a few KB', () => {
    const files = flagFiles();
    expect(files.map((f) => f.code)).toEqual([...COUNTRIES]);
    for (const { png } of files) {
      expect(png.subarray(0, 8)).toEqual(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));
      expect(png.length).toBeGreaterThan(2000);
      expect(png.length).toBeLessThan(20000);
    }
    expect(new Set(files.map((f) => f.sha256)).size).toBe(20);
  });

  test('every kind writes all 20 flags whole, byte for byte as served, and nothing else', () => {
    const files = flagFiles();
    for (const kind of ['serial', 'async', 'threaded']) {
      const dir = join(outDir, 'downloads', kind);
      expect(checkDownloads(dir, files)).toEqual([]);
      expect(readdirSync(dir).sort()).toEqual(files.map((f) => `${f.code}.png`).sort());
      const first = readFileSync(join(dir, `${files[0].code}.png`));
      expect(createHash('sha256').update(first).digest('hex')).toBe(files[0].sha256);
    }
    const sizes = digestOf(files.map((f) => f.png.length));
    expect(report.runs.map((r) => r.digest)).toEqual([sizes, sizes, sizes]);
  });

  test('async and threaded actors have all 20 downloads in flight at once', () => {
    expect(run(report, 'async').maxConcurrency).toBe(20);
    expect(run(report, 'threaded').maxConcurrency).toBe(20);
    expectConcurrencyReached(report);
  });
});

describe('sleep', () => {
  let report: SampleReport;
  beforeAll(async () => {
    report = await runSleep(options);
    reports.push(report);
  });

  test('every kind returns each task its own duration, in call order', () => {
    const expected = digestOf(sleepDurations(QUICK_SLEEP_SCALE));
    expect(report.runs.map((r) => r.digest)).toEqual([expected, expected, expected]);
  });

  test('async and threaded actors sleep all 10 tasks at once', () => {
    expect(run(report, 'threaded').maxConcurrency).toBe(10);
    expectConcurrencyReached(report);
  });
});

describe('sqlite', () => {
  let report: SampleReport;
  beforeAll(async () => {
    report = await runSqlite(options);
    reports.push(report);
  });

  test('every kind returns the rows a direct query of the registry returns', () => {
    const direct = queryDirectly(registryPath(DEFAULT_DATA_DIR, QUICK_REGISTRY_ROWS));
    expect(direct.count).toBe(QUICK_REGISTRY_ROWS);
    const expected = digestOf(direct.rows);
    expect(report.runs.map((r) => r.digest)).toEqual([expected, expected, expected]);
  });

  test('async and threaded actors run all 10 queries at once', () => {
    expectConcurrencyReached(report);
  });
});

describe('compute', () => {
  let report: SampleReport;
  beforeAll(async () => {
    report = await runCompute(options);
    reports.push(report);
  });

  test('every kind computes the same bands', () => {
    const [serial, ...others] = report.runs.map((r) => r.digest);
    expect(others).toEqual([serial, serial]);
  });

  test('async and threaded actors run as many bands at once as their limit', () => {
    expect(run(report, 'threaded').maxConcurrency).toBeGreaterThanOrEqual(2);
    expectConcurrencyReached(report);
  });
});

describe('showcase report', () => {
  test('the table has a row per sample and kind, and the chart names every sample', () => {
    const table = renderTable(reports);
    for (const report of reports) {
      expect(table).toContain(report.sample);
    }
    const rows = table
      .split('\n')
      .filter((line) => /^\S*\s+(serial|async|threaded)\s+\d+\s/.test(line));
    expect(rows).toHaveLength(reports.length * 3);
    const written = writeReport(outDir, reports, { quick: true });
    const json = JSON.parse(readFileSync(written.json, 'utf8'));
    expect(json.samples.map((s: SampleReport) => s.sample)).toEqual(reports.map((r) => r.sample));
    const svg = readFileSync(written.svg, 'utf8');
    expect(svg.startsWith('<?xml')).toBe(true);
    expect(svg.match(/<rect [^>]*fill="#/g)?.length).toBeGreaterThanOrEqual(reports.length * 3);
    for (const report of reports) expect(svg).toContain(`>${report.sample}<`);
  });

  test('npm start -- --dashboard serves the page while it runs, and the report gains a timeline picture', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'troupe-showcase-'));
    try {
      const script = join(process.cwd(), 'samples/dist/showcase.js');
      const done = spawnSync(
        process.execPath,
        [script, '--quick', '--only', 'flags', '--no-progress', '--dashboard', '--latency', '20'],
        { cwd, encoding: 'utf8', timeout: 120_000 },
      );
      expect(done.status).toBe(0);
      expect(done.stdout).toMatch(/dashboard: http:\/\/127\.0\.0\.1:\d+\//);
      const written = done.stdout.match(/timeline: (\S+timeline\.svg)/)?.[1];
      expect(written).toBeDefined();
      const svg = readFileSync(resolve(cwd, written as string), 'utf8');
      expect(svg).toContain('<title>flags: every call per actor and track</title>');
      // A row per actor track: the serial actor, the async actor's lanes, the threaded threads.
      for (const actor of ['SyncFlagActor', 'AsyncFlagActor', 'ThreadedFlagActor']) {
        expect(svg).toContain(actor);
      }
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  test('the command line passes --only, --latency and --quick through', () => {
    const samples = ['flags', 'sleep', 'sqlite', 'compute'];
    expect(parseCli(['--only', 'flags,sleep', '--latency', '100', '--quick'], samples)).toEqual({
      only: ['flags', 'sleep'],
      quick: true,
      latencyMs: 100,
      progress: true,
      dashboard: false,
    });
    expect(parseCli(['--dashboard'], samples).dashboard).toBe(true);
    expect(() => parseCli(['--only', 'nope'], samples)).toThrow(/unknown sample nope/);
    expect(() => parseCli(['--latency', 'soon'], samples)).toThrow(/--latency/);
  });
});
