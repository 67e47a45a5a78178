/**
 * The oidc-provider peer is declared so that scenarios (`token`) can name it, but its launcher
 * belongs to the OAuth benchmark issue. Until then it says so, clearly, before anything runs.
 */
import { BenchCodes, BenchError } from '../errors.js';
import type { PeerDefinition } from './peer.js';

const NOT_YET = 'peer "oidc-provider" is not yet available: its launcher is added with the OAuth token benchmark';

export const oidcProviderPeer: PeerDefinition = {
  name: 'oidc-provider',
  kind: 'http',
  description: 'node oidc-provider (OAuth 2.0 client_credentials) - not yet available',
  unavailableReason: () => Promise.resolve(NOT_YET),
  create() {
    throw new BenchError(BenchCodes.PEER_UNAVAILABLE, NOT_YET);
  },
};
