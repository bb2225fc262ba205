/** The plain-JS worker files under bench/workers, found from bench/dist. */
export function workerFile(name: string): URL {
  return new URL(`../workers/${name}`, import.meta.url);
}

/** A file of bench/cluster-app's build (the cluster group's actors, built by the transformer). */
export function clusterAppFile(name: string): URL {
  return new URL(`../cluster-app/dist/${name}`, import.meta.url);
}

/** A file of the cluster package's build (the `troupe-node` bin). */
export function clusterFile(name: string): URL {
  return new URL(`../../packages/cluster/dist/${name}`, import.meta.url);
}
