/**
 * The extension side of 4/ESP, shared by the built-in extensions: subscribe to an instance's
 * ClientData the way an external extension service would (3/ISM queue group named after the
 * instance, so each request is handled once however many shards and replicas listen), and send
 * ExtensionData back to the request's `replyTo` or, without one, to the communication service
 * instance (`kaa.v1.service.<kpc>.esp.ExtensionData`, RFC 0004).
 *
 * The built-in extensions talk only through the bus and the Avro codecs, never into the front
 * door, so the whole path a third-party extension would take is the one exercised.
 */
import type { Logger, Service } from '../../runtime/index.js';
import {
  decodeClientData,
  encodeExtensionData,
  espClientDataSubject,
  espExtensionDataSubject,
  type Bus,
  type BusMessage,
  type ClientData,
  type Subscription,
} from '../../transports/bus/index.js';

/** Where an answer goes and what it must echo back (RFC 0004: the fields that let the
 *  communication service find the request again). */
export interface Origin {
  readonly correlationId: string;
  readonly appVersionName: string;
  readonly endpointId: string | null;
  readonly resourcePath: string;
  readonly requestId: number | null;
  /** The subject the answer is published to. */
  readonly replyTo: string;
}

export interface Answer {
  readonly statusCode: number;
  readonly reasonPhrase: string | null;
  readonly payload: Uint8Array | null;
}

/** Handles one decoded request; it answers through `EspReplier.send`, now or later (or never). */
export type EspHandler = (req: ClientData, origin: Origin) => void;

export interface EspEndpointOptions {
  bus: Bus;
  /** This extension's service instance name: the subject token and the queue group. */
  instanceName: string;
  /** The communication service instance answered when a request carries no `replyTo`. */
  kpcInstanceName: string;
  log: Logger;
  /** Called for a message that is not a ClientData record (it cannot be answered: no ids). */
  onUndecodable?: () => void;
  /** Called when an answer could not be published (bus closed or overloaded). */
  onReplyFailed?: () => void;
}

export class EspReplier {
  readonly #bus: Bus;
  readonly #instanceName: string;
  readonly #log: Logger;
  readonly #onReplyFailed: () => void;

  constructor(bus: Bus, instanceName: string, log: Logger, onReplyFailed: () => void) {
    this.#bus = bus;
    this.#instanceName = instanceName;
    this.#log = log;
    this.#onReplyFailed = onReplyFailed;
  }

  /** Publishes the ExtensionData for `origin`. Never throws: a bus that refuses is counted. */
  send(origin: Origin, answer: Answer): void {
    let data: Uint8Array;
    try {
      data = encodeExtensionData({
        correlationId: origin.correlationId,
        timestamp: Date.now(),
        timeout: 0,
        appVersionName: origin.appVersionName,
        extensionInstanceName: this.#instanceName,
        endpointId: origin.endpointId,
        resourcePath: origin.resourcePath,
        requestId: origin.requestId,
        payload: answer.payload,
        statusCode: answer.statusCode,
        reasonPhrase: answer.reasonPhrase,
      });
      this.#bus.publish(origin.replyTo, data);
    } catch (err) {
      this.#onReplyFailed();
      this.#log.warn({ code: (err as { code?: unknown }).code, statusCode: answer.statusCode }, 'extension answer not published');
    }
  }
}

/** The subscription service of one extension instance. */
export function espEndpoint(opts: EspEndpointOptions, handler: EspHandler): { service: Service; replier: EspReplier } {
  const { bus, instanceName, log } = opts;
  const fallbackReply = espExtensionDataSubject(opts.kpcInstanceName);
  const subject = espClientDataSubject(instanceName);
  const onUndecodable = opts.onUndecodable ?? (() => {});
  const replier = new EspReplier(bus, instanceName, log, opts.onReplyFailed ?? (() => {}));
  let sub: Subscription | null = null;

  const onMessage = (m: BusMessage): void => {
    let req: ClientData;
    try {
      req = decodeClientData(m.data);
    } catch {
      onUndecodable();
      log.debug({ subject: m.subject, bytes: m.data.byteLength }, 'ClientData that does not decode dropped');
      return;
    }
    const origin: Origin = {
      correlationId: req.correlationId,
      appVersionName: req.appVersionName,
      endpointId: req.endpointId,
      resourcePath: req.resourcePath,
      requestId: req.requestId,
      replyTo: m.replyTo !== undefined && m.replyTo.length > 0 ? m.replyTo : fallbackReply,
    };
    handler(req, origin);
  };

  const service: Service = {
    name: `extension-${instanceName}`,
    start() {
      sub = bus.subscribe(subject, onMessage, { queue: instanceName });
    },
    stop() {
      sub?.unsubscribe();
      sub = null;
    },
  };
  return { service, replier };
}
