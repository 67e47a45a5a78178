/**
 * Schema of the Postgres dialect (PostgreSQL server and PGlite), as numbered migrations.
 * Append only: never edit an applied migration, add the next number. One migration per
 * domain keeps a new repository a new entry here.
 *
 * Keys are `COLLATE "C"`: byte order and byte equality, the same as MariaDB's utf8mb4_bin,
 * so uniqueness and the (created_at, id) page order agree across backends whatever the
 * server's default locale. Widths match storage/validate.ts `Limits`.
 */

import type { Migration } from '../migration.js';

const STATE_CHECK = `CHECK (state IN ('Inactive', 'Active', 'Suspended', 'Revoked'))`;

export const PG_MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'client_credentials',
    statements: [
      `CREATE TABLE client_credentials (
        id           VARCHAR(128) COLLATE "C" NOT NULL,
        tenant_id    VARCHAR(128) COLLATE "C" NOT NULL,
        username     VARCHAR(255) COLLATE "C" NOT NULL,
        secret_hash  VARCHAR(512) NOT NULL,
        state        VARCHAR(16)  NOT NULL ${STATE_CHECK},
        version      INTEGER      NOT NULL CHECK (version >= 0),
        created_at   BIGINT       NOT NULL,
        updated_at   BIGINT       NOT NULL,
        last_used_at BIGINT,
        CONSTRAINT client_credentials_pk PRIMARY KEY (id),
        CONSTRAINT client_credentials_tenant_username_uq UNIQUE (tenant_id, username)
      )`,
      // Serves list(): tenant filter plus the page order.
      `CREATE INDEX client_credentials_tenant_created_ix ON client_credentials (tenant_id, created_at, id)`,
    ],
  },
  {
    id: 2,
    name: 'endpoint_tokens',
    statements: [
      `CREATE TABLE endpoint_tokens (
        token_id     VARCHAR(128) COLLATE "C" NOT NULL,
        tenant_id    VARCHAR(128) COLLATE "C" NOT NULL,
        app_name     VARCHAR(128) COLLATE "C" NOT NULL,
        endpoint_id  VARCHAR(128) COLLATE "C" NOT NULL,
        lookup_hash  VARCHAR(128) COLLATE "C" NOT NULL,
        state        VARCHAR(16)  NOT NULL ${STATE_CHECK},
        version      INTEGER      NOT NULL CHECK (version >= 0),
        created_at   BIGINT       NOT NULL,
        updated_at   BIGINT       NOT NULL,
        last_used_at BIGINT,
        CONSTRAINT endpoint_tokens_pk PRIMARY KEY (token_id),
        CONSTRAINT endpoint_tokens_app_lookup_uq UNIQUE (app_name, lookup_hash)
      )`,
      // Serves listByEndpoint(): (tenant, endpoint) filter plus the page order.
      `CREATE INDEX endpoint_tokens_tenant_endpoint_ix ON endpoint_tokens (tenant_id, endpoint_id, created_at, token_id)`,
      // Serves deleteByEndpoint(), which has no tenant (endpoint-unregistered events).
      `CREATE INDEX endpoint_tokens_endpoint_ix ON endpoint_tokens (endpoint_id)`,
    ],
  },
];
