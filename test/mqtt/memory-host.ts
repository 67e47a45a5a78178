/**
 * A host in memory, for tests: credentials in a map, subscriptions matched locally, and every
 * publish routed to the matching subscribers, so that real clients can talk to each other
 * through the servers. In production the session actors play this part.
 */
import type { AuthRequest, AuthResult, ChannelHost, ConnectionHandle, DeliveryOutcome, DeliveryRef, InboundMessage, OutboundMessage, SessionInfo, Shutdown, SubscriptionRequest, WillMessage } from '../../transports/mqtt/index.js';

interface Sub {
  readonly connection: ConnectionHandle;
  readonly qos: 0 | 1 | 2;
}

export class MemoryHost implements ChannelHost {
  /** username -> password; when empty, anyone may connect. */
  readonly users = new Map<string, string>();
  /** Topic filters nobody may subscribe to (answered 0x87). */
  readonly forbidden = new Set<string>();
  readonly auths: AuthRequest[] = [];
  readonly published: InboundMessage[] = [];
  readonly wills: WillMessage[] = [];
  readonly opened: SessionInfo[] = [];
  readonly closed: Shutdown[] = [];
  readonly outcomes: Array<{ ref: DeliveryRef; outcome: DeliveryOutcome; reasonCode: number | undefined }> = [];
  readonly #subs = new Map<string, Map<string, Sub>>();
  readonly #byClient = new Map<string, ConnectionHandle>();
  readonly #queues = new Map<ConnectionHandle, OutboundMessage[]>();
  #ref = 0;
  #waiters: Array<() => void> = [];

  async authenticate(request: AuthRequest, connection: ConnectionHandle): Promise<AuthResult> {
    this.auths.push(request);
    if (this.users.size > 0) {
      const pw = request.username === undefined ? undefined : this.users.get(request.username);
      if (pw === undefined || request.password === undefined || Buffer.from(request.password).toString() !== pw) {
        return { ok: false, reasonCode: 0x86 };
      }
    }
    // MQTT-3.1.4-2 / -3: the same client id elsewhere is taken over.
    const previous = this.#byClient.get(request.clientId);
    if (previous !== undefined && previous !== connection) previous.takeover();
    this.#byClient.set(request.clientId, connection);
    return { ok: true };
  }

  onOpen(info: SessionInfo): void {
    this.opened.push(info);
    this.#notify();
  }

  async publish(message: InboundMessage): Promise<number> {
    this.published.push(message);
    let matched = 0;
    for (const [filter, subs] of this.#subs) {
      if (!matches(filter, message.topic)) continue;
      for (const sub of subs.values()) {
        matched++;
        this.#send(sub.connection, {
          ref: ++this.#ref,
          topic: message.topic,
          payload: message.payload,
          qos: Math.min(sub.qos, message.qos) as 0 | 1 | 2,
        });
      }
    }
    this.#notify();
    return matched === 0 ? 0x10 : 0;
  }

  async subscribe(filters: readonly SubscriptionRequest[], connection: ConnectionHandle): Promise<readonly number[]> {
    queueMicrotask(() => this.#notify());
    return filters.map((f) => {
      if (this.forbidden.has(f.topicFilter)) return 0x87;
      let subs = this.#subs.get(f.topicFilter);
      if (subs === undefined) this.#subs.set(f.topicFilter, (subs = new Map()));
      subs.set(connection.id, { connection, qos: f.qos });
      return f.qos;
    });
  }

  async unsubscribe(filters: readonly string[], connection: ConnectionHandle): Promise<readonly number[]> {
    return filters.map((f) => (this.#subs.get(f)?.delete(connection.id) === true ? 0 : 0x11));
  }

  delivered(ref: DeliveryRef, outcome: DeliveryOutcome, reasonCode: number | undefined, connection: ConnectionHandle): void {
    this.outcomes.push({ ref, outcome, reasonCode });
    const queue = this.#queues.get(connection) ?? [];
    if (outcome === 'window-full') return; // already queued by #send
    const next = queue.shift();
    if (next !== undefined) connection.deliver(next);
  }

  will(message: WillMessage): void {
    this.wills.push(message);
    void this.publish(message);
  }

  onClose(shutdown: Shutdown, connection: ConnectionHandle): void {
    this.closed.push(shutdown);
    for (const subs of this.#subs.values()) subs.delete(connection.id);
    for (const [id, c] of this.#byClient) if (c === connection) this.#byClient.delete(id);
    this.#queues.delete(connection);
    this.#notify();
  }

  get subscriptions(): number {
    let n = 0;
    for (const subs of this.#subs.values()) n += subs.size;
    return n;
  }

  /** Resolves when `test()` holds, re-checked after every host event. */
  until(test: () => boolean): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (test()) resolve();
        else this.#waiters.push(check);
      };
      this.#waiters.push(check);
    });
  }

  #notify(): void {
    const waiting = this.#waiters;
    this.#waiters = [];
    for (const w of waiting) w();
  }

  /** Delivers, or queues behind a full window (the outcome comes back as 'window-full'). */
  #send(connection: ConnectionHandle, m: OutboundMessage): void {
    const before = this.outcomes.length;
    connection.deliver(m);
    const refused = this.outcomes.slice(before).some((o) => o.ref === m.ref && o.outcome === 'window-full');
    if (refused) {
      const q = this.#queues.get(connection) ?? [];
      q.push(m);
      this.#queues.set(connection, q);
    }
  }
}

/** MQTT topic matching (MQTT 5.0 4.7), enough for tests. */
export function matches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}
