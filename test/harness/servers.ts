/**
 * The real-server plumbing lives in bench/servers/ (the bench starts the same servers for its
 * `--backend` and `--bus` runs); the tests keep importing it from here under the same names.
 */
export {
  findExecutable,
  freePort,
  isExecutable,
  isRoot,
  listDirs,
  lookupUser,
  missingServer,
  removeDir,
  runToCompletion,
  startOnFreePort,
  startProcess,
  tempDir,
  waitUntilReady,
  type RunAs,
  type RunningServer,
  type ServerProcess,
} from '../../bench/servers/index.js';
