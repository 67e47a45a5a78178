/**
 * The outcome of a compare-and-set that matched no row, shared by every dialect: the row is
 * either missing (ERR_NOT_FOUND) or at another version (ERR_VERSION_CONFLICT). The diagnosis
 * reads the row after the failed write, so it reports the version that beat the caller.
 */
import { notFound, versionConflict } from './errors.js';

export async function casMiss(what: string, readVersion: () => Promise<number | null>): Promise<never> {
  const current = await readVersion();
  if (current === null) throw notFound(what);
  throw versionConflict(what, current);
}
