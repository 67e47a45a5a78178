#!/usr/bin/env node
// Builds the native helpers that Node's own API lacks (see transports/net/reuseport.ts) with the
// machine's C compiler against Node's headers. A machine without either still gets a working
// platform: the helper is optional, and its absence is logged at start-up. Set
// FLEETGATE_REQUIRE_NATIVE=1 to make a failed build an error instead.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const required = process.env.FLEETGATE_REQUIRE_NATIVE === '1';
const helpers = [{ source: 'transports/net/reuseport.c', output: 'dist/transports/net/reuseport.node' }];

function headers() {
  const candidates = [
    process.env.npm_config_nodedir && join(process.env.npm_config_nodedir, 'include/node'),
    join(dirname(dirname(process.execPath)), 'include/node'),
    '/usr/include/node',
    '/usr/local/include/node',
  ];
  return candidates.find((d) => d && existsSync(join(d, 'node_api.h')));
}

function skip(reason) {
  const text = `build-native: ${reason}; MQTT over TCP and TLS will be accepted by one shard only`;
  if (required) {
    console.error(text);
    process.exit(1);
  }
  console.warn(text);
  process.exit(0);
}

if (process.platform !== 'linux') skip(`no helper for ${process.platform}`);
const include = headers();
if (include === undefined) skip("Node's headers (node_api.h) not found");
const cc = process.env.CC || 'cc';
for (const h of helpers) {
  const source = join(root, h.source);
  const output = join(root, h.output);
  if (existsSync(output) && statSync(output).mtimeMs >= statSync(source).mtimeMs) continue;
  mkdirSync(dirname(output), { recursive: true });
  const run = spawnSync(cc, ['-O2', '-Wall', '-Wextra', '-Werror', '-shared', '-fPIC', `-I${include}`, source, '-o', output], { stdio: 'inherit' });
  if (run.error !== undefined || run.status !== 0) skip(`${cc} failed on ${h.source}${run.error ? ` (${run.error.message})` : ''}`);
}
