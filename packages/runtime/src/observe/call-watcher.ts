/** This thread's watcher of the calls it makes: client spans, and the timeline's cancellations. */
import { type Call, type CallWatcher, watchCalls } from '../caller/call.js';
import { CancelledError, TimeoutError } from '../errors.js';
import { settings } from './configure.js';
import { actorMemory } from './hosts.js';
import { epochMicros } from './layout.js';
import { providerRegistered } from './otel.js';
import { ClientSpans } from './tracing.js';

class Watcher implements CallWatcher {
  readonly spans = new ClientSpans();

  made(call: Call): void {
    if (settings.tracing) this.spans.made(call);
  }

  settled(call: Call, error: unknown): void {
    this.spans.settled(call, error);
    if (settings.timeline && (error instanceof CancelledError || error instanceof TimeoutError)) {
      const actor = actorMemory(call.ref.info.actorId);
      if (actor?.timeline) {
        actor.instants.push({
          name: `${call.method} ${error instanceof TimeoutError ? 'timed out' : 'cancelled'}`,
          at: epochMicros(),
          replica: 0,
          args: { callId: call.wireId },
        });
      }
    }
  }
}

let installed = false;

/** Watches this thread's calls from now on (once tracing or the timeline needs it). */
export function watchThisThread(): void {
  if (installed) return;
  installed = true;
  watchCalls(new Watcher());
}

/** Stops watching the calls this thread makes, once neither tracing nor the timeline needs it. */
export function unwatchIfIdle(): void {
  if (!installed || settings.timeline || (settings.tracing && providerRegistered())) return;
  installed = false;
  watchCalls(null);
}
