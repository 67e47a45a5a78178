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
  {
    id: 3,
    name: 'oauth_clients',
    statements: [
      // client_id is globally unique (seed 003): the key alone, not (tenant, client_id).
      `CREATE TABLE oauth_clients (
        client_id                VARCHAR(128) COLLATE "C" NOT NULL,
        tenant_id                VARCHAR(128) COLLATE "C" NOT NULL,
        name                     VARCHAR(255) NOT NULL,
        auth_method              VARCHAR(32)  NOT NULL
          CHECK (auth_method IN ('client_secret_basic', 'client_secret_post', 'private_key_jwt')),
        access_token_ttl_minutes INTEGER      NOT NULL CHECK (access_token_ttl_minutes > 0),
        scopes                   JSONB        NOT NULL CHECK (jsonb_typeof(scopes) = 'array'),
        jwks                     JSONB        CHECK (jwks IS NULL OR jsonb_typeof(jwks) = 'object'),
        seeded                   BOOLEAN      NOT NULL,
        version                  INTEGER      NOT NULL CHECK (version >= 0),
        created_at               BIGINT       NOT NULL,
        updated_at               BIGINT       NOT NULL,
        CONSTRAINT oauth_clients_pk PRIMARY KEY (client_id)
      )`,
      `CREATE INDEX oauth_clients_tenant_created_ix ON oauth_clients (tenant_id, created_at, client_id)`,
      // At most one secret per slot; the secrets go with their client.
      `CREATE TABLE oauth_client_secrets (
        client_id   VARCHAR(128) COLLATE "C" NOT NULL,
        slot        VARCHAR(16)  NOT NULL CHECK (slot IN ('current', 'previous')),
        secret_hash VARCHAR(512) NOT NULL,
        created_at  BIGINT       NOT NULL,
        expires_at  BIGINT,
        CONSTRAINT oauth_client_secrets_pk PRIMARY KEY (client_id, slot),
        CONSTRAINT oauth_client_secrets_client_fk FOREIGN KEY (client_id) REFERENCES oauth_clients (client_id) ON DELETE CASCADE
      )`,
    ],
  },
  {
    id: 4,
    name: 'service_accounts',
    statements: [
      // A UNIQUE column admits many NULLs: accounts without a client do not collide.
      `CREATE TABLE service_accounts (
        id          VARCHAR(128) COLLATE "C" NOT NULL,
        tenant_id   VARCHAR(128) COLLATE "C" NOT NULL,
        name        VARCHAR(255) NOT NULL,
        description VARCHAR(1024),
        active      BOOLEAN      NOT NULL,
        client_id   VARCHAR(128) COLLATE "C",
        roles       JSONB        NOT NULL CHECK (jsonb_typeof(roles) = 'array'),
        permissions JSONB        NOT NULL CHECK (jsonb_typeof(permissions) = 'array'),
        groups_json JSONB        NOT NULL CHECK (jsonb_typeof(groups_json) = 'array'),
        attributes  JSONB        NOT NULL CHECK (jsonb_typeof(attributes) = 'object'),
        version     INTEGER      NOT NULL CHECK (version >= 0),
        created_at  BIGINT       NOT NULL,
        updated_at  BIGINT       NOT NULL,
        CONSTRAINT service_accounts_pk PRIMARY KEY (id),
        CONSTRAINT service_accounts_client_uq UNIQUE (client_id)
      )`,
      `CREATE INDEX service_accounts_tenant_created_ix ON service_accounts (tenant_id, created_at, id)`,
    ],
  },
  {
    id: 5,
    name: 'revoked_tokens',
    statements: [
      `CREATE TABLE revoked_tokens (
        jti        VARCHAR(255) COLLATE "C" NOT NULL,
        expires_at BIGINT       NOT NULL,
        CONSTRAINT revoked_tokens_pk PRIMARY KEY (jti)
      )`,
      // Serves purgeExpired().
      `CREATE INDEX revoked_tokens_expires_ix ON revoked_tokens (expires_at)`,
    ],
  },
  {
    id: 6,
    name: 'signing_keys',
    statements: [
      `CREATE TABLE signing_keys (
        kid                   VARCHAR(128) COLLATE "C" NOT NULL,
        alg                   VARCHAR(16)  NOT NULL,
        public_jwk            JSONB        NOT NULL CHECK (jsonb_typeof(public_jwk) = 'object'),
        private_jwk_encrypted TEXT         NOT NULL,
        created_at            BIGINT       NOT NULL,
        activates_at          BIGINT       NOT NULL,
        retires_at            BIGINT,
        CONSTRAINT signing_keys_pk PRIMARY KEY (kid)
      )`,
    ],
  },
];
