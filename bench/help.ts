/** `--help` texts: the scenario list with the common options, and one scenario's options. */
import { COMMON_OPTIONS, commonOptionsFor } from './common.js';
import { formatOptions } from './options.js';
import { PEER_NAMES } from './peers/peer.js';
import type { ScenarioRegistry } from './registry.js';
import type { Scenario } from './scenario.js';

const USAGE = 'npm run bench -- <scenario> [options]';

const FOOTER = [
  'Output: progress and a one-line summary on stderr; the last stdout line is the result JSON.',
  'Exit codes: 0 completed without errors, 1 errors were counted or the run failed, 2 usage error.',
];

export function generalHelp(registry: ScenarioRegistry): string {
  const list = registry.list();
  const width = Math.max(...list.map((s) => s.name.length)) + 2;
  return [
    `Usage: ${USAGE}`,
    '       npm run bench -- <scenario> --help',
    '',
    'Scenarios:',
    ...list.map((s) => `  ${s.name.padEnd(width)}${s.available ? '' : '(not yet available) '}${s.summary}`),
    '',
    'Options of every scenario:',
    ...formatOptions(COMMON_OPTIONS),
    '',
    `Peers for --vs: ${PEER_NAMES.join(', ')} (each scenario lists the ones it supports).`,
    ...FOOTER,
    '',
  ].join('\n');
}

export function scenarioHelp(s: Scenario): string {
  return [
    `Usage: npm run bench -- ${s.name} [options]`,
    '',
    s.summary,
    '',
    `--target: ${s.targets.length === 0 ? 'not accepted (the scenario starts what it measures)' : s.targets.map((k) => (k === 'mqtt' ? 'mqtt://host:port' : 'http://host:port/path')).join(' or ')}`,
    `--vs: ${s.peers.length === 0 ? 'no peers' : s.peers.join(', ')}`,
    '',
    ...(s.options.length === 0 ? [] : [`Options of ${s.name}:`, ...formatOptions(s.options), '']),
    'Options of every scenario:',
    ...formatOptions(commonOptionsFor(s.defaults)),
    '',
    ...FOOTER,
    '',
  ].join('\n');
}
