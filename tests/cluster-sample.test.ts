/**
 * The cluster demo (`npm run cluster-demo`, samples/dist/cluster/run.js) end to end, in quick
 * mode: it starts nats-server and three troupe-node processes, runs the flags and compute
 * samples with an actor on every node, and ends what it started. Checked structurally: a table
 * per node, every download whole, the results equal to the single-process run's, and no process
 * left behind. Timings are never asserted. Without nats-server it skips loudly (fails under CI).
 */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { shutdown } from '@troupe/runtime';
import fc from 'fast-check';
import { parseClusterCli } from '../samples/dist/cluster/cli.js';
import type { ClusterReport, ClusterRun } from '../samples/dist/cluster/report.js';
import { NODE_IDS } from '../samples/dist/cluster/run.js';
import { nodeOf } from '../samples/dist/cluster/spread.js';
import { renderClusterTables } from '../samples/dist/cluster/table.js';
import { digestOf } from '../samples/dist/common/digest.js';
import { SilentProgress } from '../samples/dist/common/progress.js';
import { runCompute } from '../samples/dist/compute/run.js';
import { COUNTRIES } from '../samples/dist/flags/countries.js';
import { flagFiles } from '../samples/dist/flags/images.js';
import { checkDownloads } from '../samples/dist/flags/verify.js';
import { type NatsServer, natsServerBinary, startNats } from './support/nats.js';

const script = join(process.cwd(), 'samples/dist/cluster/run.js');
const binary = natsServerBinary('tests/cluster-sample.test.ts');
const suite = binary ? describe : describe.skip;
const KINDS = ['serial', 'async', 'threaded'];
const CLASSES: Record<string, string[]> = {
  flags: ['SyncFlagActor', 'AsyncFlagActor', 'ThreadedFlagActor'],
  compute: ['SyncComputeActor', 'AsyncComputeActor', 'ThreadedComputeActor'],
};

/** Runs the demo to its end; progress off, so stdout holds the lines it prints and the tables. */
function runDemo(outDir: string, extra: string[]): SpawnSyncReturns<string> {
  return spawnSync(
    process.execPath,
    [script, '--quick', '--no-progress', '--out', outDir, ...extra],
    { encoding: 'utf8', timeout: 300_000 },
  );
}

/** True while a process the demo started still runs (its PID held by the same program). */
function stillRunning(pid: number): boolean {
  try {
    return /nats-server|troupe-node/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * The rows of node `id`'s table, as cells: node, sample (on a sample's first row only), kind,
 * actor, incarnation, limit, calls, time, creation. Read from the end, the sample cell may be
 * missing.
 */
function nodeRows(stdout: string, id: string) {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith(`${id}  `))
    .map((line) => {
      const cells = line.split(/\s{2,}/);
      return {
        node: cells[0],
        kind: cells.at(-7),
        actor: cells.at(-6),
        incarnation: cells.at(-5),
        calls: cells.at(-3),
      };
    });
}

function reportOf(outDir: string): ClusterReport {
  return JSON.parse(readFileSync(join(outDir, 'cluster-report.json'), 'utf8')) as ClusterReport;
}

function runOf(report: ClusterReport, sample: string, kind: string): ClusterRun {
  const found = report.runs.find((run) => run.sample === sample && run.kind === kind);
  if (!found) throw new Error(`the report has no ${sample} ${kind} run`);
  return found;
}

afterAll(async () => {
  await shutdown();
});

describe('the cluster demo without nats-server', () => {
  test('names the Debian package to install and exits non-zero', () => {
    const done = spawnSync(
      process.execPath,
      [script, '--quick', '--no-progress', '--nats-server', '/nonexistent/nats-server'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(done.status).toBe(1);
    expect(done.stderr).toMatch(/nats-server package \(sudo apt-get install nats-server\)/);
    expect(done.stderr).toContain('/nonexistent/nats-server');
    // It started nothing, so it ends nothing.
    expect(done.stdout).not.toMatch(/ended:/);
  });

  test('the command line takes the cluster demo options and refuses the others', () => {
    expect(
      parseClusterCli(['--only', 'flags', '--quick', '--nats', 'nats://h:1', '--out', 'x']),
    ).toEqual({
      only: ['flags'],
      quick: true,
      progress: true,
      nats: 'nats://h:1',
      cluster: 'troupe-samples',
      outDir: 'x',
    });
    expect(() => parseClusterCli(['--only', 'sleep'])).toThrow(/runs flags, compute/);
    expect(() => parseClusterCli(['--latency', 'soon'])).toThrow(/--latency/);
    expect(() => parseClusterCli(['--dashboard'])).toThrow();
  });
});

describe('the cluster demo’s spreading and tables', () => {
  test('calls in turn: each call on exactly one node, shares in call order, within one of each other', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 12 }), (calls, n) => {
        const shares = Array.from({ length: n }, (_, node) =>
          Array.from({ length: calls }, (_, i) => i).filter((i) => nodeOf(i, n) === node),
        );
        expect(shares.flat().sort((a, b) => a - b)).toEqual(
          Array.from({ length: calls }, (_, i) => i),
        );
        const sizes = shares.map((share) => share.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        for (const share of shares) expect([...share].sort((a, b) => a - b)).toEqual(share);
      }),
    );
  });

  test('a table per node reads back to the report it was printed from, whatever the widths', () => {
    const node = fc.record({
      id: fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/),
      pid: fc.integer({ min: 1, max: 4_000_000 }),
      host: fc.stringMatching(/^[a-z][a-z0-9.-]{0,20}$/),
      threads: fc.integer({ min: 1, max: 512 }),
    });
    const report = fc
      .uniqueArray(node, { minLength: 1, maxLength: 5, selector: (n) => n.id })
      .chain((nodes) =>
        fc
          .array(
            fc.record({
              sample: fc.constantFrom('flags', 'compute'),
              kind: fc.constantFrom(...KINDS),
              maxConcurrency: fc.integer({ min: 1, max: 64 }),
              timeMs: fc.double({ min: 0, max: 1e6, noNaN: true }),
              creationMs: fc.double({ min: 0, max: 1e6, noNaN: true }),
              idealMs: fc.option(fc.double({ min: 0, max: 1e6, noNaN: true }), {
                nil: undefined,
              }),
              shares: fc.tuple(
                ...nodes.map((n) =>
                  fc.record({
                    node: fc.constant(n.id),
                    actor: fc.stringMatching(/^[A-Z][A-Za-z]{0,30}#[1-9][0-9]{0,4}$/),
                    incarnation: fc.integer({ min: 1, max: 99 }),
                    calls: fc.array(fc.nat(1000), { maxLength: 40 }),
                    timeMs: fc.double({ min: 0, max: 1e6, noNaN: true }),
                    creationMs: fc.double({ min: 0, max: 1e6, noNaN: true }),
                  }),
                ),
              ),
            }),
            { maxLength: 8 },
          )
          .map((runs) => ({
            generatedAt: '',
            nats: { url: 'nats://127.0.0.1:1', startedHere: true },
            started: [],
            nodes,
            runs: runs.map((run) => ({
              ...run,
              calls: run.shares.reduce((sum, share) => sum + share.calls.length, 0),
              digest: '',
            })),
            notes: ['a note'],
          })),
      );
    fc.assert(
      fc.property(report, (report: ClusterReport) => {
        const printed = renderClusterTables(report);
        for (const node of report.nodes) {
          expect(printed).toContain(
            `node ${node.id}: pid ${node.pid} on ${node.host}, ${node.threads} threads`,
          );
          const rows = nodeRows(printed, node.id);
          const shares = report.runs.map((run) => ({
            run,
            share: run.shares.find((s) => s.node === node.id),
          }));
          expect(rows).toEqual(
            shares.map(({ run, share }) => ({
              node: node.id,
              kind: run.kind,
              actor: share?.actor,
              incarnation: String(share?.incarnation),
              calls: String(share?.calls.length),
            })),
          );
        }
      }),
    );
  });
});

suite('npm run cluster-demo: three troupe-node processes on this machine', () => {
  let outDir: string;
  let done: SpawnSyncReturns<string>;
  let report: ClusterReport;

  beforeAll(() => {
    outDir = mkdtempSync(join(tmpdir(), 'troupe-cluster-demo-'));
    done = runDemo(outDir, ['--nats-server', binary as string]);
    if (done.status !== 0) {
      throw new Error(`the demo exited ${done.status}:\n${done.stdout}\n${done.stderr}`);
    }
    report = reportOf(outDir);
  }, 320_000);

  afterAll(() => {
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  test('it prints a table per node: each node hosted an actor of every kind of both samples', () => {
    for (const id of NODE_IDS) {
      expect(done.stdout).toMatch(new RegExp(`^node ${id}: pid \\d+ on \\S+, \\d+ threads$`, 'm'));
      const rows = nodeRows(done.stdout, id);
      expect(rows.map((row) => row.kind)).toEqual([...KINDS, ...KINDS]);
      expect(rows.map((row) => row.actor?.replace(/#\d+$/, ''))).toEqual([
        ...CLASSES.flags,
        ...CLASSES.compute,
      ]);
      expect(rows.map((row) => row.incarnation)).toEqual(Array(6).fill('1'));
      const share = (sample: string) =>
        report.runs
          .filter((run) => run.sample === sample)
          .map((run) => String(run.shares.find((s) => s.node === id)?.calls.length));
      expect(rows.map((row) => row.calls)).toEqual([...share('flags'), ...share('compute')]);
    }
    expect(done.stdout).toMatch(/^all 3 nodes: /m);
    expect(report.nodes.map((node) => node.id)).toEqual(NODE_IDS);
    expect(new Set(report.nodes.map((node) => node.pid)).size).toBe(3);
  });

  test('every run spread its calls over the three nodes, call i on node i mod 3', () => {
    expect(report.runs.map((run) => `${run.sample} ${run.kind}`)).toEqual([
      ...KINDS.map((kind) => `flags ${kind}`),
      ...KINDS.map((kind) => `compute ${kind}`),
    ]);
    for (const run of report.runs) {
      expect(run.shares.map((share) => share.node)).toEqual(NODE_IDS);
      for (const [n, share] of run.shares.entries()) {
        const expected = Array.from({ length: run.calls }, (_, i) => i).filter(
          (i) => nodeOf(i, NODE_IDS.length) === n,
        );
        expect(share.calls).toEqual(expected);
        expect(share.incarnation).toBe(1);
        expect(share.actor).toMatch(/^[A-Za-z]+Actor#\d+$/);
      }
      expect(run.shares.flatMap((share) => share.calls).sort((a, b) => a - b)).toEqual(
        Array.from({ length: run.calls }, (_, i) => i),
      );
    }
  });

  test('every flag download arrived whole, on every kind, as the single-process run gets them', () => {
    const files = flagFiles();
    const sizes = digestOf(files.map((file) => file.png.length));
    for (const kind of KINDS) {
      const dir = join(outDir, 'downloads', 'cluster', kind);
      expect(checkDownloads(dir, files)).toEqual([]);
      expect(readdirSync(dir).sort()).toEqual(files.map((file) => `${file.code}.png`).sort());
      const run = runOf(report, 'flags', kind);
      expect(run.calls).toBe(COUNTRIES.length);
      // The single-process sample's digest (tests/samples.test.ts): the sizes in call order.
      expect(run.digest).toBe(sizes);
    }
  });

  test('the compute bands equal the single-process run’s', async () => {
    const single = await runCompute({ quick: true, progress: new SilentProgress(), outDir });
    const expected = single.runs.find((run) => run.kind === 'serial')?.digest;
    expect(expected).toBeDefined();
    for (const kind of KINDS) expect(runOf(report, 'compute', kind).digest).toBe(expected);
  });

  test('it ended nats-server and the three nodes it started, by PID', () => {
    expect(report.nats.startedHere).toBe(true);
    expect(report.started.map((p) => p.what)).toEqual([
      'nats-server',
      ...NODE_IDS.map((id) => `troupe-node ${id}`),
    ]);
    expect(report.nodes.map((node) => node.pid)).toEqual(report.started.slice(1).map((p) => p.pid));
    for (const { what, pid } of report.started) {
      expect(done.stdout).toContain(`${what} (pid ${pid})`);
      expect({ what, running: stillRunning(pid) }).toEqual({ what, running: false });
    }
  });
});

suite('npm run cluster-demo -- --nats <url>: a server it did not start', () => {
  let nats: NatsServer;
  let outDir: string;

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'troupe-cluster-demo-'));
    nats = await startNats(binary as string);
  }, 60_000);

  afterAll(async () => {
    await nats?.stop();
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  test('it uses the server, runs only what --only names, and leaves the server running', () => {
    const done = runDemo(outDir, ['--nats', nats.url, '--only', 'compute']);
    expect({ status: done.status, stderr: done.stderr }).toEqual({ status: 0, stderr: '' });
    expect(done.stdout).toContain(`nats-server: ${nats.url} (given with --nats)`);
    const report = reportOf(outDir);
    expect(report.nats).toEqual({ url: nats.url, startedHere: false });
    expect(report.runs.map((run) => run.sample)).toEqual(['compute', 'compute', 'compute']);
    expect(existsSync(join(outDir, 'downloads'))).toBe(false);
    expect(report.started.map((p) => p.what)).toEqual(NODE_IDS.map((id) => `troupe-node ${id}`));
    for (const { pid } of report.started) expect(stillRunning(pid)).toBe(false);
    expect(stillRunning(nats.pid)).toBe(true);
  }, 320_000);
});
