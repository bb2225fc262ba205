import { pathToFileURL } from 'node:url';

/** The runtime package (this code runs from a bundle in its dist/). */
const RUNTIME_ROOT = new URL('../', import.meta.url).href;

function toUrl(file: string): string {
  return /^[a-z][a-z0-9+.-]*:/i.test(file) && !/^[a-z]:[\\/]/i.test(file)
    ? file
    : pathToFileURL(file).href;
}

/**
 * URL of the module that called into the runtime, read from raw V8 call sites: they name the
 * file that actually runs, even under `--enable-source-maps` (which rewrites only the formatted
 * stack text to the `.ts` sources).
 */
export function callerModule(): string | undefined {
  const { prepareStackTrace, stackTraceLimit } = Error;
  let sites: NodeJS.CallSite[] = [];
  try {
    Error.stackTraceLimit = 50;
    Error.prepareStackTrace = (_error, callSites) => callSites;
    const holder: { stack?: NodeJS.CallSite[] } = {};
    Error.captureStackTrace(holder);
    sites = holder.stack ?? [];
  } finally {
    Error.prepareStackTrace = prepareStackTrace;
    Error.stackTraceLimit = stackTraceLimit;
  }
  for (const site of sites) {
    const file = site.getFileName();
    if (!file || file.startsWith('node:')) continue;
    const url = toUrl(file);
    if (!url.startsWith(RUNTIME_ROOT)) return url;
  }
  return undefined;
}
