/**
 * A square Mandelbrot image cut into `bands` interleaved bands of rows: band k holds rows k,
 * k + bands, k + 2·bands… Interleaving gives every band a share of the costly middle rows, so the
 * bands cost about the same and no single one bounds a parallel run.
 */
export interface BandJob {
  /** Pixels per side of the whole image. */
  size: number;
  bands: number;
  index: number;
  maxIterations: number;
}

export interface BandResult {
  index: number;
  /** Sum of the escape counts of the band's pixels: equal wherever the band was computed. */
  iterations: number;
  ms: number;
}

// The view: a 3 × 3 square from (-2.2, -1.5), which frames the whole set.
const LEFT = -2.2;
const TOP = -1.5;
const SPAN = 3;

/** The rows of `job`'s band, top to bottom. */
export function bandRows(job: BandJob): number[] {
  const rows: number[] = [];
  for (let y = job.index; y < job.size; y += job.bands) rows.push(y);
  return rows;
}

/** Escape counts of one image row, summed: plain JavaScript arithmetic, nothing native. */
export function rowIterations(job: BandJob, y: number): number {
  const ci = TOP + (y / job.size) * SPAN;
  let total = 0;
  for (let x = 0; x < job.size; x++) {
    const cr = LEFT + (x / job.size) * SPAN;
    let zr = 0;
    let zi = 0;
    let n = 0;
    while (n < job.maxIterations && zr * zr + zi * zi <= 4) {
      const t = zr * zr - zi * zi + cr;
      zi = 2 * zr * zi + ci;
      zr = t;
      n++;
    }
    total += n;
  }
  return total;
}
