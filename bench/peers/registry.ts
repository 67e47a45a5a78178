/** The peers `--vs` can name. Scenarios declare which of them they support. */
import { aedesPeer } from './aedes.js';
import { mosquittoPeer } from './mosquitto.js';
import { oidcProviderPeer } from './oidc-provider.js';
import type { PeerDefinition, PeerName } from './peer.js';

export function builtinPeers(): ReadonlyMap<PeerName, PeerDefinition> {
  return new Map<PeerName, PeerDefinition>([
    ['mosquitto', mosquittoPeer],
    ['aedes', aedesPeer],
    ['oidc-provider', oidcProviderPeer],
  ]);
}
