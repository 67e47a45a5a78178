/**
 * The implemented scenarios. A capability adds its scenario here (one import, one entry);
 * its name then leaves the "not yet available" list of registry.ts by itself.
 */
import type { Scenario } from '../scenario.js';
import { connectStormScenario } from './connect-storm.js';
import { credentialsScenario } from './credentials.js';
import { hashingScenario } from './hashing.js';
import { publishScenario } from './publish.js';
import { revokeStormScenario } from './revoke-storm.js';
import { runtimeScenario } from './runtime.js';
import { selftestScenario } from './selftest.js';
import { tokenScenario } from './token.js';

export function builtinScenarios(): Scenario[] {
  return [selftestScenario, runtimeScenario, hashingScenario, credentialsScenario, connectStormScenario, publishScenario, revokeStormScenario, tokenScenario];
}
