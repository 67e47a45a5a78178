/**
 * Peers: the servers fleetgate is compared with (`--vs`). A peer definition says whether the
 * peer can run on this machine; a peer instance starts on a free loopback port with the
 * credentials the scenario's devices use, and stops (always, even after a failed run).
 */
import type { TargetKind } from '../target.js';

export type PeerName = 'mosquitto' | 'aedes' | 'oidc-provider';

export const PEER_NAMES: readonly PeerName[] = ['mosquitto', 'aedes', 'oidc-provider'];

export interface Credential {
  readonly username: string;
  readonly password: string;
}

export interface PeerStartInfo {
  /** Where the scenario points its load: `mqtt://127.0.0.1:port` or `http://127.0.0.1:port/path`. */
  readonly target: string;
  /** The server process, sampled from /proc during the peer's runs. */
  readonly pid?: number;
}

export interface Peer {
  readonly name: PeerName;
  start(): Promise<PeerStartInfo>;
  /** Stops the server and removes its files. Safe to call when start failed or never ran. */
  stop(): Promise<void>;
}

export interface PeerOptions {
  /** Every username / password the peer must accept (and nothing else). */
  readonly credentials: readonly Credential[];
  /** Diagnostic lines (stderr of the peer when it fails to start). */
  readonly log?: (line: string) => void;
}

export interface PeerDefinition {
  readonly name: PeerName;
  readonly kind: TargetKind;
  readonly description: string;
  /** Undefined when the peer can run here; otherwise why not, for the user. */
  unavailableReason(): Promise<string | undefined>;
  create(options: PeerOptions): Peer;
}
