/**
 * IPC between the aedes launcher (bench process) and the aedes server child. Credentials go
 * over IPC rather than argv or env, where `ps` and /proc/<pid>/environ would show them.
 *
 * Order: child sends nothing until it gets `config`; it answers `listening` once bound (port 0,
 * so no port race) or `failed`; `stop` closes the broker and the child exits.
 */
import type { Credential } from './peer.js';

export interface AedesConfigMessage {
  readonly type: 'config';
  readonly credentials: readonly Credential[];
}

export interface AedesStopMessage {
  readonly type: 'stop';
}

export type ToAedesChild = AedesConfigMessage | AedesStopMessage;

export interface AedesListeningMessage {
  readonly type: 'listening';
  readonly port: number;
}

export interface AedesFailedMessage {
  readonly type: 'failed';
  readonly message: string;
}

export type FromAedesChild = AedesListeningMessage | AedesFailedMessage;
