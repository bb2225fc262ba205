// Stands in for @troupe/runtime at run time: records what each @actor call receives.
globalThis.troupeSeen = [];
export function actor(options, compiled) {
  return (target) => {
    globalThis.troupeSeen.push({ name: target.name, options, compiled });
  };
}
