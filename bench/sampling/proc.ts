/**
 * CPU time and resident memory of a process by pid, from Linux `/proc/<pid>/stat` and
 * `/proc/<pid>/status`: how a peer server (mosquitto, aedes) is sampled, since it has no
 * Prometheus endpoint.
 */
import { readFile } from 'node:fs/promises';

/** Linux reports utime/stime in USER_HZ, which is 100 on every architecture Node runs on. */
export const USER_HZ = 100;

export interface ProcSample {
  /** utime + stime, in seconds. */
  readonly cpuSeconds: number;
  readonly rssBytes: number;
}

/** Parses /proc/<pid>/stat: fields after the parenthesised command name (which may hold spaces). */
export function parseProcStat(text: string): { utimeTicks: number; stimeTicks: number } {
  const close = text.lastIndexOf(')');
  if (close === -1) throw new TypeError('not a /proc/<pid>/stat line');
  // After ") " come field 3 (state) onwards; utime is field 14 and stime field 15 (proc(5)).
  const fields = text.slice(close + 2).trim().split(/\s+/);
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new TypeError('no utime/stime in /proc/<pid>/stat');
  return { utimeTicks: utime, stimeTicks: stime };
}

/** VmRSS from /proc/<pid>/status, in bytes (the file says kB, meaning KiB). */
export function parseProcStatusRss(text: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(text);
  if (m === null) throw new TypeError('no VmRSS in /proc/<pid>/status');
  return Number(m[1]) * 1024;
}

export async function readProcSample(pid: number): Promise<ProcSample> {
  const [stat, status] = await Promise.all([
    readFile(`/proc/${pid}/stat`, 'utf8'),
    readFile(`/proc/${pid}/status`, 'utf8'),
  ]);
  const { utimeTicks, stimeTicks } = parseProcStat(stat);
  return { cpuSeconds: (utimeTicks + stimeTicks) / USER_HZ, rssBytes: parseProcStatusRss(status) };
}
