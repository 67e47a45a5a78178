/**
 * What the front door's actors and handlers share on one shard, provided as the dependency
 * KPC_DEPS. Built by the module's setup; everything in it is shard-local.
 */
import type { Counter } from 'prom-client';
import type { Bus } from '../../transports/bus/index.js';
import type { Authenticator } from './authenticator.js';
import type { HttpTokenCache } from './http-kp1.js';
import type { KpcConfig } from './kpc-config.js';
import type { ConnectivityEvents } from './connectivity.js';
import type { ConnectionTable, PendingAnswers, SessionIndex } from './registry.js';

export const KPC_DEPS = 'kpc';

export interface KpcDeps {
  readonly shard: number;
  readonly replicaId: string;
  /** This instance's name as the communication service (ELCE originator, ESP addressee). */
  readonly instanceName: string;
  /** The subject 4/ESP answers for this shard come back on (the ClientData `replyTo`). */
  readonly replySubject: string;
  readonly bus: Bus;
  readonly authenticator: Authenticator;
  config(): KpcConfig;
  readonly connections: ConnectionTable;
  readonly index: SessionIndex;
  readonly pending: PendingAnswers;
  /** Tokens validated for 1/KP over HTTP on this shard. */
  readonly httpTokens: HttpTokenCache;
  /** PORT actor key of each shard (see portKeys). */
  readonly portKeys: readonly string[];
  readonly maxTokensPerSession: number;
  readonly tokenRecheckMs: number;
  nextCorrelationId(): string;
  /** 9/ELCE events of this shard's sessions, published after the pass that announced them. */
  readonly connectivity: ConnectivityEvents;
  readonly metrics: {
    readonly connects: Counter<'result'>;
    readonly published: Counter<'result'>;
    /** One more publish routed (the hot path's share of `published`, added when scraped). */
    readonly routed: () => void;
    readonly delivered: Counter<'kind'>;
    readonly ended: Counter<'reason'>;
  };
}
