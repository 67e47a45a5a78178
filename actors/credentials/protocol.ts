/**
 * Messages to the credential actors and their replies. Everything here crosses threads, so it is
 * plain data. Secrets travel in `authenticate`, `create` and `setPassword` only, and are never
 * put in a reply, a log line or an error.
 */
import type { CredentialState } from '../../storage/index.js';

export const CLIENT_CREDENTIAL = 'ccm.credential';
export const ENDPOINT_TOKEN = 'cm.token';

/** Actor key of a client credential: tenant and username never contain a line feed (validated). */
export const credentialKey = (tenantId: string, username: string): string => `${tenantId}\n${username}`;
/** Actor key of an endpoint token: the application and the token's lookup HMAC, never the token. */
export const tokenKey = (appName: string, lookupHash: string): string => `${appName}\n${lookupHash}`;

export type ClientCredentialMsg =
  | { t: 'authenticate'; password: string }
  /** Either a password (hashed here) or an imported hash (argon2 or bcrypt PHC string). */
  | { t: 'create'; id: string; password?: string; secretHash?: string }
  | { t: 'get' }
  | { t: 'transition'; to: CredentialState }
  | { t: 'setPassword'; password: string }
  | { t: 'delete' }
  /** Another instance changed the credential: reload from storage. */
  | { t: 'invalidate' };

export type EndpointTokenMsg =
  | { t: 'validate' }
  | { t: 'get' }
  | { t: 'transition'; to: CredentialState }
  | { t: 'delete' }
  | { t: 'invalidate' };

/** 22/CAP and 16/ECAP speak HTTP status codes: 200 valid, 401 unknown or wrong, 403 not usable. */
export interface AuthResult {
  statusCode: 200 | 401 | 403;
  reasonPhrase: string;
  credentialsId: string | null;
}

export interface TokenValidation {
  statusCode: 200 | 401 | 403;
  reasonPhrase: string;
  tokenId: string | null;
  endpointId: string | null;
}

/** What the REST API shows of a client credential (Kaa's BasicCredentials, plus the version). */
export interface CredentialView {
  id: string;
  tenantId: string;
  username: string;
  state: CredentialState;
  createdDate: string;
  updatedDate: string;
  lastUseDate?: string;
  version: number;
}

/** What the REST API shows of an endpoint token (never its value). */
export interface TokenView {
  endpointTokenId: string;
  endpointId: string;
  applicationName: string;
  status: CredentialState;
  createdDate: string;
  updateDate: string;
  lastUseDate?: string;
  version: number;
}
