/**
 * Coded errors of the bench program. Callers match on `code`, never on the message or the
 * class: generator errors cross a worker-thread hop as `{ code, message }` records.
 * Usage errors (bad command line) are their own class because the CLI maps them to exit 2.
 */

export class BenchError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }

  override get name(): string {
    return this.constructor.name;
  }
}

/** A bad command line: the message names the option, the value and the rule. Exit code 2. */
export class UsageError extends BenchError {
  constructor(message: string) {
    super(BenchCodes.USAGE, message);
  }
}

export const BenchCodes = {
  USAGE: 'ERR_BENCH_USAGE',
  /** A peer (mosquitto, aedes, ...) is missing on this machine or not implemented yet. */
  PEER_UNAVAILABLE: 'ERR_BENCH_PEER_UNAVAILABLE',
  /** A peer process failed to start or died before it listened. */
  PEER_START_FAILED: 'ERR_BENCH_PEER_START_FAILED',
  /** A worker's generator module could not be loaded, or its setup threw. */
  GENERATOR_FAILED: 'ERR_BENCH_GENERATOR_FAILED',
  /** A run hit the hard time cap (`--max-time`) and was stopped. */
  HARD_CAP: 'ERR_BENCH_HARD_CAP',
  /** Operations still in flight when the run ended (after the drain grace). */
  INCOMPLETE: 'ERR_BENCH_INCOMPLETE',
  /** The thrown value carried no `code`. */
  UNCODED: 'ERR_BENCH_UNCODED',
  /** MQTT: the server closed the connection or the socket failed. */
  MQTT_CLOSED: 'ERR_MQTT_CLOSED',
  /** MQTT: CONNACK with a non-zero return / reason code. */
  MQTT_REFUSED: 'ERR_MQTT_REFUSED',
  /** MQTT: no CONNACK, PUBACK, SUBACK or PINGRESP in time. */
  MQTT_TIMEOUT: 'ERR_MQTT_TIMEOUT',
  /** MQTT: the server sent bytes that do not parse, or a packet out of place. */
  MQTT_PROTOCOL: 'ERR_MQTT_PROTOCOL',
  /** MQTT 5: PUBACK with a reason code >= 0x80. */
  MQTT_PUBACK_FAILED: 'ERR_MQTT_PUBACK_FAILED',
  /** This process or the broker may not open as many files as the run needs. */
  OPEN_FILES: 'ERR_BENCH_OPEN_FILES',
  /** revoke-storm --floor: no mosquitto to hold the floor's sessions, or it did not start. */
  FLOOR_UNAVAILABLE: 'ERR_BENCH_FLOOR_UNAVAILABLE',
} as const;

/** The code of anything thrown: its string `code` if it has one, else ERR_BENCH_UNCODED. */
export function errorCode(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.length > 0) return code;
  }
  return BenchCodes.UNCODED;
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string') {
    return (err as { message: string }).message;
  }
  return String(err);
}
