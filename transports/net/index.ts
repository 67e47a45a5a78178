/** Socket helpers that Node's own API lacks. */
export { listenShared, sharedListenSupport } from './reuseport.js';
export type { SharedListen } from './reuseport.js';
