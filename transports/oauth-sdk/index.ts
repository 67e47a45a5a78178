/**
 * The calling-service SDK: what a service that calls fleetgate-protected APIs imports
 * (`fleetgate/sdk`). A token source (client_credentials, cached, refreshed ahead of expiry,
 * single flight) and its coded errors; nothing else is public.
 */
export { createTokenSource, type TokenSource, type TokenSourceOptions } from './token-source.js';
export { OAuthSdkCodes, OAuthSdkError, TokenRequestError, type OAuthSdkCode } from './errors.js';
export type { ClientAuthMethod } from './wire.js';
