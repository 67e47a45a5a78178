/**
 * Scenarios by name. Each capability registers its own scenario (bench/scenarios/builtin.ts);
 * names that are planned but not implemented yet are known too, so that asking for one says
 * "not yet available" rather than "unknown scenario".
 */
import { COMMON_NAMES, commonOptionsFor } from './common.js';
import { checkSpecs } from './options.js';
import { PEER_NAMES } from './peers/peer.js';
import type { Scenario } from './scenario.js';

/** The scenarios of the benchmark issue; each capability's issue implements its own. */
export const PLANNED_SCENARIOS: ReadonlyArray<readonly [string, string]> = [
  ['runtime', 'actor runtime: tell/ask throughput and latency across shards'],
  ['hashing', 'password hashing pool: hashes per second and queueing latency'],
  ['credentials', 'credential services: issue / verify / rotate device credentials'],
  ['connect-storm', 'MQTT: N devices connecting with jitter; CONNACK latency and refusals'],
  ['publish', 'MQTT: telemetry publish throughput and PUBACK latency of a connected fleet'],
  ['revoke-storm', 'MQTT: mass credential revocation while the fleet is connected'],
  ['token', 'OAuth 2.0: client_credentials token issuance throughput and latency'],
];

export interface ScenarioListing {
  readonly name: string;
  readonly summary: string;
  readonly available: boolean;
}

export class ScenarioRegistry {
  readonly #scenarios = new Map<string, Scenario>();
  readonly #planned = new Map<string, string>();

  /** Declares a scenario that will exist; registering it later replaces the placeholder. */
  plan(name: string, summary: string): void {
    if (!this.#scenarios.has(name)) this.#planned.set(name, summary);
  }

  /** Adds a scenario. Declaration mistakes are TypeErrors: they are bugs, found at start-up. */
  register(s: Scenario): void {
    if (!/^[a-z][a-z0-9-]*$/.test(s.name)) throw new TypeError(`scenario name "${s.name}" must be kebab-case`);
    if (this.#scenarios.has(s.name)) throw new TypeError(`scenario "${s.name}" is registered twice`);
    for (const o of s.options) {
      if (COMMON_NAMES.has(o.name)) throw new TypeError(`scenario ${s.name}: --${o.name} is a common option`);
    }
    checkSpecs(`scenario ${s.name}`, [...commonOptionsFor(s.defaults), ...s.options]);
    for (const p of s.peers) {
      if (!PEER_NAMES.includes(p)) throw new TypeError(`scenario ${s.name}: unknown peer "${String(p)}"`);
    }
    this.#scenarios.set(s.name, s);
    this.#planned.delete(s.name);
  }

  get(name: string): Scenario | undefined {
    return this.#scenarios.get(name);
  }

  /** The summary of a planned, not yet implemented scenario. */
  planned(name: string): string | undefined {
    return this.#planned.get(name);
  }

  names(): string[] {
    return [...this.#scenarios.keys(), ...this.#planned.keys()].sort();
  }

  list(): ScenarioListing[] {
    return this.names().map((name) => {
      const s = this.#scenarios.get(name);
      return { name, summary: s?.summary ?? this.#planned.get(name) ?? '', available: s !== undefined };
    });
  }
}

/** A registry with the planned names and the given implemented scenarios. */
export function createRegistry(scenarios: readonly Scenario[]): ScenarioRegistry {
  const r = new ScenarioRegistry();
  for (const [name, summary] of PLANNED_SCENARIOS) r.plan(name, summary);
  for (const s of scenarios) r.register(s);
  return r;
}
