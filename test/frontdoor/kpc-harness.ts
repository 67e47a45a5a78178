/**
 * What the front door's integration tests share: a platform started with MQTT listeners,
 * provisioning of client credentials and endpoint tokens through the REST API, MQTT.js
 * connections that never reconnect by themselves, and a raw MQTT client over a plain socket
 * (mqtt-packet on the wire) for the exact CONNACK, PUBACK, SUBACK and DISCONNECT the server writes
 * and for the bytes no well-behaved client would send.
 */
import assert from 'node:assert/strict';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import type { Packet } from '../../transports/mqtt/index.js';
import type { Caller, TestPlatform } from '../credentials/harness.js';

export const PASSWORD = 'device-password-0123';

/** Creates client credentials `username` in the caller's tenant; answers their id. */
export async function provisionClient(tp: TestPlatform, username: string, password = PASSWORD, as?: Caller): Promise<string> {
  const r = await tp.api('POST', '/api/v1/basic-credentials', { username, password }, as);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.id as string;
}

export interface Provisioned {
  readonly token: string;
  readonly id: string;
  readonly endpointId: string;
}

/** Provisions an endpoint token of `application` for `endpointId`. */
export async function provisionToken(tp: TestPlatform, endpointId: string, application = 'demo', as?: Caller): Promise<Provisioned> {
  const r = await tp.api('POST', `/api/v1/endpoints/${endpointId}/tokens`, { applicationName: application }, as);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return { token: r.body.token as string, id: r.body.endpointTokenId as string, endpointId };
}

export async function setCredentialState(tp: TestPlatform, id: string, state: string): Promise<void> {
  const r = await tp.api('PUT', `/api/v1/basic-credentials/${id}/state`, { state });
  assert.equal(r.status, 200, JSON.stringify(r.body));
}

export async function setTokenStatus(tp: TestPlatform, t: Provisioned, status: string): Promise<void> {
  const r = await tp.api('PUT', `/api/v1/endpoints/${t.endpointId}/tokens/${t.id}/status`, { status });
  assert.equal(r.status, 200, JSON.stringify(r.body));
}

/** An MQTT.js client, connected, that never reconnects; rejects with the client's error. */
export function connectMqtt(url: string, opts: IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 20_000, ...opts });
    client.once('connect', () => resolve(client));
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
  });
}

export interface Received {
  readonly topic: string;
  readonly payload: Buffer;
}

/** Subscribes to the answers of `topic`, publishes `payload` there, and resolves with the
 *  first message that comes back. */
export async function request(client: MqttClient, topic: string, payload: string | Buffer, qos: 0 | 1 = 1): Promise<Received> {
  await client.subscribeAsync(`${topic}/#`, { qos: 1 });
  const got = nextMessage(client);
  await client.publishAsync(topic, payload, { qos });
  return got;
}

export function nextMessage(client: MqttClient, timeoutMs = 20_000): Promise<Received> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no message within ${timeoutMs} ms`)), timeoutMs);
    client.once('message', (topic, payload) => {
      clearTimeout(timer);
      resolve({ topic, payload });
    });
  });
}

/** Resolves when `client` is closed (by the server or otherwise). */
export function closed(client: MqttClient, timeoutMs = 20_000): Promise<void> {
  // Already closed (the 'close' event may have fired before this was called).
  if (!client.connected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still connected after ${timeoutMs} ms`)), timeoutMs);
    client.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Resolves with the server's DISCONNECT to an MQTT 5 client, then waits for the close. */
export function serverDisconnect(client: MqttClient, timeoutMs = 20_000): Promise<{ reasonCode: number | undefined }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no DISCONNECT within ${timeoutMs} ms`)), timeoutMs);
    client.once('disconnect', (p) => {
      clearTimeout(timer);
      resolve({ reasonCode: p.reasonCode });
    });
  });
}

/** Polls `cond` until it holds (events reach the front door asynchronously). */
export async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A raw MQTT client: writes packets (or bytes) and hands back every packet the server writes,
 * in order, and the moment the server closes the socket.
 */
export class RawClient {
  readonly #socket: Socket;
  readonly #packets: Packet[] = [];
  #waiter: (() => void) | undefined;
  #closed = false;
  readonly closed: Promise<void>;
  readonly version: 4 | 5;

  private constructor(socket: Socket, version: 4 | 5) {
    this.#socket = socket;
    this.version = version;
    const parser = mqttPacket.parser({ protocolVersion: version });
    parser.on('packet', (p: Packet) => {
      this.#packets.push(p);
      this.#wake();
    });
    socket.on('data', (b: Buffer) => parser.parse(b));
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.#closed = true;
        this.#wake();
        resolve();
      }),
    );
  }

  static open(port: number, version: 4 | 5, tls?: { ca: Buffer }): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = tls === undefined ? tcpConnect({ host: '127.0.0.1', port }) : tlsConnect({ host: '127.0.0.1', port, ca: tls.ca, servername: 'localhost' });
      s.once(tls === undefined ? 'connect' : 'secureConnect', () => resolve(new RawClient(s, version)));
      s.once('error', reject);
    });
  }

  /** Opens a connection and sends CONNECT; resolves with the client and the CONNACK. */
  static async connect(port: number, version: 4 | 5, o: { clientId: string; username?: string; password?: string; properties?: Record<string, unknown> }): Promise<{ client: RawClient; connack: Packet }> {
    const client = await RawClient.open(port, version);
    client.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: version,
      clean: true,
      keepalive: 60,
      clientId: o.clientId,
      ...(o.username === undefined ? {} : { username: o.username }),
      ...(o.password === undefined ? {} : { password: Buffer.from(o.password) }),
      ...(o.properties === undefined ? {} : { properties: o.properties }),
    } as Packet);
    const connack = await client.next();
    return { client, connack };
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }

  send(p: Packet): void {
    this.#socket.write(mqttPacket.generate(p, { protocolVersion: this.version }));
  }

  write(bytes: Buffer): void {
    this.#socket.write(bytes);
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** The next packet the server wrote; rejects when the socket closes first or on timeout. */
  async next(timeoutMs = 20_000): Promise<Packet> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const p = this.#packets.shift();
      if (p !== undefined) return p;
      if (this.#closed) throw new Error('connection closed before the next packet');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no packet within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Waits for the server to close; answers every packet it wrote before that. */
  async untilClosed(timeoutMs = 20_000): Promise<Packet[]> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.closed,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`still open after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    return this.#packets.splice(0);
  }

  destroy(): void {
    this.#socket.destroy();
  }
}

/** A CONNACK's code, whichever version wrote it. */
export function connackCode(p: Packet): number | undefined {
  assert.equal(p.cmd, 'connack');
  const c = p as { returnCode?: number; reasonCode?: number };
  return c.reasonCode ?? c.returnCode;
}
