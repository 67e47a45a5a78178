/**
 * How much of the machine's CPU went to processes outside this bench's process tree during a
 * phase (other jobs on a shared machine). The bench's own threads, the hashing pool, and the
 * database and NATS servers it started are the tree; anything else busy on the cores makes the
 * figures pessimistic, and the result says by how much. Linux only (/proc); elsewhere undefined.
 */
import { readdirSync, readFileSync } from 'node:fs';

interface Sample {
  /** Ticks of all CPUs since boot, and the busy ones (not idle, not waiting for I/O). */
  total: number;
  busy: number;
  /** utime + stime + cutime + cstime of every process in this tree, ticks. */
  tree: number;
}

/** [ppid, own + reaped children's CPU ticks] of one process, from /proc/<pid>/stat. */
function stat(pid: string): [number, number] | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // f[1] is field 4 (ppid); f[11..14] are fields 14..17 (utime, stime, cutime, cstime).
    return [Number(f[1]), Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])];
  } catch {
    return undefined; // the process ended between readdir and read
  }
}

function sample(): Sample | undefined {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already inside user).
    const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
    const busy = total - cpu[3]! - cpu[4]!;
    const procs = new Map<number, [number, number]>();
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      const s = stat(d);
      if (s !== undefined) procs.set(Number(d), s);
    }
    const inTree = (pid: number): boolean => {
      for (let p = pid, hops = 0; p > 1 && hops < 64; p = procs.get(p)?.[0] ?? 0, hops++) if (p === process.pid) return true;
      return false;
    };
    let tree = 0;
    for (const [pid, [, ticks]] of procs) if (inTree(pid)) tree += ticks;
    return { total, busy, tree };
  } catch {
    return undefined;
  }
}

export class ForeignCpu {
  #from = sample();

  /** Percent of all CPU time since the last call (or construction) used outside this tree. */
  take(): number | undefined {
    const now = sample();
    const from = this.#from;
    this.#from = now;
    if (now === undefined || from === undefined || now.total <= from.total) return undefined;
    const foreign = now.busy - from.busy - (now.tree - from.tree);
    return Math.round((1000 * Math.max(0, foreign)) / (now.total - from.total)) / 10;
  }
}
