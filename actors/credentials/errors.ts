/**
 * Errors of the credential services, with stable codes that REST and the bus map to statuses.
 */
import { FleetgateError } from '../../runtime/index.js';

export class CredentialError extends FleetgateError {}

export const CredentialCodes = {
  /** The requested state change is not allowed from the current state (409). */
  ILLEGAL_TRANSITION: 'ERR_ILLEGAL_TRANSITION',
  /** No such credential or token (404). */
  NOT_FOUND: 'ERR_NOT_FOUND',
  /** A credential with that username (or that token value) exists already (409). */
  DUPLICATE: 'ERR_DUPLICATE',
  /** The request is well-formed JSON but not acceptable (400). */
  INVALID: 'ERR_INVALID_ARGUMENT',
} as const;
