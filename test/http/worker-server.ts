/** A shard worker's HTTP side, for workers.test.ts: the server on the port it is given. */
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { json, startHttpServer } from '../../transports/http/index.js';

const port = (workerData as { port: number }).port;
const server = await startHttpServer({
  host: '127.0.0.1',
  port,
  log: pino({ level: 'silent' }),
  routes: [
    {
      method: 'GET',
      path: '/who',
      operationId: 'who',
      summary: 'which worker answered',
      responses: { 200: { description: 'the worker' } },
      handler: async () => json(200, { threadId }),
    },
  ],
});
parentPort?.postMessage({ listening: server.port });
parentPort?.once('message', () => {
  void server.close().then(() => {
    parentPort?.postMessage({ closed: true });
    // Nothing else holds this thread: it exits by itself, with code 0.
    parentPort?.close();
  });
});
