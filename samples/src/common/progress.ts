/** Reports calls done of a run's total while it runs. */
export interface Progress {
  start(label: string, total: number): void;
  tick(): void;
  /** Ends the run's line with a summary such as its time. */
  done(summary: string): void;
  /** A line of its own, for slow steps between runs (generating data). */
  note(line: string): void;
}

const BAR_WIDTH = 30;
const LABEL_WIDTH = 18;

/** Redraws one line in place; a terminal shows the bar fill as results arrive. */
export class TerminalProgress implements Progress {
  private label = '';
  private total = 0;
  private count = 0;

  constructor(private readonly out: NodeJS.WriteStream = process.stdout) {}

  start(label: string, total: number): void {
    this.label = label;
    this.total = total;
    this.count = 0;
    this.draw('');
  }

  tick(): void {
    this.count++;
    this.draw('');
  }

  done(summary: string): void {
    this.draw(summary);
    this.out.write('\n');
  }

  note(line: string): void {
    this.out.write(`${line}\n`);
  }

  private draw(suffix: string): void {
    const filled = this.total === 0 ? BAR_WIDTH : Math.round((this.count / this.total) * BAR_WIDTH);
    const bar = '█'.repeat(filled) + '░'.repeat(BAR_WIDTH - filled);
    const counts = `${this.count}/${this.total}`.padStart(7);
    this.out.write(`\r${this.label.padEnd(LABEL_WIDTH)} ${bar} ${counts} ${suffix}\x1b[K`);
  }
}

/** One plain line per run, for logs and pipes where carriage returns would pile up. */
export class LineProgress implements Progress {
  private label = '';
  private total = 0;
  private count = 0;

  constructor(private readonly write: (line: string) => void = (l) => console.log(l)) {}

  start(label: string, total: number): void {
    this.label = label;
    this.total = total;
    this.count = 0;
  }

  tick(): void {
    this.count++;
  }

  done(summary: string): void {
    this.write(`${this.label.padEnd(LABEL_WIDTH)} ${this.count}/${this.total} calls  ${summary}`);
  }

  note(line: string): void {
    this.write(line);
  }
}

export class SilentProgress implements Progress {
  start(): void {}
  tick(): void {}
  done(): void {}
  note(): void {}
}

/** A bar on a terminal, plain lines otherwise. */
export function progressFor(stream: NodeJS.WriteStream = process.stdout): Progress {
  return stream.isTTY ? new TerminalProgress(stream) : new LineProgress();
}
