/** Socket helpers that Node's own API lacks. */
export { listenShared, nodeHasReusePort, sharedListenProblem, sharedListenSupport } from './reuseport.js';
export type { SharedListen } from './reuseport.js';
