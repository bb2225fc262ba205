/** Median, quartiles and range of one figure's rounds. */
export interface Stats {
  median: number;
  min: number;
  max: number;
  q1: number;
  q3: number;
  rounds: number;
  samples: number[];
}

export function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => {
    const i = (sorted.length - 1) * q;
    const lo = Math.floor(i);
    const hi = Math.ceil(i);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (i - lo);
  };
  return {
    median: at(0.5),
    min: sorted[0],
    max: sorted[sorted.length - 1],
    q1: at(0.25),
    q3: at(0.75),
    rounds: samples.length,
    samples,
  };
}
