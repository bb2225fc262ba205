/** Placeholder: server spans of traced calls (tracing.ts). */
export interface ServerSpans {
  start(methodId: number, traceparent: string, now: number): object | undefined;
  invoke(fn: (...args: unknown[]) => unknown, self: object, args: unknown[]): unknown;
  end(span: object, now: number, ok: boolean): void;
}

export function serverSpans(): ServerSpans {
  return {
    start: () => undefined,
    invoke: (fn, self, args) => fn.apply(self, args),
    end: () => {},
  };
}
