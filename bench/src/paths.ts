/** The plain-JS worker files under bench/workers, found from bench/dist. */
export function workerFile(name: string): URL {
  return new URL(`../workers/${name}`, import.meta.url);
}
