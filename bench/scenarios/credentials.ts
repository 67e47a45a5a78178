/**
 * `credentials`: the credential services (CCM/CM) of a whole in-process fleetgate, on the
 * embedded database or a real PostgreSQL / MariaDB, over the in-process bus or NATS (see
 * credentials-core.ts for the method). Targets on a 2-core machine, reported, never asserted:
 * first-use authentications >= 0.85 of the bare argon2id ceiling, cached authentications
 * >= 100,000/s.
 */
import { availableParallelism } from 'node:os';
import type { Scenario } from '../scenario.js';
import { runCredentialsBench } from './credentials-core.js';
import type { Backend, BusKind } from './credentials-platform.js';

export const credentialsScenario: Scenario = {
  name: 'credentials',
  summary: 'credential services: bulk token provisioning, first-use vs argon2id ceiling, cached auth, 16/ECAP validation latency, state transitions',
  options: [
    { name: 'backend', type: 'enum', choices: ['embedded', 'postgres', 'mariadb'], default: 'embedded', description: 'storage of both credential domains (postgres, mariadb: a real server is started)' },
    { name: 'bus', type: 'enum', choices: ['inprocess', 'nats'], default: 'inprocess', description: 'message bus (nats: a real nats-server is started)' },
    { name: 'users', type: 'integer', min: 1, max: 100_000, default: 400, description: 'credentials per first-use run (also those of the cached and transition phases)' },
    { name: 'bulk-items', type: 'integer', min: 1, max: 100_000, default: 10_000, description: 'tokens per bulk provisioning request' },
    { name: 'seconds', type: 'number', gt: 0, max: 600, default: 5, description: 'length of each timed run (cached, validation, transitions)' },
    { name: 'runs', type: 'integer', min: 1, max: 20, default: 3, description: 'runs per rate (medians reported)' },
    { name: 'validation-rate', type: 'integer', min: 1, max: 1_000_000, default: 2000, description: '16/ECAP validations per second over the bus' },
    { name: 'validation-tokens', type: 'integer', min: 1, max: 1_000_000, default: 1000, description: 'distinct tokens the validations cycle over (each validated once in the warm-up)' },
    { name: 'cached-concurrency', type: 'integer', min: 1, max: 10_000, default: 64, description: 'closed loops per shard driver in the cached phase' },
    { name: 'transition-concurrency', type: 'integer', min: 1, max: 1024, default: 32, description: 'concurrent REST state transitions' },
    { name: 'shards', type: 'integer', min: 1, max: 64, default: 2, description: 'shard worker threads' },
    { name: 'threads', type: 'integer', min: 1, max: 256, default: availableParallelism(), description: 'hashing pool threads' },
    { name: 'memory-cost', type: 'integer', min: 1024, default: 19456, description: 'argon2id memory in KiB (production: 19456; lower only for tests)' },
    { name: 'time-cost', type: 'integer', min: 1, default: 2, description: 'argon2id iterations (production: 2; lower only for tests)' },
  ],
  targets: [],
  peers: [],
  // The phases run back to back for minutes with production argon2 parameters.
  defaults: { 'max-time': 1800 },
  headline: ['firstUseRatioToCeiling', 'cachedAuthPerSec', 'validationP99Ms', 'transitionsPerSec'],
  async run(ctx) {
    const o = ctx.options;
    const r = await runCredentialsBench(
      {
        backend: o.string('backend') as Backend,
        bus: o.string('bus') as BusKind,
        shards: o.number('shards'),
        threads: o.number('threads'),
        users: o.number('users'),
        bulkItems: o.number('bulk-items'),
        seconds: o.number('seconds'),
        runs: o.number('runs'),
        validationRate: o.number('validation-rate'),
        validationTokens: o.number('validation-tokens'),
        cachedConcurrency: o.number('cached-concurrency'),
        transitionConcurrency: o.number('transition-concurrency'),
        memoryCost: o.number('memory-cost'),
        timeCost: o.number('time-cost'),
      },
      {
        say: (line) => ctx.progress.note(line),
        signal: ctx.signal,
        runLoad: (spec) => ctx.runLoad(spec),
        plan: ctx.plan,
        sampleMetrics: (metricsUrl) => {
          const sampler = ctx.sampleServer({
            metricsUrl,
            series: [
              { name: 'fleetgate_event_loop_delay_seconds', aggregate: 'max' },
              { name: 'fleetgate_mailbox_depth', aggregate: 'sum' },
              { name: 'fleetgate_hashing_queue_depth', aggregate: 'max' },
            ],
          });
          return () => sampler.stop();
        },
      },
    );
    return r;
  },
};
