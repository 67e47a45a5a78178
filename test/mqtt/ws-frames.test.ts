/**
 * MQTT over WebSocket at the frame level (MQTT 5.0 section 6): a packet split over two frames,
 * two packets in one frame (MQTT-6.0.0-2), a text frame (MQTT-6.0.0-1), and the subprotocol
 * negotiation (MQTT-6.0.0-3, -4). The client is `ws`, which MQTT.js itself runs on.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import mqttPacket from 'mqtt-packet';
import WebSocket from 'ws';
import { setLogLevel } from '../../runtime/index.js';
import { startMqttServers, type MqttServers, type Packet } from '../../transports/mqtt/index.js';
import { subprotocol } from '../../transports/mqtt/ws.js';
import { uws } from '../../transports/uws.js';
import { MemoryHost } from './memory-host.js';

setLogLevel('silent');

type ListenSocket = Parameters<typeof uws.us_listen_socket_close>[0];

function openWs(url: string, protocols: string[]): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Collects the packets the server sends until `count` arrived. */
function packets(ws: WebSocket, count: number): Promise<Packet[]> {
  const parser = mqttPacket.parser();
  const out: Packet[] = [];
  return new Promise((resolve) => {
    parser.on('packet', (p: Packet) => {
      out.push(p);
      if (out.length === count) resolve(out);
    });
    ws.on('message', (data: Buffer) => parser.parse(data));
  });
}

describe('MQTT over WebSocket, frame by frame', () => {
  const app = uws.App();
  let listenSocket: ListenSocket | undefined;
  let url = '';
  let servers: MqttServers;

  before(async () => {
    servers = await startMqttServers({ ws: { app, path: '/mqtt' }, host: new MemoryHost() });
    await new Promise<void>((resolve, reject) =>
      app.listen('127.0.0.1', 0, (ls) => {
        if (ls === false) return reject(new Error('uws listen failed'));
        listenSocket = ls;
        url = `ws://127.0.0.1:${uws.us_socket_local_port(ls as never)}/mqtt`;
        resolve();
      }),
    );
  });

  after(async () => {
    await servers.close();
    if (listenSocket !== undefined) uws.us_listen_socket_close(listenSocket);
  });

  it('a CONNECT split over two frames, then two PINGREQs in one frame', { timeout: 10_000 }, async () => {
    const ws = await openWs(url, ['mqtt']);
    assert.equal(ws.protocol, 'mqtt');
    const got = packets(ws, 3);
    const connect = mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'frames', keepalive: 30 });
    ws.send(connect.subarray(0, 5));
    ws.send(connect.subarray(5));
    const ping = mqttPacket.generate({ cmd: 'pingreq' });
    ws.send(Buffer.concat([ping, ping]));
    assert.deepEqual((await got).map((p) => p.cmd), ['connack', 'pingresp', 'pingresp']);
    ws.close();
  });

  it('a text frame closes the connection (MQTT-6.0.0-1)', { timeout: 10_000 }, async () => {
    const ws = await openWs(url, ['mqtt']);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send('CONNECT please');
    assert.equal(await closed, 1003);
  });

  it('a client offering only other subprotocols is refused at the upgrade', { timeout: 10_000 }, async () => {
    await assert.rejects(openWs(url, ['chat']), /Unexpected server response: 400/);
  });

  it('subprotocol choice: mqtt first, then mqttv3.1, none when none offered', () => {
    assert.equal(subprotocol('mqttv3.1, mqtt'), 'mqtt');
    assert.equal(subprotocol('MQTTv3.1'), 'mqttv3.1');
    assert.equal(subprotocol(''), '');
    assert.equal(subprotocol('chat, superchat'), undefined);
  });
});
