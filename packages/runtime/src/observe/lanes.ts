/**
 * Lanes for an async actor's calls on the timeline: each call goes to the lowest lane free at its
 * start, so no two calls overlap on a lane and the lanes in use are exactly as many as the most
 * calls that ran at once (interval partitioning).
 *
 * @param spans each call's `[start, end]`
 * @returns each call's lane, in the order given
 */
export function lanesOf(spans: readonly (readonly [number, number])[]): number[] {
  // By start, and a call that ends at its start before one that lasts.
  const order = spans
    .map((_, i) => i)
    .sort(
      (a, b) =>
        (spans[a]?.[0] ?? 0) - (spans[b]?.[0] ?? 0) || (spans[a]?.[1] ?? 0) - (spans[b]?.[1] ?? 0),
    );
  const laneEnds: number[] = [];
  const lanes = new Array<number>(spans.length).fill(0);
  for (const i of order) {
    const [start, end] = spans[i] as readonly [number, number];
    let lane = laneEnds.findIndex((laneEnd) => laneEnd <= start);
    if (lane < 0) lane = laneEnds.push(end) - 1;
    laneEnds[lane] = end;
    lanes[i] = lane;
  }
  return lanes;
}
