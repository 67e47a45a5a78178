/**
 * The one record order of the storage layer, for results that SQL returns unordered
 * (DELETE ... RETURNING): createdAt, then id, by UTF-16 code unit, which equals the byte
 * order of COLLATE "C" / utf8mb4_bin for the ASCII ids the callers generate.
 */
export function byCreatedThenId<T extends { createdAt: number }>(id: (r: T) => string): (a: T, b: T) => number {
  return (a, b) => a.createdAt - b.createdAt || (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0);
}
