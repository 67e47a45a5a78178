/** Socket helpers that Node's own API lacks. */
export { listenShared, NATIVE_HELPER, sharedListenSupport } from './reuseport.js';
export type { SharedListen } from './reuseport.js';
