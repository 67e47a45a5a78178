/**
 * Every message that crosses a thread boundary in the runtime is declared here.
 *
 * Two planes:
 *  - the data plane carries actor traffic (tell, ask, replies) as *batches*: one flat array
 *    per destination per event-loop turn, entries laid end to end. A flat array of primitives
 *    and payloads clones about twice as fast as an array of small objects (measured: 2.9M vs
 *    1.5M entries/s between two threads), and one postMessage per batch instead of one per
 *    message is what makes a million cross-shard messages a second possible at all;
 *  - the control plane carries lifecycle and housekeeping (mesh wiring, stop, ping, metrics,
 *    hashing) as small tagged objects: rare, so clarity wins over speed.
 *
 * Ordering: a MessagePort delivers in send order, and each sender appends to its batch in call
 * order and flushes batches in order, so messages from one sender to one actor arrive in the
 * order they were sent. Nothing orders messages from two different senders.
 */
import type { MessagePort } from 'node:worker_threads';
import type { WireError } from './errors.js';

/**
 * Data-plane operations: slot 0 of each entry, which also fixes the entry's length.
 * The *_SAME forms address the same (kind, key) as the previous entry of the same batch: bursts
 * to one actor (a session's packets, a sink) then cost one small slot instead of two strings,
 * which structured clone would otherwise copy in full for every message.
 */
export const Op = {
  /** [TELL, kind, key, message] */
  TELL: 0,
  /** [ASK, kind, key, message, correlationId]: the reply goes back on the port it came from. */
  ASK: 1,
  /** [REPLY_OK, correlationId, value] */
  REPLY_OK: 2,
  /** [REPLY_ERR, correlationId, WireError] */
  REPLY_ERR: 3,
  /** [TELL_SAME, message] */
  TELL_SAME: 4,
  /** [ASK_SAME, message, correlationId] */
  ASK_SAME: 5,
} as const;
export type OpCode = (typeof Op)[keyof typeof Op];

/** A data-plane batch: entries laid end to end, see `Op` for each entry's layout. */
export type Batch = unknown[];

/** What a shard worker is started with (its `workerData`). */
export interface ShardWorkerData {
  shardId: number;
  shardCount: number;
  /** Incremented each time this shard's worker is replaced; shows up in logs and metrics. */
  generation: number;
  /** Module URLs the worker imports to register its actor kinds and services. */
  modules: string[];
  settings: RuntimeSettings;
  /** Free-form, structured-cloneable configuration handed to the modules. */
  moduleConfig: unknown;
  logLevel: string;
  /** 1 = stdout, 2 = stderr (see log.ts). */
  logFd: 1 | 2;
  /** One port per hub, by hub name (see module.ts Hub), transferred with the worker data. */
  hubs: Record<string, MessagePort>;
}

/** The runtime's own tunables, validated by the configuration layer before they get here. */
export interface RuntimeSettings {
  mailboxCapacity: number;
  idlePassivationMs: number;
  askTimeoutMs: number;
  /** Entries per batch before a flush is forced within one turn. */
  maxBatch: number;
  /** Messages one shard processes before yielding the event loop. */
  turnBudget: number;
  drainTimeoutMs: number;
}

/** Main thread -> shard worker. */
export type ToWorker =
  | { t: 'peer'; shard: number; port: MessagePort }
  | { t: 'peer-down'; shard: number }
  | { t: 'main-port'; port: MessagePort }
  /** The mesh is wired: start the services (listeners) and report 'ready'. */
  | { t: 'start' }
  | { t: 'ping'; id: number }
  | { t: 'metrics'; id: number }
  /** Re-read configuration files now (SIGHUP): run every reload hook, then 'reloaded'. */
  | { t: 'reload'; id: number }
  /** Shutdown, phase 1: stop the services (no new outside work); answered by 'ack'. */
  | { t: 'quiesce'; id: number }
  /** Shutdown, phase 2: report quietness and data-plane counts (see Cluster.stop). */
  | { t: 'probe'; id: number }
  /** Shutdown, phase 3: passivate every activation, report 'stopped', exit. */
  | { t: 'stop' }
  | { t: 'hash-reply'; id: number; ok: true; value: HashResult }
  | { t: 'hash-reply'; id: number; ok: false; error: WireError };

/** Shard worker -> main thread. */
export type FromWorker =
  /** Every module's setup() returned: the worker can be wired into the mesh. */
  | { t: 'setup-done' }
  /** Services started: the shard serves. */
  | { t: 'ready' }
  | { t: 'setup-failed'; error: WireError }
  | { t: 'pong'; id: number; stats: ShardStats; problems: HealthProblem[] }
  | { t: 'metrics'; id: number; json: string }
  | { t: 'ack'; id: number }
  /** Every reload hook ran; those that threw (this shard kept its previous files there). */
  | { t: 'reloaded'; id: number; failed: WireError[] }
  | { t: 'probe'; id: number; quiet: boolean; sentTo: number[]; receivedFrom: number[] }
  | { t: 'stopped'; stats: ShardStats }
  | { t: 'hash'; id: number; request: HashRequest };

/** One failed health check, as GET /health shows it. */
export interface HealthProblem {
  component: string;
  code: string;
  message: string;
}

export interface ShardStats {
  shardId: number;
  activeActors: number;
  mailboxDepth: number;
  pendingAsks: number;
}

/** Work for the hashing pool. Plain secrets cross threads here and nowhere else, never logged. */
export type HashRequest =
  | { op: 'hash'; secret: string }
  | { op: 'verify'; secret: string; hash: string };

export type HashResult =
  | { op: 'hash'; hash: string }
  | { op: 'verify'; ok: boolean; needsRehash: boolean };
