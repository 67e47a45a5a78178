/**
 * Schema of the MariaDB dialect (10.11), as numbered migrations. Append only.
 *
 * MariaDB DDL is not transactional, so each migration is one idempotent statement (indexes
 * declared inside CREATE TABLE IF NOT EXISTS): a crash between the DDL and its record in
 * fleetgate_migrations is repaired by simply running it again.
 * Tables are utf8mb4_bin: keys compare by bytes, as the Postgres dialect's COLLATE "C" (the
 * server default, a case-insensitive collation, would make 'Alice' collide with 'alice').
 */
import type { Migration } from '../migration.js';

const TABLE_OPTIONS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';
const STATE_CHECK = `CHECK (state IN ('Inactive', 'Active', 'Suspended', 'Revoked'))`;

export const MARIADB_MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'client_credentials',
    statements: [
      `CREATE TABLE IF NOT EXISTS client_credentials (
        id           VARCHAR(128) NOT NULL,
        tenant_id    VARCHAR(128) NOT NULL,
        username     VARCHAR(255) NOT NULL,
        secret_hash  VARCHAR(512) NOT NULL,
        state        VARCHAR(16)  NOT NULL,
        version      INT          NOT NULL,
        created_at   BIGINT       NOT NULL,
        updated_at   BIGINT       NOT NULL,
        last_used_at BIGINT       NULL,
        PRIMARY KEY (id),
        UNIQUE KEY client_credentials_tenant_username_uq (tenant_id, username),
        KEY client_credentials_tenant_created_ix (tenant_id, created_at, id),
        CONSTRAINT client_credentials_state_ck ${STATE_CHECK},
        CONSTRAINT client_credentials_version_ck CHECK (version >= 0)
      ) ${TABLE_OPTIONS}`,
    ],
  },
  {
    id: 2,
    name: 'endpoint_tokens',
    statements: [
      `CREATE TABLE IF NOT EXISTS endpoint_tokens (
        token_id     VARCHAR(128) NOT NULL,
        tenant_id    VARCHAR(128) NOT NULL,
        app_name     VARCHAR(128) NOT NULL,
        endpoint_id  VARCHAR(128) NOT NULL,
        lookup_hash  VARCHAR(128) NOT NULL,
        state        VARCHAR(16)  NOT NULL,
        version      INT          NOT NULL,
        created_at   BIGINT       NOT NULL,
        updated_at   BIGINT       NOT NULL,
        last_used_at BIGINT       NULL,
        PRIMARY KEY (token_id),
        UNIQUE KEY endpoint_tokens_app_lookup_uq (app_name, lookup_hash),
        KEY endpoint_tokens_tenant_endpoint_ix (tenant_id, endpoint_id, created_at, token_id),
        KEY endpoint_tokens_endpoint_ix (endpoint_id),
        CONSTRAINT endpoint_tokens_state_ck ${STATE_CHECK},
        CONSTRAINT endpoint_tokens_version_ck CHECK (version >= 0)
      ) ${TABLE_OPTIONS}`,
    ],
  },
];
