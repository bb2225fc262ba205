/**
 * Troupe's benchmark. Every figure is measured beside its baseline in this one process and
 * written to results.json and RESULTS.md: in bench/ for a full run of every group, in the
 * git-ignored bench/out/ for --quick or --only, or in the folder --out names.
 *
 *   node bench/dist/run.js [--quick] [--only overhead,payload,io,cpu,lifecycle,observe,growth,cluster] [--out dir]
 *                          [--rounds n] [--actors n] [--cores n] [--label text]
 *
 * --cores caps the CPU-bound thread counts, for machines whose CPU quota is smaller than the
 * affinity mask that os.availableParallelism() reads.
 */
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { troupeLoaded } from './contenders/troupe.js';
import { errorRow, type Figure } from './figures.js';
import { type Settings, withTimeout } from './harness.js';
import { machine, writeResults } from './report.js';

type Group = { run(settings: Settings): Promise<Figure[]> };

const groups: Record<string, () => Promise<Group>> = {
  overhead: () => import('./groups/overhead.js'),
  payload: () => import('./groups/payload.js'),
  io: () => import('./groups/io.js'),
  cpu: () => import('./groups/cpu.js'),
  lifecycle: () => import('./groups/lifecycle.js'),
  observe: () => import('./groups/observe.js'),
  growth: () => import('./groups/growth.js'),
  failover: () => import('./groups/failover.js'),
  cluster: () => import('./groups/cluster.js'),
};

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    out: { type: 'string' },
    rounds: { type: 'string' },
    actors: { type: 'string' },
    cores: { type: 'string' },
    label: { type: 'string', default: os.hostname() },
  },
});

// Only a full run of every group replaces the committed bench/RESULTS.md; partial runs go to the
// git-ignored bench/out/ unless --out says otherwise.
const partial = values.quick || values.only !== undefined;
const outDir = values.out ?? fileURLToPath(new URL(partial ? '../out/' : '../', import.meta.url));

const selected = values.only ? values.only.split(',').map((g) => g.trim()) : Object.keys(groups);
const unknown = selected.filter((g) => !(g in groups));
if (unknown.length > 0) {
  console.error(
    `bench: unknown group ${unknown.join(', ')}; groups: ${Object.keys(groups).join(', ')}`,
  );
  process.exit(2);
}

const settings: Settings = {
  quick: values.quick,
  rounds: Math.max(1, values.rounds ? Number(values.rounds) : values.quick ? 5 : 10),
  warmup: 1,
  actors: values.actors ? Number(values.actors) : values.quick ? 8 : 32,
  cores: values.cores ? Number(values.cores) : os.availableParallelism(),
};

// Without the transformer the runtime warns once; the Troupe rows already say which handles ran.
process.env.TROUPE_SILENCE_TRANSFORMER_WARNING ??= '1';

const started = Date.now();
const loadAtStart = os.loadavg()[0];
const figures: Figure[] = [];
for (const name of selected) {
  const t0 = Date.now();
  process.stderr.write(`bench: ${name} …`);
  try {
    const group = await groups[name]();
    figures.push(...(await group.run(settings)));
  } catch (error) {
    figures.push(errorRow(name, `${name} (whole group)`, error));
  }
  const failed = figures.filter((f) => f.group === name && f.error).length;
  process.stderr.write(
    ` ${((Date.now() - t0) / 1000).toFixed(1)} s${failed ? `, ${failed} error rows` : ''}\n`,
  );
}

const troupe = troupeLoaded();
const loaded = await troupe?.catch(() => undefined); // a load failure is already in the rows
if (loaded) {
  try {
    await withTimeout(loaded.rt.shutdown(), 10_000, 'shutdown()');
  } catch (error) {
    figures.push(errorRow('exit', 'Troupe shutdown()', error));
  }
}

const markdown = await writeResults(outDir, {
  machine: machine(values.label, loadAtStart),
  settings: { ...settings, groups: selected },
  durationS: (Date.now() - started) / 1000,
  figures,
});
console.log(markdown);
console.error(`bench: wrote results.json and RESULTS.md to ${outDir}`);

// Every worker has been stopped and shutdown() called: the process should now exit by itself.
// If something still holds it open, say so (a runtime bug worth knowing) and leave anyway.
setTimeout(() => {
  console.error('bench: the process did not exit by itself 5 s after shutdown(); forcing exit');
  process.exit(3);
}, 5_000).unref();
