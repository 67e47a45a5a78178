/**
 * Permissions of the client registry's admin API (seed 003: secret endpoints need client.write,
 * service-account links need users.write). Read-only routes have read permissions of their own
 * so that a monitoring token need not be able to rotate anything.
 */
export const ClientPermissions = {
  clientRead: 'client.read',
  clientWrite: 'client.write',
  usersRead: 'users.read',
  usersWrite: 'users.write',
} as const;
