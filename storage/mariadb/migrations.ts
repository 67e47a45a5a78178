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
  {
    id: 3,
    name: 'oauth_clients',
    // Two statements, each idempotent on its own (IF NOT EXISTS), so a rerun still repairs.
    // JSON columns are LONGTEXT with a JSON_VALID check: the driver returns them as text.
    statements: [
      `CREATE TABLE IF NOT EXISTS oauth_clients (
        client_id                VARCHAR(128) NOT NULL,
        tenant_id                VARCHAR(128) NOT NULL,
        name                     VARCHAR(255) NOT NULL,
        auth_method              VARCHAR(32)  NOT NULL,
        access_token_ttl_minutes INT          NOT NULL,
        scopes                   LONGTEXT     NOT NULL,
        jwks                     LONGTEXT     NULL,
        seeded                   BOOLEAN      NOT NULL,
        version                  INT          NOT NULL,
        created_at               BIGINT       NOT NULL,
        updated_at               BIGINT       NOT NULL,
        PRIMARY KEY (client_id),
        KEY oauth_clients_tenant_created_ix (tenant_id, created_at, client_id),
        CONSTRAINT oauth_clients_auth_method_ck
          CHECK (auth_method IN ('client_secret_basic', 'client_secret_post', 'private_key_jwt')),
        CONSTRAINT oauth_clients_ttl_ck CHECK (access_token_ttl_minutes > 0),
        CONSTRAINT oauth_clients_scopes_ck CHECK (JSON_VALID(scopes) AND JSON_TYPE(scopes) = 'ARRAY'),
        CONSTRAINT oauth_clients_jwks_ck CHECK (jwks IS NULL OR (JSON_VALID(jwks) AND JSON_TYPE(jwks) = 'OBJECT')),
        CONSTRAINT oauth_clients_version_ck CHECK (version >= 0)
      ) ${TABLE_OPTIONS}`,
      `CREATE TABLE IF NOT EXISTS oauth_client_secrets (
        client_id   VARCHAR(128) NOT NULL,
        slot        VARCHAR(16)  NOT NULL,
        secret_hash VARCHAR(512) NOT NULL,
        created_at  BIGINT       NOT NULL,
        expires_at  BIGINT       NULL,
        PRIMARY KEY (client_id, slot),
        CONSTRAINT oauth_client_secrets_slot_ck CHECK (slot IN ('current', 'previous')),
        CONSTRAINT oauth_client_secrets_client_fk FOREIGN KEY (client_id) REFERENCES oauth_clients (client_id) ON DELETE CASCADE
      ) ${TABLE_OPTIONS}`,
    ],
  },
  {
    id: 4,
    name: 'service_accounts',
    statements: [
      // A UNIQUE column admits many NULLs: accounts without a client do not collide.
      `CREATE TABLE IF NOT EXISTS service_accounts (
        id          VARCHAR(128)  NOT NULL,
        tenant_id   VARCHAR(128)  NOT NULL,
        name        VARCHAR(255)  NOT NULL,
        description VARCHAR(1024) NULL,
        active      BOOLEAN       NOT NULL,
        client_id   VARCHAR(128)  NULL,
        roles       LONGTEXT      NOT NULL,
        permissions LONGTEXT      NOT NULL,
        groups_json LONGTEXT      NOT NULL,
        attributes  LONGTEXT      NOT NULL,
        version     INT           NOT NULL,
        created_at  BIGINT        NOT NULL,
        updated_at  BIGINT        NOT NULL,
        PRIMARY KEY (id),
        UNIQUE KEY service_accounts_client_uq (client_id),
        KEY service_accounts_tenant_created_ix (tenant_id, created_at, id),
        CONSTRAINT service_accounts_roles_ck CHECK (JSON_VALID(roles) AND JSON_TYPE(roles) = 'ARRAY'),
        CONSTRAINT service_accounts_permissions_ck CHECK (JSON_VALID(permissions) AND JSON_TYPE(permissions) = 'ARRAY'),
        CONSTRAINT service_accounts_groups_ck CHECK (JSON_VALID(groups_json) AND JSON_TYPE(groups_json) = 'ARRAY'),
        CONSTRAINT service_accounts_attributes_ck CHECK (JSON_VALID(attributes) AND JSON_TYPE(attributes) = 'OBJECT'),
        CONSTRAINT service_accounts_version_ck CHECK (version >= 0)
      ) ${TABLE_OPTIONS}`,
    ],
  },
  {
    id: 5,
    name: 'revoked_tokens',
    statements: [
      `CREATE TABLE IF NOT EXISTS revoked_tokens (
        jti        VARCHAR(255) NOT NULL,
        expires_at BIGINT       NOT NULL,
        PRIMARY KEY (jti),
        KEY revoked_tokens_expires_ix (expires_at)
      ) ${TABLE_OPTIONS}`,
    ],
  },
  {
    id: 6,
    name: 'signing_keys',
    statements: [
      `CREATE TABLE IF NOT EXISTS signing_keys (
        kid                   VARCHAR(128) NOT NULL,
        alg                   VARCHAR(16)  NOT NULL,
        public_jwk            LONGTEXT     NOT NULL,
        private_jwk_encrypted MEDIUMTEXT   NOT NULL,
        created_at            BIGINT       NOT NULL,
        activates_at          BIGINT       NOT NULL,
        retires_at            BIGINT       NULL,
        PRIMARY KEY (kid),
        CONSTRAINT signing_keys_public_jwk_ck CHECK (JSON_VALID(public_jwk) AND JSON_TYPE(public_jwk) = 'OBJECT')
      ) ${TABLE_OPTIONS}`,
    ],
  },
];
