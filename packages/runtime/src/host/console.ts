/**
 * Prefixes every line an actor prints with its name, as Ray prefixes worker output, so that the
 * output of many actors stays readable. Partial writes are tracked so a line is prefixed once.
 */
export function prefixOutput(name: string): void {
  const prefix = `(${name}) `;
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
    let atLineStart = true;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      let text: string;
      if (typeof chunk === 'string') text = chunk;
      else if (chunk instanceof Uint8Array) text = Buffer.from(chunk).toString('utf8');
      else return write(chunk, ...rest);
      if (text.length === 0) return write(chunk, ...rest);
      const lines = text.split('\n');
      const last = lines.length - 1;
      const prefixed = lines.map((line, i) => {
        const startsLine = i === 0 ? atLineStart : i < last || line.length > 0;
        return startsLine ? prefix + line : line;
      });
      const out = prefixed.join('\n');
      atLineStart = text.endsWith('\n');
      const tail = rest.filter((r) => typeof r === 'function');
      return write(out, ...tail);
    }) as typeof stream.write;
  }
}
