/**
 * A lean MQTT connection for storms of tens of thousands of sockets: CONNECT with
 * username/password, one QoS 1 PUBLISH at a time, PINGREQ on demand, and the instant the server
 * ended the connection. `MqttBenchClient` keeps per-packet-id tables (about 1 MiB a client) for
 * its QoS 1 window; 50,000 of those would not fit, so storms use this instead.
 *
 * Incoming bytes are framed by hand (fixed header + remaining length, MQTT-2.2); only the
 * packets a storm can receive are decoded: CONNACK, PUBACK, PINGRESP, DISCONNECT, and PUBLISH,
 * which is acknowledged and dropped.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { generate } from 'mqtt-packet';
import { BenchCodes, BenchError } from '../errors.js';
import { DISCONNECT, PINGREQ, encodePuback, encodePublish } from './codec.js';
import { connackCodeName } from './codes.js';

export interface LeanOptions {
  readonly host: string;
  readonly port: number;
  /** Source address (one of 127.x.y.z on loopback, to spread ephemeral ports). */
  readonly localAddress?: string;
  readonly clientId: string;
  readonly username?: string;
  readonly password?: string;
  /** 4 = MQTT 3.1.1, 5 = MQTT 5. */
  readonly protocolVersion: 4 | 5;
  readonly keepaliveSec: number;
  /** TCP connect plus CONNACK. */
  readonly connectTimeoutMs: number;
  /** Called once when the connection ends for any reason other than `destroy()`. */
  readonly onEnded?: (c: LeanConnection) => void;
}

/** Largest packet a storm client accepts from a server (it never subscribes). */
const MAX_INCOMING = 64 * 1024;

export class LeanConnection {
  readonly #o: LeanOptions;
  #socket: Socket | undefined;
  #rest: Buffer | undefined;
  #onConnack: ((code: number) => void) | undefined;
  #onPuback: ((reason: number) => void) | undefined;
  #onFail: ((err: BenchError) => void) | undefined;
  #destroyed = false;
  /** performance.now() when the server's FIN, RST or DISCONNECT arrived; NaN while open. */
  endedAt = Number.NaN;
  /** MQTT 5 DISCONNECT reason code from the server, if one came. */
  disconnectReason: number | undefined;
  #ended = false;
  #accepted = false;

  constructor(options: LeanOptions) {
    this.#o = options;
  }

  /** Accepted (CONNACK 0) and not ended. */
  get open(): boolean {
    return this.#accepted && !this.#ended && !this.#destroyed;
  }

  /** Resolves with the CONNACK code (0 accepted); rejects with a coded error without one. */
  connect(): Promise<number> {
    if (this.#socket !== undefined) throw new TypeError('LeanConnection.connect: already called');
    const o = this.#o;
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => fail(new BenchError(BenchCodes.MQTT_TIMEOUT, `no CONNACK within ${o.connectTimeoutMs} ms`)), o.connectTimeoutMs);
      const fail = (err: BenchError): void => {
        clearTimeout(timer);
        this.#onConnack = undefined;
        this.#onFail = undefined;
        this.#socket?.destroy();
        reject(err);
      };
      this.#onFail = fail;
      this.#onConnack = (code) => {
        clearTimeout(timer);
        this.#onConnack = undefined;
        this.#onFail = undefined;
        this.#accepted = code === 0;
        if (code !== 0) this.#socket?.destroy();
        resolve(code);
      };
      // allowHalfOpen: on the server's FIN nothing is written back during the measured instant;
      // the socket is destroyed by whoever owns the connection afterwards.
      const socket = netConnect({
        host: o.host,
        port: o.port,
        noDelay: true,
        allowHalfOpen: true,
        ...(o.localAddress === undefined ? {} : { localAddress: o.localAddress }),
      });
      this.#socket = socket;
      socket.on('data', (chunk: Buffer) => this.#onData(chunk));
      socket.on('end', () => this.#end(undefined));
      socket.on('error', (err) => this.#end(new BenchError(BenchCodes.MQTT_CLOSED, `socket error: ${err.message}`, { cause: err })));
      socket.on('close', () => this.#end(undefined));
      socket.once('connect', () => {
        socket.write(
          generate(
            {
              cmd: 'connect',
              protocolId: 'MQTT',
              protocolVersion: o.protocolVersion,
              clientId: o.clientId,
              clean: true,
              keepalive: o.keepaliveSec,
              ...(o.username === undefined ? {} : { username: o.username }),
              ...(o.password === undefined ? {} : { password: Buffer.from(o.password, 'utf8') }),
            },
            { protocolVersion: o.protocolVersion },
          ),
        );
      });
    });
  }

  /** One QoS 1 PUBLISH (packet id 1); resolves on PUBACK, rejects on a failure code or the end. */
  publishOnce(topic: Buffer, payload: Buffer, timeoutMs: number): Promise<void> {
    if (!this.open) return Promise.reject(new BenchError(BenchCodes.MQTT_CLOSED, 'not connected'));
    if (this.#onPuback !== undefined) throw new TypeError('LeanConnection.publishOnce: one publish at a time');
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => done(new BenchError(BenchCodes.MQTT_TIMEOUT, `no PUBACK within ${timeoutMs} ms`)), timeoutMs);
      const done = (err: BenchError | undefined): void => {
        clearTimeout(timer);
        this.#onPuback = undefined;
        this.#onFail = undefined;
        if (err === undefined) resolve();
        else reject(err);
      };
      this.#onPuback = (reason) =>
        done(reason >= 0x80 ? new BenchError(BenchCodes.MQTT_PUBACK_FAILED, `PUBACK reason code 0x${reason.toString(16)}`) : undefined);
      this.#onFail = done;
      this.#socket?.write(encodePublish(topic, payload, 1, 1, this.#o.protocolVersion === 5));
    });
  }

  /** Sends PINGREQ (keep-alive for long holds; the answer is read and dropped). */
  ping(): void {
    if (this.open) this.#socket?.write(PINGREQ);
  }

  /** Sends DISCONNECT and closes (client-initiated end: not reported through onEnded). */
  disconnect(): void {
    if (this.open) this.#socket?.end(DISCONNECT);
    this.destroy();
  }

  /** Drops the socket; no callback fires afterwards. */
  destroy(): void {
    this.#destroyed = true;
    this.#socket?.destroy();
  }

  #end(err: BenchError | undefined): void {
    if (this.#ended) return;
    this.#ended = true;
    this.endedAt = performance.now();
    // An error (and its stack) only for a waiter: a storm of ten thousand ends builds none.
    const onFail = this.#onFail;
    if (onFail !== undefined) onFail(err ?? new BenchError(BenchCodes.MQTT_CLOSED, 'the server closed the connection'));
    if (!this.#destroyed && this.#accepted) this.#o.onEnded?.(this);
  }

  #onData(chunk: Buffer): void {
    let buf = this.#rest === undefined ? chunk : Buffer.concat([this.#rest, chunk]);
    this.#rest = undefined;
    for (;;) {
      if (buf.length < 2) break;
      // Remaining length: a variable byte integer of at most 4 bytes (MQTT-1.5.5).
      let len = 0;
      let mul = 1;
      let i = 1;
      let complete = false;
      for (; i < 5 && i < buf.length; i++) {
        const b = buf[i] as number;
        len += (b & 0x7f) * mul;
        mul *= 128;
        if ((b & 0x80) === 0) {
          complete = true;
          i++;
          break;
        }
      }
      if (!complete) {
        if (i >= 5) return this.#protocolError('remaining length longer than 4 bytes');
        break;
      }
      if (len > MAX_INCOMING) return this.#protocolError(`a ${len}-byte packet from the server`);
      if (buf.length < i + len) break;
      this.#onPacket(buf[0] as number, buf.subarray(i, i + len));
      buf = buf.subarray(i + len);
    }
    if (buf.length > 0) this.#rest = Buffer.from(buf);
  }

  #onPacket(first: number, body: Buffer): void {
    const v5 = this.#o.protocolVersion === 5;
    switch (first >> 4) {
      case 2: {
        // CONNACK: flags, then return code (3.1.1) / reason code (5).
        if (body.length < 2) return this.#protocolError('short CONNACK');
        this.#onConnack?.(body[1] as number);
        return;
      }
      case 4: {
        // PUBACK: packet id, then (MQTT 5, optional) reason code; absent means success (MQTT5 3.4.2.1).
        const reason = v5 && body.length >= 3 ? (body[2] as number) : 0;
        this.#onPuback?.(reason);
        return;
      }
      case 13: // PINGRESP
        return;
      case 14: // DISCONNECT from the server (MQTT 5 only): the reason, then the socket closes.
        this.disconnectReason = body.length >= 1 ? (body[0] as number) : 0;
        return;
      case 3: {
        const qos = (first >> 1) & 3;
        if (qos > 0 && body.length >= 2) {
          const topicLen = body.readUInt16BE(0);
          if (body.length >= 4 + topicLen) this.#socket?.write(encodePuback(body.readUInt16BE(2 + topicLen)));
        }
        return;
      }
      default:
        return this.#protocolError(`unexpected packet type ${first >> 4} from the server`);
    }
  }

  #protocolError(what: string): void {
    const err = new BenchError(BenchCodes.MQTT_PROTOCOL, what);
    this.#socket?.destroy();
    this.#end(err);
  }
}

/** Names a CONNACK refusal for an error message: "5 not authorized". */
export function refusal(code: number, protocolVersion: 4 | 5): string {
  return `${code} ${connackCodeName(code, protocolVersion)}`;
}
