/**
 * What the shard modules receive as `host.config`: the validated configuration plus what the main
 * thread resolved once for everyone (secrets read from files).
 */
import type { Config } from '../runtime/index.js';

export type PlatformConfig = Config & {
  /** The endpoint-token lookup key, resolved from configuration or the data directory. */
  readonly tokenPepper: string;
};
