/** A local function named `actor`: not the runtime's, so the class is left alone. */
function actor(_options?: object) {
  return <T>(target: T, _context?: unknown): T => target;
}

@actor({ maxConcurrency: 2 })
export class Plain {
  go(): void {}
}
