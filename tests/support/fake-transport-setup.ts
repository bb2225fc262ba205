/** Jest setup of the "fake transport" project: every actor the suite spawns is hosted in-process. */
import { useHostLauncher } from '@troupe/runtime/transport';
import { inProcessLauncher } from './fake-bus.js';

useHostLauncher(inProcessLauncher);
(globalThis as { troupeFakeTransport?: boolean }).troupeFakeTransport = true;
