/**
 * Every permission an admin route of fleetgate declares: what the bootstrap admin client is
 * given, so that its first token can do everything an operator may need. A route added later
 * with a new permission must be listed here (test/auth checks the list against the OpenAPI
 * document of the running platform).
 */
import { Permissions } from '../credentials/routes.js';
import { ClientPermissions } from '../oauth/clients/permissions.js';

export const ADMIN_PERMISSIONS: readonly string[] = [...new Set([...Object.values(Permissions), ...Object.values(ClientPermissions)])];
