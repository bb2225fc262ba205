// tsx registered by the program itself, not preloaded: nothing tells a worker to register it.
import { register } from 'tsx/esm/api';

register();
await import('./src/main.ts');
