/**
 * Subject index of the in-process bus: a token trie (the shape of nats-server's sublist) with a
 * cache of subject -> matching subscriptions. The cache makes the hot path one Map lookup; it is
 * dropped whole on every (un)subscribe, which is rare next to publishes, and bounded in size
 * because subjects often carry ids (one entry per endpoint would otherwise grow forever).
 */
import type { BusHandler } from './types.js';

export interface SubEntry {
  /** Increasing: a message is delivered only to subscriptions older than its publication. */
  readonly id: number;
  readonly pattern: string;
  readonly queue: string | undefined;
  readonly handler: BusHandler;
  closed: boolean;
}

/** Matching subscriptions of one subject: plain ones, then one array per queue group. */
export interface Match {
  readonly plain: readonly SubEntry[];
  readonly groups: readonly (readonly SubEntry[])[];
}

const EMPTY: Match = { plain: [], groups: [] };

class Node {
  readonly literal = new Map<string, Node>();
  star: Node | undefined;
  /** Subscriptions ending here with `>`: match one or more further tokens. */
  readonly full = new Set<SubEntry>();
  /** Subscriptions ending exactly here. */
  readonly subs = new Set<SubEntry>();

  isEmpty(): boolean {
    return this.literal.size === 0 && this.star === undefined && this.full.size === 0 && this.subs.size === 0;
  }
}

/** Replies to requests use unique inboxes: caching them would only evict useful entries. */
const UNCACHED_PREFIX = '_INBOX.';

export class Sublist {
  readonly #root = new Node();
  readonly #cache = new Map<string, Match>();
  readonly #maxCache: number;
  #count = 0;

  constructor(maxCache = 16_384) {
    this.#maxCache = maxCache;
  }

  get size(): number {
    return this.#count;
  }

  insert(sub: SubEntry): void {
    const tokens = sub.pattern.split('.');
    let node = this.#root;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i] as string;
      if (t === '>') {
        node.full.add(sub);
        this.#changed(1);
        return;
      }
      if (t === '*') {
        node.star ??= new Node();
        node = node.star;
      } else {
        let next = node.literal.get(t);
        if (next === undefined) {
          next = new Node();
          node.literal.set(t, next);
        }
        node = next;
      }
    }
    node.subs.add(sub);
    this.#changed(1);
  }

  remove(sub: SubEntry): void {
    const tokens = sub.pattern.split('.');
    const path: [Node, string][] = [];
    let node: Node | undefined = this.#root;
    for (const t of tokens) {
      if (t === '>') break;
      path.push([node, t]);
      node = t === '*' ? node.star : node.literal.get(t);
      if (node === undefined) return;
    }
    const removed = tokens[tokens.length - 1] === '>' ? node.full.delete(sub) : node.subs.delete(sub);
    if (!removed) return;
    this.#changed(-1);
    // Prune emptied nodes so that a churn of per-id subjects does not leave a growing skeleton.
    for (let i = path.length - 1; i >= 0 && node.isEmpty(); i--) {
      const [parent, t] = path[i] as [Node, string];
      if (t === '*') parent.star = undefined;
      else parent.literal.delete(t);
      node = parent;
    }
  }

  match(subject: string): Match {
    const hit = this.#cache.get(subject);
    if (hit !== undefined) return hit;
    const m = this.#compute(subject);
    if (!subject.startsWith(UNCACHED_PREFIX)) {
      if (this.#cache.size >= this.#maxCache) this.#cache.clear();
      this.#cache.set(subject, m);
    }
    return m;
  }

  #changed(delta: number): void {
    this.#count += delta;
    this.#cache.clear();
  }

  #compute(subject: string): Match {
    if (this.#count === 0) return EMPTY;
    const found: SubEntry[] = [];
    collect(this.#root, subject.split('.'), 0, found);
    if (found.length === 0) return EMPTY;
    const plain: SubEntry[] = [];
    const byQueue = new Map<string, SubEntry[]>();
    for (const s of found) {
      if (s.queue === undefined) plain.push(s);
      else {
        const g = byQueue.get(s.queue);
        if (g === undefined) byQueue.set(s.queue, [s]);
        else g.push(s);
      }
    }
    // Subscription order, so that plain subscribers see a message in the order they subscribed.
    plain.sort((a, b) => a.id - b.id);
    return { plain, groups: [...byQueue.values()] };
  }
}

function collect(node: Node, tokens: readonly string[], i: number, out: SubEntry[]): void {
  if (i === tokens.length) {
    for (const s of node.subs) out.push(s);
    return;
  }
  for (const s of node.full) out.push(s);
  const lit = node.literal.get(tokens[i] as string);
  if (lit !== undefined) collect(lit, tokens, i + 1, out);
  if (node.star !== undefined) collect(node.star, tokens, i + 1, out);
}
