/**
 * A second transport, in-process, to prove that the seam carries everything: each actor is hosted
 * in the test's own thread by `serveActor`, and the owner reaches it over a fake bus that clones
 * every message (with its transfer list, as `postMessage` does) and delivers it asynchronously,
 * in order. The core suites run again on it (`jest.config.js`, project "fake transport").
 */
import {
  type ActorHost,
  type HostLauncher,
  type Message,
  serveActor,
  type Transport,
} from '@troupe/runtime/transport';

class BusEnd implements Transport {
  peer!: BusEnd;
  private onMessage: ((message: Message) => void) | undefined;
  private onClose: (() => void) | undefined;
  private readonly inbox: Message[] = [];
  private scheduled = false;
  private closed = false;
  private holder: NodeJS.Timeout | undefined;

  post(message: Message, transfers: readonly Transferable[] = []): void {
    if (this.closed) return;
    // Cloned here, as postMessage clones: a value it cannot carry throws now, and nothing is sent.
    const copy = structuredClone(message, { transfer: transfers as Transferable[] });
    this.peer.deliver(copy);
  }

  listen(onMessage: (message: Message) => void, onClose?: () => void): void {
    this.onMessage = onMessage;
    this.onClose = onClose;
  }

  hold(on: boolean): void {
    if (on && this.holder === undefined) this.holder = setInterval(() => {}, 1 << 30);
    else if (!on && this.holder !== undefined) {
      clearInterval(this.holder);
      this.holder = undefined;
    }
  }

  /** As a MessagePort's: both ends hear `close`, the one closed too. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.hold(false);
    setImmediate(() => this.onClose?.());
    this.peer.peerClosed();
  }

  private deliver(message: Message): void {
    if (this.closed) return;
    this.inbox.push(message);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      for (const m of this.inbox.splice(0)) if (!this.closed) this.onMessage?.(m);
    });
  }

  private peerClosed(): void {
    if (this.closed) return;
    setImmediate(() => {
      if (this.closed) return;
      this.closed = true;
      this.hold(false);
      this.onClose?.();
    });
  }
}

type Transferable = import('node:worker_threads').TransferListItem;

/** Two ends of one fake link. */
export function fakeBus(): [Transport, Transport] {
  const a = new BusEnd();
  const b = new BusEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

/** Hosts every actor in this thread, reached over a fake bus. */
export const inProcessLauncher: HostLauncher = {
  launch(init, transfers) {
    const [owner, hosted] = fakeBus();
    const listeners: ((code: number) => void)[] = [];
    let ended = false;
    const end = (code: number) => {
      if (ended) return;
      ended = true;
      owner.close();
      hosted.close();
      setImmediate(() => {
        for (const listener of listeners) listener(code);
      });
    };
    // What the owner encoded for the host (constructor arguments, ports) moves to it.
    const own = structuredClone(init, { transfer: transfers as Transferable[] });
    own.registryPort?.close();
    serveActor(own, hosted, { exit: () => end(1) });
    const host: ActorHost = {
      transport: owner,
      stats: init.stats,
      lastError: undefined,
      onExit: (listener) => listeners.push(listener),
      terminate: async () => end(1),
      keepAlive: () => {},
    };
    return host;
  },
};
