/** The three kinds of actor every sample runs, in the order the table and the chart show them. */
export const KINDS = ['serial', 'async', 'threaded'] as const;

export type Kind = (typeof KINDS)[number];
