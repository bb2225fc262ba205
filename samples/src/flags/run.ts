/** The flags sample: the seed's 20 flag downloads on the three kinds of actor. */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from '@troupe/runtime';
import { isMain } from '../common/cli.js';
import { digestOf } from '../common/digest.js';
import { type InFlightGauge, newGauge } from '../common/in-flight.js';
import { KINDS, type Kind } from '../common/kinds.js';
import { formatMs, type Measured, measure } from '../common/measure.js';
import { barrierFor, type SampleOptions } from '../common/options.js';
import type { KindRun, SampleReport } from '../common/report.js';
import { runStandalone } from '../common/standalone.js';
import { AsyncFlagActor, SyncFlagActor, ThreadedFlagActor } from './actors.js';
import { COUNTRIES } from './countries.js';
import { type FlagFile, flagFiles } from './images.js';
import { startFlagServer } from './server.js';
import { checkDownloads } from './verify.js';

export const DEFAULT_LATENCY_MS = 250;
const QUICK_LATENCY_MS = 100;
const CONCURRENCY = 20;

export async function runFlags(options: SampleOptions): Promise<SampleReport> {
  const latencyMs = options.latencyMs ?? (options.quick ? QUICK_LATENCY_MS : DEFAULT_LATENCY_MS);
  const files = flagFiles();
  const server = await startFlagServer(files, latencyMs);
  const runs: KindRun[] = [];
  try {
    for (const kind of KINDS) {
      const dir = join(options.outDir, 'downloads', kind);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      const gauge = newGauge();
      const limit = kind === 'serial' ? 1 : CONCURRENCY;
      const barrier = barrierFor(options, limit);
      if (barrier !== undefined) server.holdUntil(barrier, COUNTRIES.length);
      const measured = await downloadAll(kind, server.baseUrl, dir, gauge, options);
      const problems = checkDownloads(dir, files, measured.results);
      if (problems.length > 0) {
        throw new Error(
          `flags on the ${kind} actor: downloads are not whole:\n${problems.join('\n')}`,
        );
      }
      runs.push({
        kind,
        maxConcurrency: limit,
        calls: COUNTRIES.length,
        timeMs: measured.timeMs,
        creationMs: measured.creationMs,
        idealMs: latencyMs * Math.ceil(COUNTRIES.length / limit),
        peakInFlight: measured.peakInFlight,
        digest: digestOf(measured.results),
      });
    }
  } finally {
    await server.close();
  }
  return {
    sample: 'flags',
    title: `20 downloads, ${latencyMs} ms latency`,
    runs,
    notes: notes(runs, files, latencyMs),
  };
}

function downloadAll(
  kind: Kind,
  baseUrl: string,
  dir: string,
  gauge: InFlightGauge,
  options: SampleOptions,
): Promise<Measured<number>> {
  const args: [string, string, InFlightGauge] = [baseUrl, dir, gauge];
  const plan = { label: `flags ${kind}`, calls: COUNTRIES.length, gauge };
  switch (kind) {
    case 'serial':
      return measure(
        {
          ...plan,
          spawn: () => spawn(SyncFlagActor, { args }),
          call: (a, i) => a.download(COUNTRIES[i]),
        },
        options.progress,
      );
    case 'async':
      return measure(
        {
          ...plan,
          spawn: () => spawn(AsyncFlagActor, { args }),
          prepare: (a) => a.connect(),
          call: (a, i) => a.download(COUNTRIES[i]),
        },
        options.progress,
      );
    case 'threaded':
      return measure(
        {
          ...plan,
          spawn: () => spawn(ThreadedFlagActor, { args }),
          call: (a, i) => a.download(COUNTRIES[i]),
        },
        options.progress,
      );
  }
}

function notes(runs: KindRun[], files: FlagFile[], latencyMs: number): string[] {
  const bytes = files.reduce((sum, f) => sum + f.png.length, 0);
  const serial = runs.find((r) => r.kind === 'serial');
  const threaded = runs.find((r) => r.kind === 'threaded');
  const lines = [
    `${files.length} PNG flags (${(bytes / 1024).toFixed(0)} KB) from 127.0.0.1, ${latencyMs} ms per response; ideal = latency × ceil(20 / limit); every file checked whole (size, SHA-256)`,
  ];
  if (serial && threaded) {
    const perCall = (serial.timeMs - serial.idealMs) / serial.calls;
    lines.push(
      `blocking download (helper worker + Atomics.wait): ${perCall.toFixed(1)} ms per call over the latency; one helper thread per actor thread, in creation (${formatMs(threaded.creationMs)} for 20 threads)`,
    );
  }
  return lines;
}

if (isMain(import.meta.url)) await runStandalone('flags', runFlags);
