/**
 * Load generator of the `credentials` bench's transition phase (runs in the bench's worker
 * threads, so that the main thread, where the embedded database and the in-process bus live,
 * does not also parse HTTP): `PUT /api/v1/basic-credentials/{id}/state`, each credential
 * flipping Active <-> Suspended. Each is a versioned durable write and, on Active -> Suspended,
 * a revocation event (22/CAP).
 *
 * Every lane owns its own credentials, so two requests for one credential are never in flight
 * together: a 409 here is a real failure, not two callers racing for the same state.
 */
import { BenchError } from '../errors.js';
import type { CreateGenerator } from '../generator.js';
import { AnswerError, callApi, type RestClient } from './credentials-rest.js';

export interface TransitionParams {
  readonly rest: RestClient;
  /** Credential ids; worker w takes every workerCount-th one starting at w. */
  readonly ids: readonly string[];
}

export const createGenerator: CreateGenerator<TransitionParams> = async (init) => {
  const { rest } = init.params;
  const mine = init.params.ids.filter((_, i) => i % init.workerCount === init.workerIndex);
  if (mine.length < init.lanes) {
    // Misuse by the scenario: a lane without a credential of its own would have to share one.
    throw new BenchError('ERR_BENCH_NO_USER', `worker ${init.workerIndex}: ${init.lanes} lanes but only ${mine.length} credentials`);
  }
  const lanes = Array.from({ length: init.lanes }, (_, l) => mine.filter((_, j) => j % init.lanes === l));
  // The state each credential is in now (an earlier run may have left it Suspended): read in
  // setup, before the start line, then tracked from our own successful answers.
  const state = new Map<string, string>();
  for (const id of mine) {
    const a = await callApi(rest, 'GET', `/api/v1/basic-credentials/${id}`);
    if (a.status !== 200) throw new AnswerError(`GET credential ${id}`, a);
    state.set(id, (a.body as { state: string }).state);
  }
  const cursor = new Array<number>(init.lanes).fill(0);
  return {
    async call(lane: number): Promise<void> {
      const own = lanes[lane]!;
      const k = cursor[lane]!;
      cursor[lane] = k + 1;
      const id = own[k % own.length]!;
      const to = state.get(id) === 'Active' ? 'Suspended' : 'Active';
      const a = await callApi(rest, 'PUT', `/api/v1/basic-credentials/${id}/state`, { state: to });
      if (a.status !== 200) throw new AnswerError(`PUT state ${to}`, a);
      state.set(id, to);
    },
  };
};
