/**
 * What the toolchain app (tests/toolchains/app) prints, whichever toolchain built and ran it: the
 * kind and threads of each actor and a result per kind, on one `RESULT {json}` line.
 */

/** The `RESULT` line's object. */
export function resultOf(out: string): unknown {
  const line = out.match(/RESULT (.*)/);
  if (!line?.[1]) throw new Error(`no RESULT in:\n${out}`);
  return JSON.parse(line[1]);
}

/** What the analysis decides, whatever runs it. */
export const analysed = {
  kinds: {
    Counter: ['serial', 1],
    Fetcher: ['async', 1],
    Squarer: ['threaded', 2],
    Delayer: ['async', 1],
  },
  results: { serial: [1, 3], async: ['a', 'B'], threaded: [4, 9], delayer: 7 },
};

/** Without the analysis: the kinds read at run time, and the class they cannot decide refused. */
export const unanalysed = {
  kinds: { ...analysed.kinds, Delayer: ['threaded', 4] },
  results: { ...analysed.results, delayer: 'ActorDefinitionError' },
};
