#!/usr/bin/env node
/**
 * fleetgate's command line: `start` runs the platform, `bench` runs the bench suite.
 */
import { ConfigError, loadConfig, logger, setLogDestination, setLogLevel, settings } from '../runtime/index.js';
import { startPlatform, type Platform } from './platform.js';

const USAGE = `usage: fleetgate <command> [options]

commands:
  start [--config FILE]     start the platform (embedded defaults when no file is given;
                            FLEETGATE_CONFIG names a file too; FLEETGATE_* variables override)
  bench <scenario> [...]    run a bench scenario (fleetgate bench --help lists them)
  help                      this text
`;

async function start(args: string[]): Promise<number> {
  let file: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--config' && args[i + 1] !== undefined) file = args[++i];
    else {
      process.stderr.write(`fleetgate start: unknown argument "${args[i]}"\n${USAGE}`);
      return 2;
    }
  }
  let config;
  try {
    config = loadConfig(settings, { file });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`fleetgate: ${err.message}\n`);
      return 78; // EX_CONFIG
    }
    throw err;
  }
  setLogLevel(config['log.level']);
  const log = logger('main');
  // SIGHUP, as for most daemons: re-read the configuration files that can change in service.
  // Handled from before start-up (its default action ends the process): one that comes while
  // the platform starts is carried out as soon as it is up.
  let platform: Platform | undefined;
  let hangupPending = false;
  let stopping = false;
  const reload = (p: Platform): void => {
    log.info({ signal: 'SIGHUP' }, 'reloading configuration files');
    p.reload().then(
      (r) => {
        if (r.failed.length > 0) log.error(r, 'configuration files NOT reloaded everywhere: the shards named kept their previous files');
        else log.info(r, 'configuration files reloaded');
      },
      (err: unknown) => log.warn({ err: String(err) }, 'reload failed'),
    );
  };
  // Kept until the process ends: without a listener, a SIGHUP during the graceful stop would
  // take its default action and end the process before the sessions drained.
  const onHangup = (): void => {
    if (stopping) log.info({ signal: 'SIGHUP' }, 'ignored: stopping');
    else if (platform === undefined) hangupPending = true;
    else reload(platform);
  };
  process.on('SIGHUP', onHangup);
  try {
    platform = await startPlatform(config);
  } catch (err) {
    process.off('SIGHUP', onHangup);
    throw err;
  }
  if (hangupPending) reload(platform);
  await new Promise<void>((resolve) => {
    const onSignal = (sig: string): void => {
      log.info({ signal: sig }, 'shutting down');
      stopping = true;
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await platform.stop();
  process.off('SIGHUP', onHangup);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'start':
      return start(rest);
    case 'bench': {
      // Logs go to stderr: a bench's stdout carries only its JSON result.
      setLogDestination(2);
      const { runBenchCli } = await import('../bench/index.js');
      // Exit explicitly: a scenario abandoned at its hard cap may leave handles open.
      process.exit(await runBenchCli(rest));
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return cmd === undefined ? 2 : 0;
    default:
      process.stderr.write(`fleetgate: unknown command "${cmd}"\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`fleetgate: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
