export { actor, method } from '@troupe/runtime';
