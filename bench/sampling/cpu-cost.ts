/**
 * CPU spent per operation during one phase, by the server under test and by the bench process
 * (its load-generating worker threads included). On a machine where both share the cores, a
 * throughput ratio says who was faster; these say why: a server that needs twice the CPU per
 * message cannot keep up once the cores are busy, whatever its design.
 */
import { readProcSample } from './proc.js';

export interface CpuPerOp {
  /** Server CPU (user + system) per operation, microseconds; absent without a pid. */
  readonly serverUs?: number;
  /** The bench process's CPU per operation, microseconds. */
  readonly benchUs: number;
}

export class CpuCost {
  readonly #pid: number | undefined;
  readonly #server: number | undefined;
  readonly #bench: NodeJS.CpuUsage;

  private constructor(pid: number | undefined, server: number | undefined) {
    this.#pid = pid;
    this.#server = server;
    this.#bench = process.cpuUsage();
  }

  /** Starts measuring; `pid` is the server's, when it runs on this machine. */
  static async start(pid: number | undefined): Promise<CpuCost> {
    const server = pid === undefined ? undefined : await readProcSample(pid).then((s) => s.cpuSeconds, () => undefined);
    return new CpuCost(pid, server);
  }

  /** The CPU since start() divided over `ops` operations (undefined when there were none). */
  async perOp(ops: number): Promise<CpuPerOp | undefined> {
    const bench = process.cpuUsage(this.#bench);
    const server = this.#pid === undefined || this.#server === undefined ? undefined : await readProcSample(this.#pid).then((s) => s.cpuSeconds, () => undefined);
    if (!(ops > 0)) return undefined;
    const round = (us: number): number => Math.round(us * 10) / 10;
    const benchUs = round((bench.user + bench.system) / ops);
    return server === undefined ? { benchUs } : { serverUs: round(((server - this.#server!) * 1e6) / ops), benchUs };
  }
}
