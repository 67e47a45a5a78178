/**
 * What tens of thousands of loopback connections need from the machine: enough file
 * descriptors in the broker and in the bench process, and source addresses enough that the
 * ephemeral ports do not run out.
 *
 * Up to UNBOUND_MAX connections the kernel picks the source: one destination has the whole
 * ephemeral range (about 28,000 ports on a default Linux), and on loopback it reuses the ports an
 * earlier run left in TIME_WAIT (net.ipv4.tcp_tw_reuse = 2, the default). But connect() looks
 * through the ports of one parity first (half of the range, leaving the other half to bind()),
 * and once about 12,000 of those are held every connect scans them all under a lock: measured
 * here, both mosquitto and fleetgate then fell from 5,000-8,000 to the same 1,150 connects/s
 * (p50 55 ms), the bench's own ceiling. Beyond UNBOUND_MAX each run binds its own block of 127/8
 * addresses (all of 127/8 is local on Linux), PER_ADDRESS connections on each: few enough that
 * bind()'s search for a free port stays short (15,000 a source address was slower than leaving
 * the choice to connect()).
 */
import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { readFile } from 'node:fs/promises';

const UNBOUND_MAX = 10_000;
const PER_ADDRESS = 5_000;
/** Where this process starts: a bench run started within a minute of another must not meet that
 *  run's TIME_WAIT sockets on the same source addresses (which brought a storm of fresh devices
 *  down to ~650 connects/s past 12,000 connections, whatever the broker). */
let runBlock = randomInt(0, 250);

/** True for a host that is this machine's loopback. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Source addresses for `connections` sockets to `host` in this run: [] (the kernel picks the
 * source) when the host is not loopback or the connections fit one destination, else a fresh
 * block 127.<run>.<k>.1.
 */
export function sourceAddresses(host: string, connections: number): string[] {
  if (!isLoopback(host) || connections <= UNBOUND_MAX) return [];
  runBlock = (runBlock % 250) + 1;
  const n = Math.max(1, Math.ceil(connections / PER_ADDRESS));
  if (n > 250) throw new RangeError(`sourceAddresses: ${connections} connections need more than 250 addresses`);
  return Array.from({ length: n }, (_, k) => `127.${runBlock}.${k + 1}.1`);
}

/** The soft open-files limit of a process, from /proc/<pid>/limits. */
export async function openFilesLimit(pid: number): Promise<number> {
  return (await openFilesLimits(pid)).soft;
}

async function openFilesLimits(pid: number): Promise<{ soft: number; hard: number }> {
  const text = await readFile(`/proc/${pid}/limits`, 'utf8');
  const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(text);
  if (m === null) throw new TypeError(`no "Max open files" in /proc/${pid}/limits`);
  const n = (v: string | undefined): number => (v === 'unlimited' ? Number.POSITIVE_INFINITY : Number(v));
  return { soft: n(m[1]), hard: n(m[2]) };
}

/**
 * Raises the open-files limit of `pid` to at least `want` with prlimit(1) (raising the hard
 * limit needs CAP_SYS_RESOURCE). Never lowers it. Resolves with the soft limit in force after,
 * which the caller compares with what it needs and reports.
 */
export async function raiseOpenFiles(pid: number, want: number): Promise<number> {
  const before = await openFilesLimits(pid);
  if (before.soft >= want) return before.soft;
  const hard = Math.max(want, before.hard);
  await new Promise<void>((resolve) => {
    execFile('prlimit', [`--pid=${pid}`, `--nofile=${want}:${Number.isFinite(hard) ? hard : 'unlimited'}`], { timeout: 5000 }, () => resolve());
  });
  return openFilesLimit(pid);
}
