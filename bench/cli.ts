/**
 * `fleetgate bench <scenario> [options]`: validates the command line (exit 2 on misuse, with a
 * message naming the option, the value and the rule), runs, and prints the result JSON as the
 * last stdout line. Nothing else goes to stdout during a run; progress and the summary go to
 * stderr.
 */
import { commonOptionsFor, hardCapMs, planFrom, roundsFrom, validateCommon } from './common.js';
import { BenchCodes, BenchError, UsageError, errorCode, errorMessage } from './errors.js';
import { generalHelp, scenarioHelp } from './help.js';
import { didYouMean, parseOptions } from './options.js';
import type { PeerDefinition, PeerName } from './peers/peer.js';
import { builtinPeers } from './peers/registry.js';
import { createRegistry, type ScenarioRegistry } from './registry.js';
import { writeReport } from './report/write.js';
import { buildResult, machineInfo, summaryLine, type RunRecord } from './result.js';
import { execute, type Invocation } from './run.js';
import { builtinScenarios } from './scenarios/builtin.js';
import { parseTarget } from './target.js';

export interface BenchIo {
  /** Receives whole lines without the newline. */
  readonly stdout?: (line: string) => void;
  readonly stderr?: (line: string) => void;
  /** Defaults to the built-in scenarios; tests inject their own. */
  readonly registry?: ScenarioRegistry;
  readonly peers?: ReadonlyMap<PeerName, PeerDefinition>;
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** Runs the bench command line; resolves with the process exit code. */
export async function runBenchCli(argv: readonly string[], io: BenchIo = {}): Promise<number> {
  const out = io.stdout ?? ((l: string) => void process.stdout.write(`${l}\n`));
  const err = io.stderr ?? ((l: string) => void process.stderr.write(`${l}\n`));
  const registry = io.registry ?? createRegistry(builtinScenarios());
  const peers = io.peers ?? builtinPeers();
  let inv: Invocation;
  try {
    const first = argv[0];
    if (first === '--help' || first === '-h' || first === 'help') {
      out(generalHelp(registry).trimEnd());
      return EXIT_OK;
    }
    if (first === undefined || first.startsWith('-')) {
      err(generalHelp(registry).trimEnd());
      throw new UsageError(first === undefined ? 'no scenario given' : `the first argument must be a scenario, got "${first}"`);
    }
    const scenario = registry.get(first);
    if (scenario === undefined) {
      const planned = registry.planned(first);
      if (planned !== undefined) throw new UsageError(`scenario "${first}" is not yet available (planned: ${planned})`);
      const hint = didYouMean(first, registry.names());
      throw new UsageError(`unknown scenario "${first}"${hint === undefined ? '' : ` (did you mean ${hint}?)`}; see npm run bench -- --help`);
    }
    const rest = argv.slice(1);
    if (rest.includes('--help') || rest.includes('-h')) {
      out(scenarioHelp(scenario).trimEnd());
      return EXIT_OK;
    }
    const options = parseOptions(rest, [...commonOptionsFor(scenario.defaults), ...scenario.options], `see npm run bench -- ${scenario.name} --help`);
    const rule = validateCommon(options) ?? scenario.validate?.(options);
    if (rule !== undefined) throw new UsageError(rule);
    const rawTarget = options.optionalString('target');
    const target = rawTarget === undefined ? undefined : parseTarget(rawTarget, scenario.targets, scenario.name);
    let peer: PeerDefinition | undefined;
    const vs = options.optionalString('vs') as PeerName | undefined;
    if (vs !== undefined) {
      if (!scenario.peers.includes(vs)) {
        const supported = scenario.peers.length === 0 ? 'none' : scenario.peers.join(', ');
        throw new UsageError(`--vs ${vs} is not supported by scenario "${scenario.name}" (supported: ${supported})`);
      }
      peer = peers.get(vs);
      if (peer === undefined) throw new UsageError(`--vs ${vs}: no launcher for this peer`);
    }
    const plan = planFrom(options);
    inv = {
      scenario,
      options,
      plan,
      target,
      peer,
      rounds: roundsFrom(options),
      capMs: hardCapMs(options, plan),
      log: err,
      quiet: options.boolean('quiet'),
    };
  } catch (e) {
    if (e instanceof UsageError) {
      err(`fleetgate bench: ${e.message}`);
      return EXIT_USAGE;
    }
    throw e;
  }

  let record: RunRecord;
  const reason = await inv.peer?.unavailableReason();
  if (reason !== undefined) {
    record = failedRecord(inv, new BenchError(BenchCodes.PEER_UNAVAILABLE, reason));
  } else {
    try {
      record = await execute(inv);
    } catch (e) {
      // execute() reports run failures in the record; reaching here is a framework bug, still reported.
      record = failedRecord(inv, e);
    }
  }
  const result = buildResult(record, false);
  const outDir = inv.options.optionalString('out');
  if (outDir !== undefined) {
    try {
      const written = await writeReport(outDir, buildResult(record, true));
      err(`report: ${written.reportHtml}`);
    } catch (e) {
      err(`fleetgate bench: could not write --out ${outDir}: ${errorMessage(e)}`);
      result['failure'] ??= { code: errorCode(e), message: `--out: ${errorMessage(e)}` };
    }
  }
  err(summaryLine(result, record.headline));
  out(JSON.stringify(result));
  const vs = result['vs'] as { errors?: number } | undefined;
  const errors = result.errors + (vs?.errors ?? 0);
  return result['failure'] !== undefined || errors > 0 ? EXIT_FAILED : EXIT_OK;
}

function failedRecord(inv: Invocation, e: unknown): RunRecord {
  const now = new Date().toISOString();
  return {
    scenario: inv.scenario.name,
    parameters: { ...inv.options.toJSON(), rounds: inv.rounds, mode: inv.plan.mode },
    machine: machineInfo(),
    startedAt: now,
    finishedAt: now,
    peer: inv.peer?.name,
    runs: [],
    failure: { code: errorCode(e), message: errorMessage(e) },
  };
}
