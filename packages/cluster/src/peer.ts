import type { MessagePort } from 'node:worker_threads';
import type { ObjectStore } from '@nats-io/obj';
import {
  type Msg,
  type NatsConnection,
  nuid,
  RequestError,
  type Subscription,
} from '@nats-io/transport-node';
import { ActorDiedError } from '@troupe/runtime';
import {
  type ActorInfo,
  type ActorRef,
  type Call,
  Connection,
  callIdRange,
  deserializeResults,
  Endpoint,
  ForwardingTarget,
  type FromHost,
  forEachResult,
  type HandleDescriptor,
  isStreamItem,
  type Message,
  Op,
  oneResult,
  RelayedCalls,
  reviveRef,
  type SerializedResultsMessage,
  Status,
  type ToHost,
  type Transport,
  unsendableError,
} from '@troupe/runtime/transport';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  deserialize,
  type Envelope,
  Flags,
  frameOf,
  serialize,
  sizeOf,
  UnsendableError,
} from './codec.js';

/** Where an actor is served: the subject its callers publish to. */
export interface Address {
  readonly subject: string;
}

/** A frame read: its flags, its envelope, and the ports its handles arrived as (if any). */
interface Frame {
  readonly flags: Flags;
  readonly envelope: Envelope;
  /** Ports made here for handles that arrived by address: they move with the message. */
  readonly ports: MessagePort[] | undefined;
  /**
   * The message's own bytes (a view into the frame) where they can be handed on as they are: a
   * frame with no handles and no blob.
   */
  readonly body: Uint8Array | undefined;
}

interface AddressedHandle {
  $troupe: 'handle';
  info: ActorInfo;
  port: MessagePort | Address;
}

/**
 * One process in a cluster: its NATS connection, its results inbox (`troupe.<c>.r.<peer>`), the
 * links it calls actors through and the actors it serves. Every link of the process shares the
 * inbox, told apart by a link id in each message.
 */
export class Peer {
  readonly inbox: string;
  private readonly links = new Map<number, ClientLink>();
  private nextLink = 1;
  private readonly services = new Map<string, Service>();
  /** Handles of actors this process reached by address, by actor id (one connection each). */
  private readonly remotes = new Map<string, { address: Address; conn: Connection }>();
  private inboxSub: Subscription | undefined;
  private unreachedSub: Subscription | undefined;
  maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;
  /** Where a message too large for one NATS message goes (JetStream's object store). */
  blobs: ObjectStore | undefined;

  constructor(
    readonly nc: NatsConnection,
    readonly cluster: string,
    readonly id: string,
  ) {
    this.inbox = `troupe.${cluster}.r.${id}`;
  }

  start(probeMs: number): void {
    this.inboxSub = this.nc.subscribe(this.inbox, {
      callback: (error, msg) => {
        if (error) return;
        this.receive(msg);
      },
    });
    // A frame goes out with reply `<inbox>.<link>.<first>.<last>` (its call ids): where nothing
    // listens to its subject, the server answers there "no responders" (503), and those calls
    // did not run. Answers come to the inbox itself.
    this.unreachedSub = this.nc.subscribe(`${this.inbox}.>`, {
      callback: (error, msg) => {
        if (!error && msg.headers?.code === 503) this.unreached(msg.subject);
      },
    });
    this.prober = setInterval(() => this.probe(probeMs), probeMs);
    this.prober.unref();
  }

  private prober: NodeJS.Timeout | undefined;

  /** The server found no one to take a frame: its link learns which of its calls did not run. */
  private unreached(subject: string): void {
    const [link, first, last] = subject
      .slice(this.inbox.length + 1)
      .split('.')
      .map(Number);
    if (link === undefined || first === undefined || last === undefined) return;
    if (first > 0 && last >= first) this.links.get(link)?.unreached(first, last);
  }

  /**
   * Whether a message may run now: a node serves only while its lease holds (a message that
   * arrives past it is dropped, never run). Anything else always serves.
   */
  admit: () => boolean = () => true;

  /**
   * Where messages to `subject` must wait before they go: after a NATS outage, until the node
   * hosting its actor is heard again (it has subscribed anew by then; a message sent before
   * would reach no one and be lost).
   */
  gate: (subject: string) => Promise<void> | undefined = () => undefined;

  /** The subject an actor reached at `subject` moved to, once it serves there. */
  movedFrom: (subject: string) => string | undefined = () => undefined;

  /**
   * Whether the actor at `subject` is moved when its node dies (restarts are left to it, or it
   * is detached): a link that is not its owner's then waits for its next address.
   */
  follows: (subject: string) => boolean = () => false;

  /**
   * Resolves with the subject the actor at `subject` is served at next, once it is, or with
   * undefined if it ended (or was not moved in time).
   */
  nextAddress: (subject: string) => Promise<string | undefined> = async () => undefined;

  /** Changes each time the actor directory does: a link re-reads where its actor is then. */
  directoryVersion: () => number = () => 0;

  /**
   * Resolves once the node hosting the actor at `subject` has certainly stopped serving it (its
   * lease, counted from before its last record this process saw, has lapsed): true; false if a
   * newer record of the node lists the actor (it is back). At once (true) where no record of a
   * node lists it.
   */
  fenced: (subject: string) => Promise<boolean> = async () => true;

  /** The node hosting the actor a subject reaches, and whether it is alive, where known. */
  hostOf: (subject: string) => { node: string; alive: boolean } | undefined = () => undefined;

  /**
   * A node was found dead (it stopped heartbeating): the owner of its actors gives them up in
   * the directory (so that the node ends them if it wakes), before their calls reject.
   */
  onNodeDead: (node: string) => Promise<void> = async () => {};

  /**
   * Asks, for each link with calls pending, whether anything still serves its actor's subject:
   * "no responders" means the process that served it is gone (its node was killed, or it ended
   * without a word), so its calls reject now instead of waiting forever. A live server ignores
   * the probe (it carries no frame).
   */
  private probe(timeoutMs: number): void {
    const dead = new Map<string, ClientLink[]>();
    for (const link of this.links.values()) {
      const subject = link.pendingSubject();
      if (subject === undefined || link.probing || link.isMoving) continue;
      if (this.gate(subject) !== undefined) continue;
      const moved = link.owned ? undefined : this.movedFrom(subject);
      if (moved !== undefined) {
        // It moved: what this link sent the old one may have run; later calls go on.
        link.moveTo({ subject: moved });
        this.resend(link, 'it moved to another node');
        continue;
      }
      const host = this.hostOf(subject);
      if (host !== undefined && !host.alive && !link.owned && this.follows(subject)) {
        this.follow(link, subject, `its node ${host.node} stopped heartbeating`);
        continue;
      }
      if (host !== undefined && !host.alive) {
        const links = dead.get(host.node) ?? [];
        links.push(link);
        dead.set(host.node, links);
        continue;
      }
      link.probing = true;
      this.nc
        .request(subject, undefined, { timeout: timeoutMs })
        .then(
          () => this.redeliver(link),
          async (error: unknown) => {
            if (!(error instanceof RequestError) || !error.isNoResponders()) {
              // Something serves it: calls that found no one while it was away go now.
              this.redeliver(link);
              return;
            }
            const reason =
              host === undefined
                ? 'no process serves it any more: the process that served it ended'
                : `no process serves it any more: its node ${host.node} ended`;
            // Nothing serves it: its node was killed, or it was cut off from NATS and runs on
            // what it holds until its lease lapses. Its calls go on once it certainly has (not
            // if its node was heard meanwhile, serving it: then the next probe decides).
            if (!(await this.fenced(subject))) return;
            if (!link.owned && this.follows(subject)) this.follow(link, subject, reason);
            else link.lost(reason);
          },
        )
        .finally(() => {
          link.probing = false;
        });
    }
    for (const [node, links] of dead) {
      for (const link of links) link.probing = true;
      // Its node stopped heartbeating (or nothing listens to it): it fences itself once its
      // lease lapses (shorter than the suspicion), and ends the actors given up here if it
      // wakes: their calls will not run later, and reject then (not if it was heard meanwhile).
      const subject = links[0]?.pendingSubject() ?? '';
      void this.fenced(subject).then(async (fenced) => {
        if (fenced) {
          await this.onNodeDead(node).catch(() => {});
          for (const link of links) link.lost(`its node ${node} stopped heartbeating`);
        }
        for (const link of links) link.probing = false;
      });
    }
  }

  subject(kind: string, ...parts: string[]): string {
    return [`troupe.${this.cluster}.${kind}`, ...parts].join('.');
  }

  /** A new link to the actor served at `address` (later: `setAddress`). */
  link(address?: Address): ClientLink {
    const link = new ClientLink(this, this.nextLink++, address);
    this.links.set(link.id, link);
    return link;
  }

  /** A connection to the actor at `address`, one per actor for the whole process. */
  connection(info: ActorInfo, address: Address): Connection {
    const known = this.remotes.get(info.actorId);
    if (known !== undefined && !known.conn.isDead && known.address.subject === address.subject) {
      return known.conn;
    }
    const link = this.link(address);
    const conn = new RemoteConnection(link, info);
    link.conn = conn;
    this.remotes.set(info.actorId, { address, conn });
    conn.onDeath = () => {
      if (this.remotes.get(info.actorId)?.conn === conn) this.remotes.delete(info.actorId);
    };
    return conn;
  }

  /**
   * Serves `ref` on `subject`: each calling link gets its own endpoint, forwarding to `ref`; or,
   * with `relay`, its own port to the actor's host (`ref.connect()`), to which its messages pass
   * as they arrive (see `RelayLink`).
   */
  serve(ref: ActorRef, subject: string, relay = false): Service {
    const existing = this.services.get(subject);
    if (existing) return existing;
    const service = new Service(this, ref, subject, this.admit, relay);
    this.services.set(subject, service);
    return service;
  }

  unserve(service: Service): void {
    if (this.services.get(service.subject) === service) this.services.delete(service.subject);
  }

  forget(link: ClientLink): void {
    this.links.delete(link.id);
  }

  /**
   * The frame of `envelope`. Handle descriptors in it are given addresses: an actor this process
   * reaches by address keeps its own; any other is served from here (its port stays here).
   */
  encode(envelope: Envelope, transfers: readonly unknown[] | undefined): Buffer {
    return this.frameOfEnvelope(envelope, transfers?.some(isPort) === true);
  }

  /**
   * The frame of a message whose moved ports are not listed (a host's answers, relayed): encoded
   * as it is first; where that is refused, again with the ports of its handles made into
   * addresses (a port is refused as it is, and handles among answers are rare).
   */
  encodeRelayed(envelope: Envelope): Buffer {
    try {
      return this.frameOfEnvelope(envelope, false);
    } catch {
      return this.frameOfEnvelope(envelope, true);
    }
  }

  private frameOfEnvelope(envelope: Envelope, ports: boolean): Buffer {
    let flags = Flags.None;
    if (ports && addressHandles(envelope, (handle) => this.addressOf(handle))) {
      flags |= Flags.Handles;
    }
    let frame: Buffer;
    try {
      frame = serialize(flags, envelope);
    } catch (error) {
      throw locate(error, envelope);
    }
    const serverLimit = this.serverLimit;
    if (frame.length > Math.min(this.maxMessageBytes, serverLimit)) {
      const limit =
        serverLimit < this.maxMessageBytes
          ? `the NATS server's max_payload (${serverLimit} bytes): raise max_payload in its configuration (up to maxMessageBytes, ${this.maxMessageBytes})`
          : `maxMessageBytes (${this.maxMessageBytes}): raise it in connect() and the server's max_payload`;
      const error = new UnsendableError(
        `the message is ${frame.length} bytes, over ${limit}, or send large data in parts`,
      );
      throw locate(error, envelope, sizeOf);
    }
    return frame;
  }

  /** The largest frame the server takes: its `max_payload`, unless larger ones go as blobs. */
  private get serverLimit(): number {
    return this.blobs === undefined
      ? (this.nc.info?.max_payload ?? Number.POSITIVE_INFINITY)
      : Number.POSITIVE_INFINITY;
  }

  /** The largest frame sent as one NATS message; a larger one goes through the blob store. */
  get inlineLimit(): number {
    return (this.nc.info?.max_payload ?? 1024 * 1024) - 1024;
  }

  /** Stores a large frame; the small frame that names it, for link `link`. */
  async upload(frame: Buffer, link: number): Promise<Buffer> {
    const blobs = this.blobs;
    if (blobs === undefined) throw new UnsendableError('no blob store for a large message');
    const name = nuid.next();
    await blobs.putBlob({ name }, frame);
    return serialize(Flags.Blob, [link, name]);
  }

  /** The frame a blob frame names, taken out of the store. */
  async download(name: unknown): Promise<Uint8Array> {
    const blobs = this.blobs;
    if (blobs === undefined || typeof name !== 'string') throw new Error('no such blob');
    const frame = await blobs.getBlob(name);
    void blobs.delete(name).catch(() => {});
    if (frame === null) throw new Error(`blob ${name} is gone`);
    return frame;
  }

  /** The envelope of `frame`, with handles that arrived by address made into ports here. */
  decode(frame: Uint8Array): Envelope {
    return this.decodeFrame(frame).envelope;
  }

  /**
   * Like `decode`, with the frame's flags (a `Blob` frame's envelope is `[link, name]`) and the
   * ports made for its handles.
   */
  decodeFrame(frame: Uint8Array): Frame {
    const { flags, envelope, body } = deserialize(frame);
    let ports: MessagePort[] | undefined;
    if (flags & Flags.Handles) {
      ports = [];
      const made = ports;
      reviveAddresses(envelope, (info, address) => {
        const port = new ForwardingTarget(this.connection(info, address)).connect();
        made.push(port);
        return port;
      });
    }
    return { flags, envelope, ports, body: flags === Flags.None ? body : undefined };
  }

  /**
   * The frame of a message the host serialized (`Op.Serialized`), for `link`; undefined where it
   * cannot go as it is (over the size limits: it is then sent again result by result).
   */
  frameOfSerialized(link: number, bytes: Uint8Array): Buffer | undefined {
    const frame = frameOf(link, bytes);
    return frame.length > Math.min(this.maxMessageBytes, this.serverLimit) ? undefined : frame;
  }

  private addressOf(handle: AddressedHandle): Address {
    const port = handle.port as MessagePort;
    const known = this.remotes.get(handle.info.actorId);
    if (known !== undefined && !known.conn.isDead) {
      // An actor reached by address: the receiver calls it there directly.
      port.close();
      return known.address;
    }
    // An actor of this process (or reached through one): served from here, over its own port.
    const ref = reviveRef(handle as HandleDescriptor);
    const service = this.serve(ref, this.subject('h', this.id, String(this.nextLink++)));
    return { subject: service.subject };
  }

  private receive(msg: Msg): void {
    let frame: Frame;
    try {
      frame = this.decodeFrame(msg.data);
    } catch {
      return; // Not ours to read: dropped (the subject is this process's own inbox).
    }
    const link = this.links.get(frame.envelope[0]);
    if (link === undefined) return;
    link.inbound.take(this, frame, link);
  }

  /**
   * The connection to NATS was lost and is back: what was in flight may have been lost with it
   * (core NATS delivers at most once), so every call pending then rejects with `ActorDiedError`
   * (`mayHaveRun`: it may have run, or not at all). The links stay: later calls go through.
   */
  resetPending(reason: string): void {
    for (const link of this.links.values()) this.interrupt(link, reason);
  }

  /**
   * The actor of `link` (not its owner's) lost its server and is being moved: the calls pending
   * may have run and reject; later ones wait for its next address (or fail if it ends).
   */
  private follow(link: ClientLink, subject: string, reason: string): void {
    // First the wait, so that calls sent again go to the next address.
    link.awaitMove(
      this.nextAddress(subject).then((next) => {
        if (next !== undefined) return { subject: next };
        link.lost(`${reason}, and it was not started again`);
        return undefined;
      }),
    );
    this.resend(link, reason);
  }

  /**
   * The calls pending on `link` were sent and not answered: they may have run. Those whose
   * retries allow are sent again (to where the link sends now), the others reject; those that
   * reached no one did not run, and are sent again in any case.
   */
  private resend(link: ClientLink, reason: string): void {
    const conn = link.conn;
    if (conn === undefined || conn.pendingCalls === 0) return;
    link.takePending((call, reached) => {
      call.interrupted(reached, () => mayHaveRun(conn.info.name, call.method, reason));
    });
  }

  /**
   * Rejects the calls pending on `link` as having maybe run; the link goes on. Those that reached
   * no one did not run: they are sent again.
   */
  private interrupt(link: ClientLink, reason: string): void {
    const conn = link.conn;
    if (conn === undefined || conn.pendingCalls === 0) return;
    link.takePending((call, reached) => {
      const error = mayHaveRun(conn.info.name, call.method, reason);
      if (reached) call.reject(error);
      else call.interrupted(false, () => error);
    });
  }

  /** Sends again, where `link` sends now, its calls that reached no one (they did not run). */
  private redeliver(link: ClientLink): void {
    const conn = link.conn;
    if (conn === undefined) return;
    for (const call of link.takeUnreached()) {
      call.interrupted(false, () => mayHaveRun(conn.info.name, call.method, 'it was not reached'));
    }
  }

  /** The connection to NATS is gone for good: every link ends, and its calls reject. */
  lost(reason: string): void {
    for (const link of [...this.links.values()]) link.lost(reason);
  }

  async close(): Promise<void> {
    clearInterval(this.prober);
    for (const service of [...this.services.values()]) service.close();
    for (const link of [...this.links.values()]) link.ended();
    this.inboxSub?.unsubscribe();
    this.unreachedSub?.unsubscribe();
  }
}

function mayHaveRun(actor: string, method: string, reason: string): ActorDiedError {
  return new ActorDiedError(
    `Actor ${actor}: call '${method}' did not complete (${reason}): it may have run in part, ` +
      'or not at all.',
    actor,
    true,
  );
}

function isPort(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { constructor?: { name?: string } }).constructor?.name === 'MessagePort'
  );
}

/** Visits every object and array of `root` once (not its class instances' insides). */
function visit(root: unknown, fn: (value: Record<string, unknown>) => boolean | undefined): void {
  const seen = new Set<object>();
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value !== 'object' || value === null || seen.has(value)) continue;
    seen.add(value);
    if (fn(value as Record<string, unknown>)) continue;
    const proto = Object.getPrototypeOf(value);
    if (!Array.isArray(value) && proto !== null && Object.getPrototypeOf(proto) !== null) continue;
    for (const key of Object.keys(value)) stack.push((value as Record<string, unknown>)[key]);
  }
}

function isHandle(
  value: Record<string, unknown>,
): value is AddressedHandle & Record<string, unknown> {
  return value.$troupe === 'handle' && typeof value.info === 'object' && value.port !== undefined;
}

/** Puts an address in place of each handle's port; true if any. */
function addressHandles(root: unknown, addressOf: (handle: AddressedHandle) => Address): boolean {
  let any = false;
  visit(root, (value) => {
    if (!isHandle(value) || !isPort(value.port)) return false;
    value.port = addressOf(value);
    any = true;
    return true;
  });
  return any;
}

function reviveAddresses(
  root: unknown,
  connect: (info: ActorInfo, address: Address) => MessagePort,
): void {
  visit(root, (value) => {
    if (!isHandle(value)) return false;
    const address = value.port as Partial<Address>;
    if (typeof address?.subject !== 'string') return true;
    value.port = connect(value.info, { subject: address.subject });
    return true;
  });
}

/**
 * Names the argument a refusal is about, for a message of one call (a batch that failed is sent
 * again call by call): each argument is tried alone.
 */
function locate(
  error: unknown,
  envelope: Envelope,
  measure: (value: unknown) => number = sizeOf,
): unknown {
  const refusal = error instanceof UnsendableError ? error : new UnsendableError(String(error));
  const message = envelope[1] as unknown[] | null;
  // A batch of one call: [Op.Calls, callId, target, args].
  const args = message?.length === 4 ? (message[3] as { encoded?: unknown[] } | unknown[]) : null;
  const list = Array.isArray(args) ? args : args?.encoded;
  if (!Array.isArray(list)) return refusal;
  let largest = -1;
  let size = -1;
  for (let i = 0; i < list.length; i++) {
    try {
      const n = measure(list[i]);
      if (n > size) {
        size = n;
        largest = i;
      }
    } catch {
      refusal.argumentIndex = i;
      return refusal;
    }
  }
  refusal.argumentIndex = largest;
  return refusal;
}

/**
 * Sends a link's frames in order: a frame too large for one NATS message goes to the blob store
 * first, and the frames after it wait for it.
 */
class Outbound {
  private readonly order = new InOrder();

  send(
    peer: Peer,
    link: number,
    frame: Buffer,
    publish: (frame: Uint8Array) => void,
    lost: (error: unknown) => void,
    gate?: Promise<void>,
  ): void {
    const large = frame.length > peer.inlineLimit;
    if (!large && gate === undefined && this.order.idle) {
      publish(frame);
      return;
    }
    this.order.add(async () => {
      await gate;
      try {
        publish(large ? await peer.upload(frame, link) : frame);
      } catch (error) {
        lost(error);
      }
    });
  }
}

/**
 * Runs tasks one after another, each once those added before it have settled; `idle` while none
 * waits or runs (a link's next message may then go at once, in order all the same).
 */
class InOrder {
  private chain: Promise<void> | undefined;

  get idle(): boolean {
    return this.chain === undefined;
  }

  add(task: () => Promise<void>): void {
    const next = (this.chain ?? Promise.resolve()).then(task);
    this.chain = next;
    void next.then(() => {
      if (this.chain === next) this.chain = undefined;
    });
  }
}

/** Where a link's inbound frames go, in order; `unreadable` if a blob could not be read. */
interface Receiver {
  receiveFrame(frame: Frame): void;
  unreadable(): void;
}

/** Delivers a link's messages in order: those after a blob wait until it is read. */
class Inbound {
  private readonly order = new InOrder();

  take(peer: Peer, frame: Frame, to: Receiver): void {
    const blob = (frame.flags & Flags.Blob) !== 0;
    if (!blob && this.order.idle) {
      to.receiveFrame(frame);
      return;
    }
    this.order.add(async () => {
      try {
        to.receiveFrame(blob ? peer.decodeFrame(await peer.download(frame.envelope[1])) : frame);
      } catch {
        to.unreadable();
      }
    });
  }
}

/**
 * A connection to an actor in another process. A handle of it passed to a thread of this process
 * reaches it through this connection (a port served here); passed to another process, it
 * travels as the actor's address.
 */
export class RemoteConnection extends Connection {
  override connect(): MessagePort {
    return new ForwardingTarget(this).connect();
  }
}

/**
 * The calling side's link to one actor over NATS: messages go to the actor's subject with this
 * process's inbox as the reply subject; answers come back through the inbox. Until the actor is
 * placed (its subject known), messages wait here in order.
 */
export class ClientLink implements Transport, Receiver {
  readonly sharesMemory = false;
  readonly inbound = new Inbound();
  private readonly outbound = new Outbound();
  private onMessage: ((message: Message) => void) | undefined;
  private onClose: (() => void) | undefined;
  private waiting: { frame: Buffer; message: Message }[] | undefined = [];
  private closed = false;
  private failure: Transport | undefined;
  private holder: NodeJS.Timeout | undefined;
  /** A liveness probe of its subject is on its way. */
  probing = false;
  /** The connection calling through it, whose pending calls a lost NATS connection rejects. */
  conn: Connection | undefined;
  /** Its owner follows the actor from node to node (others follow the directory). */
  owned = false;
  /** Why its server was found gone, where it was (`lost`). */
  lostReason: string | undefined;
  /** Its actor was asked to end: probed until it has, in case its server is gone already. */
  expectingEnd = false;
  /** Its actor is being moved: messages wait for its next address. */
  private moving: Promise<void> | undefined;
  /**
   * Ranges of call ids (first, last, …) whose frame the server said reached no one ("no
   * responders"): those calls did not run.
   */
  private unreachedIds: number[] | undefined;
  /** The reply subjects of its frames start so: `<inbox>.<link>.` (then their call ids). */
  private readonly replyBase: string;

  constructor(
    private readonly peer: Peer,
    readonly id: number,
    private address: Address | undefined,
  ) {
    if (address !== undefined) this.waiting = undefined;
    this.replyBase = `${peer.inbox}.${id}.`;
  }

  setAddress(address: Address): void {
    this.address = address;
    const waiting = this.waiting ?? [];
    this.waiting = undefined;
    if (this.closed) return;
    for (const { frame, message } of waiting) this.publish(frame, message);
  }

  /** The actor could not be placed: every call, sent or to come, fails with `error`. */
  fail(error: Error): void {
    const near = refusing(error, (answer) => this.onMessage?.(answer));
    this.failure = near;
    const waiting = this.waiting ?? [];
    this.waiting = undefined;
    for (const { message } of waiting) near.post(message);
  }

  post(message: Message, transfers?: readonly unknown[]): void {
    if (this.closed) return;
    if (this.failure) {
      this.failure.post(message);
      return;
    }
    const frame = this.peer.encode([this.id, message], transfers);
    if (this.waiting !== undefined) this.waiting.push({ frame, message });
    else this.publish(frame, message);
  }

  private publish(frame: Buffer, message?: Message): void {
    if (!this.owned && this.address !== undefined) this.followDirectory(this.address.subject);
    const address = this.address;
    if (address === undefined) return;
    const [first, last] = message?.[0] === Op.Calls ? callIdRange(message) : [0, 0];
    const reply = `${this.replyBase}${first}.${last}`;
    this.outbound.send(
      this.peer,
      this.id,
      frame,
      (bytes) => {
        try {
          // Where it is now: a message that waited for a move goes to the actor's next address.
          const subject = (this.address ?? address).subject;
          this.peer.nc.publish(subject, bytes, { reply });
        } catch {
          // The connection is closed: the link ends, and its calls with it.
          this.ended();
        }
      },
      (error) => {
        // A large message the blob store did not take: its calls fail alone.
        if (message !== undefined && !this.closed) this.failOne(message, error);
      },
      this.moving ?? this.peer.gate(address.subject),
    );
  }

  /** The directory version its address was last checked against. */
  private checked = -1;

  /** A link that is not the owner's goes where the directory says its actor moved. */
  private followDirectory(subject: string): void {
    const version = this.peer.directoryVersion();
    if (version === this.checked) return;
    this.checked = version;
    const moved = this.peer.movedFrom(subject);
    if (moved !== undefined) this.address = { subject: moved };
  }

  get isMoving(): boolean {
    return this.moving !== undefined;
  }

  /** The server said the frame of calls `first` to `last` reached no one: they did not run. */
  unreached(first: number, last: number): void {
    if (this.closed) return;
    if (this.unreachedIds === undefined) this.unreachedIds = [first, last];
    else this.unreachedIds.push(first, last);
  }

  /** False if the frame of the call with wire id `id` reached no one (it did not run). */
  reached(id: number): boolean {
    const ids = this.unreachedIds;
    if (ids === undefined) return true;
    for (let i = 0; i < ids.length; i += 2) {
      if (id >= (ids[i] as number) && id <= (ids[i + 1] as number)) return false;
    }
    return true;
  }

  /**
   * Takes the pending calls away unsettled and hands each, in order, to `each` with whether it
   * may have reached its actor.
   */
  takePending(each: (call: Call, reached: boolean) => void): void {
    for (const call of this.conn?.takePending() ?? []) each(call, this.reached(call.wireId));
    this.unreachedIds = undefined;
  }

  /** The pending calls that reached no one, taken away unsettled, in their order. */
  takeUnreached(): Call[] {
    const ids = this.unreachedIds;
    const conn = this.conn;
    if (ids === undefined || conn === undefined) return [];
    this.unreachedIds = undefined;
    const calls: Call[] = [];
    for (let i = 0; i < ids.length; i += 2) {
      calls.push(...conn.takeRange(ids[i] as number, ids[i + 1] as number));
    }
    return calls.sort((a, b) => a.wireId - b.wireId);
  }

  /** Messages wait for `next`, the actor's next address (undefined: it ended). */
  awaitMove(next: Promise<Address | undefined>): void {
    if (this.moving !== undefined) return;
    const moving = next.then((address) => {
      if (address !== undefined) this.address = address;
      if (this.moving === moving) this.moving = undefined;
    });
    this.moving = moving;
  }

  /** Answers the calls of one message that could not be sent with `error`. */
  private failOne(message: Message, error: unknown): void {
    const reason = new UnsendableError(`the blob store did not take a large message (${error})`);
    refusing(reason, (answer) => this.onMessage?.(answer)).post(message);
  }

  listen(onMessage: (message: Message) => void, onClose?: () => void): void {
    this.onMessage = onMessage;
    this.onClose = onClose;
  }

  hold(on: boolean): void {
    if (on && this.holder === undefined) this.holder = setInterval(() => {}, 1 << 30);
    else if (!on && this.holder !== undefined) {
      clearInterval(this.holder);
      this.holder = undefined;
    }
  }

  deliver(message: Message | null): void {
    if (this.closed) return;
    if (message === null) this.ended();
    else this.onMessage?.(message);
  }

  receiveFrame(frame: Frame): void {
    this.deliver(frame.envelope[1]);
  }

  /** A large message could not be read: the link ends, and its calls with it. */
  unreadable(): void {
    this.ended();
  }

  /** Sends to `address` from now on (the actor moved there). */
  moveTo(address: Address): void {
    this.address = address;
  }

  /** The subject to probe: set while calls are pending on a placed actor. */
  pendingSubject(): string | undefined {
    if (this.closed || this.failure !== undefined) return undefined;
    if (this.holder === undefined && !this.expectingEnd) return undefined;
    return this.address?.subject;
  }

  /** The actor's server is gone: its calls reject with `ActorDiedError` saying `reason`. */
  lost(reason: string): void {
    if (this.closed) return;
    this.lostReason = reason;
    this.onMessage?.([Op.Exiting, reason, 0] as unknown as Message);
    this.ended();
  }

  close(): void {
    if (this.closed) return;
    if (this.address !== undefined && this.failure === undefined) {
      try {
        this.publish(this.peer.encode([this.id, null], undefined));
      } catch {}
    }
    this.ended();
  }

  /** The other side is gone (or this side closed): `onClose` runs once. */
  ended(): void {
    if (this.closed) return;
    this.closed = true;
    this.hold(false);
    this.peer.forget(this);
    const onClose = this.onClose;
    if (onClose) setImmediate(onClose);
  }
}

/**
 * An actor served on a subject: each calling link (its inbox and link id) gets an endpoint of its
 * own, forwarding its calls to the actor's ref in this process; or, relayed, a port of its own to
 * the actor's host (`RelayLink`).
 */
export class Service {
  private target: ForwardingTarget | undefined;
  private readonly links = new Map<string, ServerLink | RelayLink>();
  private readonly sub: Subscription;
  private closed = false;

  constructor(
    private readonly peer: Peer,
    readonly ref: ActorRef,
    readonly subject: string,
    /** Checked before each message runs (a node that lost its lease serves nothing). */
    readonly admit: () => boolean = () => true,
    /** Each link's messages pass to the actor's host over a port of its own, unread here. */
    private readonly relay = false,
  ) {
    this.sub = peer.nc.subscribe(subject, {
      callback: (error, msg) => {
        if (!error) this.receive(msg);
      },
    });
  }

  private receive(msg: Msg): void {
    if (this.closed || !msg.reply || !this.admit()) return;
    const inbox = inboxOf(msg.reply);
    if (inbox === undefined) return;
    let frame: Frame;
    try {
      frame = this.peer.decodeFrame(msg.data);
    } catch {
      return;
    }
    const linkId = frame.envelope[0];
    const key = `${inbox} ${linkId}`;
    let link = this.links.get(key);
    if (link === undefined) {
      if (frame.envelope[1] === null) return;
      link = this.open(inbox, linkId, () => {
        if (this.links.get(key) === link) this.links.delete(key);
      });
      this.links.set(key, link);
    }
    link.inbound.take(this.peer, frame, link);
  }

  private open(inbox: string, linkId: number, forget: () => void): ServerLink | RelayLink {
    if (this.relay) return new RelayLink(this.peer, inbox, linkId, this.ref, forget);
    const link = new ServerLink(this.peer, inbox, linkId, forget);
    this.target ??= new ForwardingTarget(this.ref);
    new Endpoint(link, this.target, false);
    return link;
  }

  /**
   * Stops serving: every calling link hears that the actor is gone; `quietly`, none does (the
   * actor starts again elsewhere: its callers find nothing here, and follow it).
   */
  close(quietly = false): void {
    if (this.closed) return;
    this.closed = true;
    this.sub.unsubscribe();
    for (const link of [...this.links.values()]) {
      if (quietly) link.ended();
      else link.close();
    }
    this.links.clear();
    this.peer.unserve(this);
  }
}

/**
 * The caller's inbox a frame's reply subject names: `<inbox>.<link>.<first>.<last>` (the frame's
 * link and call ids, for the server's "no responders"). Undefined for any other reply.
 */
function inboxOf(reply: string): string | undefined {
  let end = reply.length;
  for (let i = 0; i < 3; i++) {
    end = reply.lastIndexOf('.', end - 1);
    if (end <= 0) return undefined;
  }
  return reply.slice(0, end);
}

/** The serving side of one calling link: answers go to the caller's inbox. */
class ServerLink implements Transport, Receiver {
  readonly sharesMemory = false;
  readonly inbound = new Inbound();
  private readonly outbound = new Outbound();
  private onMessage: ((message: Message) => void) | undefined;
  private onClose: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly peer: Peer,
    private readonly inbox: string,
    private readonly id: number,
    private readonly forget: () => void,
  ) {}

  post(message: Message, transfers?: readonly unknown[]): void {
    if (this.closed) return;
    answer(
      this.peer,
      this.outbound,
      this.id,
      this.inbox,
      this.peer.encode([this.id, message], transfers),
      this,
    );
  }

  listen(onMessage: (message: Message) => void, onClose?: () => void): void {
    this.onMessage = onMessage;
    this.onClose = onClose;
  }

  hold(): void {}

  receiveFrame(frame: Frame): void {
    const message = frame.envelope[1];
    if (message === null) this.ended();
    else if (!this.closed) this.onMessage?.(message);
  }

  unreadable(): void {
    this.close();
  }

  close(): void {
    if (this.closed) return;
    // After the answers still on their way (a large one goes through the blob store first).
    this.outbound.send(
      this.peer,
      this.id,
      this.peer.encode([this.id, null], undefined),
      (bytes) => {
        try {
          this.peer.nc.publish(this.inbox, bytes);
        } catch {}
      },
      () => {},
    );
    this.ended();
  }

  ended(): void {
    if (this.closed) return;
    this.closed = true;
    this.forget();
    const onClose = this.onClose;
    if (onClose) setImmediate(onClose);
  }
}

/**
 * The serving side of one calling link, relayed: its messages pass as they arrive to a port of
 * its own on the actor's host (`ref.connect()`: its worker, served there as a handle in another
 * thread is), and the host's answers go to the caller's inbox as they come. This thread keeps no
 * record of a call: the host runs and answers each as for any caller. What this side does for
 * the caller is what needs shared memory with the host: it holds the calls' cells and decides
 * the caller's cancels by them (`RelayedCalls`). A kill goes to the actor's owner here
 * (`ref.kill()`), which ends it as its owner would. For an actor with one host and no restarts alone (a restartable one's calls
 * must follow it to its next worker, through its owner).
 *
 * What this side checks is the link's: the lease (`Service.admit`, before a message is read),
 * the encoding of answers for the network. An answer that cannot cross machines (a shared
 * primitive, one over `maxMessageBytes`) fails its call alone, as an endpoint's refusal would:
 * a stream whose item cannot is cancelled at its host, and heard of no more.
 */
class RelayLink implements Receiver {
  readonly inbound = new Inbound();
  private readonly outbound = new Outbound();
  private readonly port: MessagePort;
  /** The calls' cells, for cancels: this side decides them as a caller sharing memory would. */
  private readonly calls: RelayedCalls;
  private closed = false;
  /** Streams whose item could not be sent: what their host still answers is dropped. */
  private failedStreams: Set<number> | undefined;

  constructor(
    private readonly peer: Peer,
    private readonly inbox: string,
    private readonly id: number,
    private readonly ref: ActorRef,
    private readonly forget: () => void,
  ) {
    const port = ref.connect();
    this.port = port;
    this.calls = new RelayedCalls((message, transfers) => port.postMessage(message, transfers));
    port.on('message', (message: FromHost) => this.answer(message));
    // The host is gone (it ended, or was killed): the caller hears the link end.
    this.port.on('close', () => this.close());
    this.port.unref();
  }

  receiveFrame(frame: Frame): void {
    const message = frame.envelope[1];
    if (message === null) {
      // The caller closed its link: the host hears the port close.
      this.ended();
      return;
    }
    if (this.closed) return;
    if (message[0] === Op.Kill) void this.ref.kill();
    else if (FROM_CALLERS.has(message[0])) {
      this.calls.relay(message as ToHost, frame.ports, frame.body);
    }
    // Anything else is for a host's own threads (its cells, its supervisor's orders): dropped.
  }

  unreadable(): void {
    this.close();
  }

  private answer(message: FromHost): void {
    if (this.closed) return;
    if (message[0] === Op.Serialized) {
      // Results the host wrote itself: sent on as they are, unless they cannot go whole.
      const serialized = message as SerializedResultsMessage;
      this.calls.answeredIds(serialized[2]);
      if (this.failedStreams === undefined) {
        const frame = this.peer.frameOfSerialized(this.id, serialized[1]);
        if (frame !== undefined) {
          this.send(frame);
          return;
        }
      }
      this.answerBatch(deserializeResults(serialized));
      return;
    }
    if (message[0] === Op.Results) this.calls.answered(message);
    this.answerBatch(message);
  }

  private answerBatch(message: FromHost): void {
    if (this.failedStreams === undefined) {
      let frame: Buffer | undefined;
      try {
        frame = this.peer.encodeRelayed([this.id, message as Message]);
      } catch {
        // Sent again result by result below.
      }
      if (frame !== undefined) {
        this.send(frame);
        return;
      }
    }
    if (message[0] !== Op.Results) {
      // Strings and numbers alone (Op.Exiting): only a link that is gone refuses them.
      return;
    }
    forEachResult(message, (callId, status, value) => this.answerOne(callId, status, value));
  }

  /**
   * One result of a batch that could not be sent whole: sent alone, or, if it cannot be, its
   * call fails with the reason (as `Endpoint` does with a refusing transport).
   */
  private answerOne(callId: number, status: Status, value: unknown): void {
    const streaming = isStreamItem(status);
    if (this.failedStreams?.has(callId)) {
      // Its stream failed here: the host's later items and its end (or cancel) go no further.
      if (!streaming) this.failedStreams.delete(callId);
      return;
    }
    let frame: Buffer;
    try {
      frame = this.peer.encodeRelayed([this.id, oneResult(callId, status, value)]);
    } catch (error) {
      const reason = reasonOf(error);
      if (streaming) {
        this.failedStreams ??= new Set();
        this.failedStreams.add(callId);
        // The generator stops at its host (its answer to the cancel is dropped, above).
        this.port.postMessage([Op.Cancel, -callId]);
      }
      const failed =
        status === Status.Threw
          ? oneResult(callId, Status.Threw, unsendableError(value, reason))
          : oneResult(callId, Status.NotCloneable, reason);
      try {
        frame = this.peer.encode([this.id, failed], undefined);
      } catch {
        return;
      }
    }
    this.send(frame);
  }

  private send(frame: Buffer): void {
    answer(this.peer, this.outbound, this.id, this.inbox, frame, this);
  }

  /**
   * Ends the link (its host is gone, or the actor stopped being served here): calls that had not
   * started never will, and fail as not run (`mayHaveRun: false`); the caller then hears the link
   * end, which fails the others as may-have-run.
   */
  close(): void {
    if (this.closed) return;
    const { info } = this.ref;
    for (const [callId, methodId] of this.calls.withdraw()) {
      // Method id -1 is `ready()`.
      const method = info.methods[methodId] ?? 'ready';
      const dropped = oneResult(
        callId,
        Status.Dropped,
        `Actor ${info.name} ended (its thread ended) before call '${method}' started; it did ` +
          'not run.',
      );
      this.send(this.peer.encode([this.id, dropped], undefined));
    }
    this.send(this.peer.encode([this.id, null], undefined));
    this.ended();
  }

  ended(): void {
    if (this.closed) return;
    this.closed = true;
    this.forget();
    // Calls that arrived before the end go first (a port sends what was posted before it closed).
    this.calls.flush();
    this.port.close();
  }
}

/** What a caller sends a host over the network; a relay passes on nothing else. */
const FROM_CALLERS: ReadonlySet<unknown> = new Set([
  Op.Calls,
  Op.Cancel,
  Op.StreamCredit,
  Op.Terminate,
]);

/** Sends a serving link's answers to its caller's inbox, in order. */
function answer(
  peer: Peer,
  outbound: Outbound,
  id: number,
  inbox: string,
  frame: Buffer,
  link: { ended(): void; close(): void },
): void {
  outbound.send(
    peer,
    id,
    frame,
    (bytes) => {
      try {
        peer.nc.publish(inbox, bytes);
      } catch {
        link.ended();
      }
    },
    // Results the blob store did not take: the caller hears the link end (its calls reject
    // with ActorDiedError, as having maybe run), rather than wait for them.
    () => link.close(),
  );
}

/** The reason a value was refused, as a string whatever it is. */
function reasonOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * A link to no actor, answering each call posted to it with `error` as a host would (a spawn
 * that failed, a message the blob store did not take): the answers go to `answer`.
 */
function refusing(error: Error, answer: (message: Message) => void): Transport {
  let toEndpoint: ((message: Message) => void) | undefined;
  const nothing = () => {};
  new Endpoint(
    {
      post: (message) => queueMicrotask(() => answer(message)),
      listen: (onMessage) => {
        toEndpoint = onMessage;
      },
      hold: nothing,
      close: nothing,
    },
    { submit: (endpoint, callId) => endpoint.fail(callId, error), control: nothing },
    false,
  );
  return {
    post: (message) => queueMicrotask(() => toEndpoint?.(message)),
    listen: nothing,
    hold: nothing,
    close: nothing,
  };
}
