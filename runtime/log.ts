/**
 * Structured JSON-line logging (pino). One logger per process/thread, children per module.
 * Secrets never reach a log line: the redaction list below removes the usual fields even if
 * a caller passes a whole request object, and callers log ids, never credentials.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

const REDACT = [
  'password',
  '*.password',
  'secret',
  '*.secret',
  'client_secret',
  '*.client_secret',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
];

let root: Logger | undefined;
let fd = 1;

/** Where this thread's log lines go: 1 (stdout, the default) or 2 (stderr, for the bench,
 *  whose stdout is its result). Call before the first log line. */
export function setLogDestination(to: 1 | 2): void {
  fd = to;
  root = undefined;
}

export function logDestination(): 1 | 2 {
  return fd as 1 | 2;
}

export function rootLogger(): Logger {
  if (!root) {
    root = pino({
      level: 'info',
      base: { pid: process.pid },
      redact: { paths: REDACT, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    }, pino.destination({ fd, sync: false }));
  }
  return root;
}

/** Sets the level of the process logger (from validated configuration). */
export function setLogLevel(level: string): void {
  rootLogger().level = level;
}

export function logger(module: string, bindings: Record<string, unknown> = {}): Logger {
  return rootLogger().child({ module, ...bindings });
}
