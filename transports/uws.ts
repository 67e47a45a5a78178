/**
 * uWebSockets.js, loaded once. The package we install is a repackage that silently falls back to
 * a much slower pure-JavaScript server when its native binary does not load for this Node ABI;
 * `uwsBuild` tells which one is running so that start-up can log it and operators can see it.
 */
import uws from 'uWebSockets.js';

export { uws };

export function uwsBuild(): 'native' | 'fallback' {
  return String(uws.App).includes('[native code]') ? 'native' : 'fallback';
}
