/**
 * The server side of ICE: an ICE-lite agent (RFC 8445 §2.5), always in the
 * controlled role, on shared muxes (one UDP socket, one passive ICE-TCP port).
 *
 * A lite agent gathers only host candidates and sends no checks: it answers
 * the peer's Binding requests (§7.3), learns a valid tuple from each one it
 * answers with success, and takes the tuple the peer nominates with
 * USE-CANDIDATE (§8.2) as the one it sends on. A later nominated tuple
 * replaces it (a client moving to another network). The peer's checks are
 * also its consent (RFC 7675): without one on the selected tuple for
 * `disconnectedTimeoutMs` the agent is 'disconnected', and after
 * `consentTimeoutMs` it closes itself.
 *
 * Packets are views into the received bytes and are valid only during the
 * 'packet' event: copy what is kept.
 */
import { EventEmitter } from 'node:events';
import {
  AttributeType,
  ErrorCode,
  type IntegrityAlgorithm,
  isComprehensionRequired,
  MessageClass,
  type StunMessage,
  StunMessageBuilder,
  shortTermKey,
} from '../stun/index.js';
import { type Log, silentLog } from '../util/log.js';
import { formatCandidate, hostCandidatePriority, hostFoundation, type IceCandidate } from './candidate.js';
import { assertValidParameters, generateIceParameters, type IceParameters } from './credentials.js';
import type { MediaPacketKind } from './demux.js';
import { IceError } from './errors.js';
import type { IceMux, IceMuxListener, IceTuple } from './tuple.js';

/** ICE state of a lite agent, named as RTCIceTransportState where they mean the same. */
export type IceLiteState = 'new' | 'connected' | 'completed' | 'disconnected' | 'closed';

/** Events of an ICE-lite agent. */
export interface IceLiteAgentEvents {
  statechange: [state: IceLiteState];
  /** The tuple the peer nominated, now the one `send` uses. */
  selectedtuple: [tuple: IceTuple];
  /** A DTLS, RTP or RTCP packet on a validated tuple (a view, valid during the call). */
  packet: [data: Buffer, kind: MediaPacketKind, tuple: IceTuple];
  /** Emitted once, by `close` or by consent expiry. */
  closed: [];
}

/** Options of an ICE-lite agent. */
export interface IceLiteAgentOptions {
  /** Shared UDP sockets to offer host candidates on. */
  udp?: readonly IceMux[];
  /** Shared passive ICE-TCP ports to offer host candidates on. */
  tcp?: readonly IceMux[];
  /** The peer's parameters, when already known. */
  remoteParameters?: Pick<IceParameters, 'usernameFragment' | 'password'>;
  /** Time without a valid check on the selected tuple after which the agent closes (RFC 7675 §5.1: 30 s). */
  consentTimeoutMs?: number;
  /** Time without a valid check after which the state is 'disconnected' (default: half the consent timeout). */
  disconnectedTimeoutMs?: number;
  /** SOFTWARE attribute of responses; none by default. */
  software?: string;
  /** Clock, for tests. */
  now?: () => number;
  log?: Log;
}

/** Counters of an agent: plain numbers, so the hot path only increments. */
export class IceLiteAgentStats {
  /** Binding requests routed to the agent. */
  checksReceived = 0;
  /** Binding requests answered with success. */
  checksSucceeded = 0;
  /** Checks with USE-CANDIDATE that changed the selected tuple. */
  nominations = 0;
  /** 400 answers: no USERNAME, MESSAGE-INTEGRITY, FINGERPRINT or PRIORITY. */
  badRequests = 0;
  /** 401 answers: unknown ufrag pair or wrong password. */
  unauthorized = 0;
  /** 420 answers: comprehension-required attributes we do not know. */
  unknownAttributes = 0;
  /** 487 answers: the peer also claimed the controlled role. */
  roleConflicts = 0;
  packetsIn = 0;
  bytesIn = 0;
  packetsOut = 0;
  bytesOut = 0;
  /** Packets `send`/`sendTo` could not send (no selected tuple, not validated, refused by the socket). */
  sendFailures = 0;
  /** Exceptions thrown by event listeners, caught so they never reach a socket. */
  listenerErrors = 0;
}

/** A generation of credentials: one before and one after each ICE restart. */
interface CredentialSet {
  local: IceParameters;
  key: Buffer;
  remote: Pick<IceParameters, 'usernameFragment' | 'password'> | undefined;
}

/** A validated tuple and the time of its latest valid check. */
interface ValidTuple {
  tuple: IceTuple;
  lastCheckAt: number;
}

/** Attributes a Binding request may carry that we understand (RFC 8445 §7.1, RFC 8489 §14). */
const KNOWN_ATTRIBUTES: ReadonlySet<number> = new Set([
  AttributeType.Username,
  AttributeType.MessageIntegrity,
  AttributeType.MessageIntegritySha256,
  AttributeType.Priority,
  AttributeType.UseCandidate,
  AttributeType.Fingerprint,
  AttributeType.IceControlled,
  AttributeType.IceControlling,
]);

/** Lower bound on timer delays, so that a clock step never spins the timer. */
const MIN_TIMER_MS = 10;

/** An ICE-lite agent on shared muxes. */
export class IceLiteAgent extends EventEmitter<IceLiteAgentEvents> implements IceMuxListener {
  /** Counters for metrics and tests. */
  readonly stats = new IceLiteAgentStats();
  /** Host candidates: UDP, then TCP passive, one per mux, with the announced address. */
  readonly localCandidates: readonly IceCandidate[];
  private readonly muxes: readonly IceMux[];
  private readonly consentTimeoutMs: number;
  private readonly disconnectedTimeoutMs: number;
  private readonly software: string | undefined;
  private readonly now: () => number;
  private readonly log: Log;
  private current: CredentialSet;
  /** New credentials after `restart`, until the first valid check that uses them. */
  private pending: CredentialSet | undefined;
  private readonly valid = new Map<string, ValidTuple>();
  private selected: ValidTuple | undefined;
  private stateValue: IceLiteState = 'new';
  /** Latest valid check on any tuple. */
  private lastCheckAt = 0;
  private consentTimer: NodeJS.Timeout | undefined;

  constructor(options: IceLiteAgentOptions) {
    super();
    const udp = options.udp ?? [];
    const tcp = options.tcp ?? [];
    if (udp.length + tcp.length === 0) {
      throw new IceError('ERR_ICE_INVALID_OPTION', 'an agent needs at least one UDP or TCP mux');
    }
    for (const mux of udp) {
      if (mux.protocol !== 'udp') throw new IceError('ERR_ICE_INVALID_OPTION', '`udp` holds a TCP mux');
    }
    for (const mux of tcp) {
      if (mux.protocol !== 'tcp') throw new IceError('ERR_ICE_INVALID_OPTION', '`tcp` holds a UDP mux');
    }
    this.consentTimeoutMs = options.consentTimeoutMs ?? 30_000;
    this.disconnectedTimeoutMs = options.disconnectedTimeoutMs ?? Math.floor(this.consentTimeoutMs / 2);
    if (!(this.consentTimeoutMs > 0) || !(this.disconnectedTimeoutMs > 0)) {
      throw new IceError('ERR_ICE_INVALID_OPTION', 'timeouts must be positive');
    }
    if (this.disconnectedTimeoutMs > this.consentTimeoutMs) {
      throw new IceError('ERR_ICE_INVALID_OPTION', 'disconnectedTimeoutMs is longer than consentTimeoutMs');
    }
    if (options.remoteParameters) assertValidParameters(options.remoteParameters);
    this.software = options.software;
    this.now = options.now ?? Date.now;
    this.log = options.log ?? silentLog;
    this.muxes = [...udp, ...tcp];
    this.localCandidates = buildCandidates(this.muxes);
    this.current = credentialSet(generateIceParameters(true), options.remoteParameters);
    this.registerCredentials(this.current);
  }

  /** The parameters to signal: after `restart`, the new ones. */
  get localParameters(): IceParameters {
    return { ...(this.pending ?? this.current).local };
  }

  /** The peer's parameters for the newest credentials, when known. */
  get remoteParameters(): Pick<IceParameters, 'usernameFragment' | 'password'> | undefined {
    const remote = (this.pending ?? this.current).remote;
    return remote && { ...remote };
  }

  /** A lite agent is always controlled (RFC 8445 §6.1.1). */
  get role(): 'controlled' {
    return 'controlled';
  }

  get state(): IceLiteState {
    return this.stateValue;
  }

  /** The nominated tuple `send` uses, if any. */
  get selectedTuple(): IceTuple | undefined {
    return this.selected?.tuple;
  }

  /** Every tuple a valid check arrived on and whose consent has not expired. */
  get validTuples(): IceTuple[] {
    return [...this.valid.values()].map((entry) => entry.tuple);
  }

  /** The local candidates as a=candidate values. */
  get localCandidateLines(): string[] {
    return this.localCandidates.map(formatCandidate);
  }

  /**
   * Sets the peer's ufrag and password (from its SDP) for the newest local
   * credentials. Checks must then carry USERNAME "localUfrag:remoteUfrag";
   * until it is set, any remote part is accepted. Throws ERR_ICE_BAD_PARAMETERS.
   */
  setRemoteParameters(parameters: Pick<IceParameters, 'usernameFragment' | 'password'>): void {
    this.assertOpen();
    assertValidParameters(parameters);
    (this.pending ?? this.current).remote = {
      usernameFragment: parameters.usernameFragment,
      password: parameters.password,
    };
  }

  /**
   * ICE restart (RFC 8445 §9): new local credentials, returned for the SDP.
   * The old ones stay valid, and the selected tuple keeps working, until the
   * first valid check that uses the new ones. Give the peer's new parameters
   * here or through `setRemoteParameters` afterwards.
   */
  restart(remoteParameters?: Pick<IceParameters, 'usernameFragment' | 'password'>): IceParameters {
    this.assertOpen();
    if (remoteParameters) assertValidParameters(remoteParameters);
    if (this.pending) this.unregisterCredentials(this.pending);
    this.pending = credentialSet(generateIceParameters(true), remoteParameters);
    this.registerCredentials(this.pending);
    return { ...this.pending.local };
  }

  /** Sends a packet on the selected tuple; false when there is none or the socket refuses it. */
  send(data: Buffer): boolean {
    const selected = this.selected;
    if (!selected) {
      this.stats.sendFailures++;
      return false;
    }
    return this.transmit(data, selected.tuple);
  }

  /** Sends a packet on one of the valid tuples; false for any other tuple (RFC 7675: no consent). */
  sendTo(data: Buffer, tuple: IceTuple): boolean {
    if (this.valid.get(tuple.key)?.tuple !== tuple) {
      this.stats.sendFailures++;
      return false;
    }
    return this.transmit(data, tuple);
  }

  /** Unregisters from the muxes, closes TCP tuples, emits 'statechange' and 'closed'. Idempotent. */
  close(): void {
    if (this.stateValue === 'closed') return;
    if (this.consentTimer) clearTimeout(this.consentTimer);
    this.consentTimer = undefined;
    this.unregisterCredentials(this.current);
    if (this.pending) this.unregisterCredentials(this.pending);
    this.pending = undefined;
    const tuples = [...this.valid.values()];
    this.valid.clear();
    this.selected = undefined;
    for (const { tuple } of tuples) tuple.mux.unbind(tuple, this);
    this.setState('closed');
    this.safeEmit('closed');
  }

  // ---- IceMuxListener: called by the muxes ----

  /** Answers a Binding request (RFC 8445 §7.3) and learns the tuple from a valid one. */
  onBindingRequest(message: StunMessage, tuple: IceTuple): void {
    if (this.stateValue === 'closed') return;
    this.stats.checksReceived++;
    const username = message.get(AttributeType.Username);
    const hasIntegrity =
      message.has(AttributeType.MessageIntegrity) || message.has(AttributeType.MessageIntegritySha256);
    // RFC 8489 §9.1.3: no USERNAME or MESSAGE-INTEGRITY is a 400, unsigned. RFC 8445 §7.2.2:
    // checks carry FINGERPRINT (decodeMessage has already verified it when present).
    if (!username || !hasIntegrity || !message.has(AttributeType.Fingerprint)) {
      this.stats.badRequests++;
      this.respondError(message, tuple, ErrorCode.BadRequest, undefined);
      return;
    }
    const set = this.credentialsFor(username.toString('utf8'));
    const algorithm = set && message.checkIntegrity(set.key);
    if (!set || !algorithm || algorithm === 'missing') {
      // RFC 8489 §9.1.3: an unknown username or a wrong HMAC is a 401, unsigned.
      this.stats.unauthorized++;
      this.respondError(message, tuple, ErrorCode.Unauthorized, undefined);
      return;
    }
    const signing = { algorithm, key: set.key };
    const unknown = message.attributes
      .filter((attribute) => isComprehensionRequired(attribute.type) && !KNOWN_ATTRIBUTES.has(attribute.type))
      .map((attribute) => attribute.type);
    if (unknown.length > 0) {
      // RFC 8489 §6.3.1.1.
      this.stats.unknownAttributes++;
      this.respondError(message, tuple, ErrorCode.UnknownAttribute, signing, unknown);
      return;
    }
    const priority = message.getUint32(AttributeType.Priority);
    const controlled = message.get(AttributeType.IceControlled);
    const controlling = message.get(AttributeType.IceControlling);
    if (
      priority === undefined ||
      (controlled !== undefined && controlled.length !== 8) ||
      (controlling !== undefined && controlling.length !== 8)
    ) {
      // RFC 8445 §7.1.1: PRIORITY is mandatory; the role attributes hold a 64-bit tie-breaker.
      this.stats.badRequests++;
      this.respondError(message, tuple, ErrorCode.BadRequest, signing);
      return;
    }
    if (controlled !== undefined) {
      // RFC 8445 §7.3.1.1: both sides claim the controlled role. A lite agent cannot take
      // the controlling role (§6.1.1), so whatever the tie-breakers it answers 487 and the
      // full agent switches to controlling.
      this.stats.roleConflicts++;
      this.respondError(message, tuple, ErrorCode.RoleConflict, signing);
      return;
    }
    this.respondSuccess(message, tuple, signing);
    this.onValidCheck(tuple, set, message.has(AttributeType.UseCandidate));
  }

  /** A media packet on a validated tuple. */
  onPacket(data: Buffer, kind: MediaPacketKind, tuple: IceTuple): void {
    if (this.stateValue === 'closed') return;
    this.stats.packetsIn++;
    this.stats.bytesIn += data.length;
    this.safeEmit('packet', data, kind, tuple);
  }

  /** A tuple is gone (TCP close, address taken over, mux closed). */
  onTupleClosed(tuple: IceTuple): void {
    const entry = this.valid.get(tuple.key);
    if (!entry || entry.tuple !== tuple) return;
    this.valid.delete(tuple.key);
    if (this.selected === entry) {
      this.selected = undefined;
      if (this.stateValue !== 'closed') this.setState('disconnected');
    }
  }

  // ---- Checks ----

  /** The credential set of a USERNAME "localUfrag:remoteUfrag" (RFC 8445 §7.3), if it is one of ours. */
  private credentialsFor(username: string): CredentialSet | undefined {
    const colon = username.indexOf(':');
    if (colon === -1) return undefined;
    const localUfrag = username.slice(0, colon);
    const remoteUfrag = username.slice(colon + 1);
    for (const set of [this.current, this.pending]) {
      if (!set || set.local.usernameFragment !== localUfrag) continue;
      if (set.remote && set.remote.usernameFragment !== remoteUfrag) return undefined;
      return set;
    }
    return undefined;
  }

  private onValidCheck(tuple: IceTuple, set: CredentialSet, useCandidate: boolean): void {
    this.stats.checksSucceeded++;
    const now = this.now();
    this.lastCheckAt = now;
    if (set === this.pending) this.completeRestart();
    let entry = this.valid.get(tuple.key);
    if (!entry) {
      entry = { tuple, lastCheckAt: now };
      this.valid.set(tuple.key, entry);
      tuple.mux.bind(tuple, this);
    } else {
      entry.lastCheckAt = now;
    }
    if (this.stateValue === 'new') this.setState('connected');
    // RFC 8445 §8.2.2 / §7.3.1.5: a nominated pair becomes the selected one; a later
    // nomination on another tuple (the client moved) replaces it.
    const nominated = useCandidate && this.selected !== entry;
    if (nominated) {
      this.selected = entry;
      this.stats.nominations++;
    }
    const target: IceLiteState = this.selected ? 'completed' : 'connected';
    if (this.stateValue !== target && this.stateValue !== 'closed') this.setState(target);
    if (nominated && this.selected === entry) this.safeEmit('selectedtuple', entry.tuple);
    if (!this.consentTimer && this.stateValue !== 'closed') this.armConsentTimer(this.disconnectedTimeoutMs);
  }

  /** The first valid check with the new credentials ends the restart: the old ufrag stops working. */
  private completeRestart(): void {
    const pending = this.pending!;
    this.unregisterCredentials(this.current);
    this.current = pending;
    this.pending = undefined;
  }

  private respondSuccess(
    request: StunMessage,
    tuple: IceTuple,
    signing: { algorithm: IntegrityAlgorithm; key: Buffer },
  ): void {
    const builder = StunMessageBuilder.response(request, MessageClass.SuccessResponse);
    if (this.software) builder.add(AttributeType.Software, this.software);
    builder.addXorAddress(AttributeType.XorMappedAddress, tuple.remote);
    builder.addIntegrity(signing.algorithm, signing.key);
    tuple.send(builder.addFingerprint().build());
  }

  private respondError(
    request: StunMessage,
    tuple: IceTuple,
    code: number,
    signing: { algorithm: IntegrityAlgorithm; key: Buffer } | undefined,
    unknownAttributes?: number[],
  ): void {
    const builder = StunMessageBuilder.response(request, MessageClass.ErrorResponse);
    if (this.software) builder.add(AttributeType.Software, this.software);
    builder.addErrorCode(code);
    if (unknownAttributes) builder.addUnknownAttributes(unknownAttributes);
    if (signing) builder.addIntegrity(signing.algorithm, signing.key);
    tuple.send(builder.addFingerprint().build());
  }

  // ---- Consent (RFC 7675) ----

  private armConsentTimer(delayMs: number): void {
    this.consentTimer = setTimeout(() => this.onConsentTimer(), Math.max(MIN_TIMER_MS, delayMs));
    this.consentTimer.unref();
  }

  /**
   * Runs at the next deadline only, not per check: drops valid tuples whose
   * consent expired, and moves the agent to 'disconnected' or closes it from
   * the age of the latest check on the selected tuple (any tuple before one
   * is selected).
   */
  private onConsentTimer(): void {
    this.consentTimer = undefined;
    if (this.stateValue === 'closed') return;
    const now = this.now();
    let nextDeadline = Number.POSITIVE_INFINITY;
    for (const entry of [...this.valid.values()]) {
      if (entry === this.selected) continue;
      const age = now - entry.lastCheckAt;
      if (age >= this.consentTimeoutMs) {
        this.valid.delete(entry.tuple.key);
        entry.tuple.mux.unbind(entry.tuple, this);
      } else {
        nextDeadline = Math.min(nextDeadline, this.consentTimeoutMs - age);
      }
    }
    const idle = now - (this.selected ? this.selected.lastCheckAt : this.lastCheckAt);
    if (idle >= this.consentTimeoutMs) {
      this.log.debug({ idleMs: idle }, 'ICE consent expired');
      if (this.stateValue !== 'disconnected') this.setState('disconnected');
      this.close();
      return;
    }
    if (idle >= this.disconnectedTimeoutMs) {
      if (this.stateValue !== 'disconnected') this.setState('disconnected');
      nextDeadline = Math.min(nextDeadline, this.consentTimeoutMs - idle);
    } else {
      nextDeadline = Math.min(nextDeadline, this.disconnectedTimeoutMs - idle);
    }
    this.armConsentTimer(nextDeadline);
  }

  // ---- Helpers ----

  private transmit(data: Buffer, tuple: IceTuple): boolean {
    if (this.stateValue === 'closed' || !tuple.send(data)) {
      this.stats.sendFailures++;
      return false;
    }
    this.stats.packetsOut++;
    this.stats.bytesOut += data.length;
    return true;
  }

  private registerCredentials(set: CredentialSet): void {
    const registered: IceMux[] = [];
    try {
      for (const mux of this.muxes) {
        mux.registerUsernameFragment(set.local.usernameFragment, this);
        registered.push(mux);
      }
    } catch (error) {
      for (const mux of registered) mux.unregisterUsernameFragment(set.local.usernameFragment, this);
      throw error;
    }
  }

  private unregisterCredentials(set: CredentialSet): void {
    for (const mux of this.muxes) mux.unregisterUsernameFragment(set.local.usernameFragment, this);
  }

  private assertOpen(): void {
    if (this.stateValue === 'closed') throw new IceError('ERR_ICE_CLOSED', 'the ICE agent is closed');
  }

  private setState(state: IceLiteState): void {
    this.stateValue = state;
    this.safeEmit('statechange', state);
  }

  /** Emits with listener errors caught and counted: they must never reach a socket handler. */
  private safeEmit<K extends keyof IceLiteAgentEvents>(event: K, ...args: IceLiteAgentEvents[K]): void {
    try {
      (this.emit as (event: K, ...args: IceLiteAgentEvents[K]) => boolean)(event, ...args);
    } catch (error) {
      this.stats.listenerErrors++;
      this.log.error({ err: error, event }, 'ICE agent event listener threw');
    }
  }
}

function credentialSet(
  local: IceParameters,
  remote: Pick<IceParameters, 'usernameFragment' | 'password'> | undefined,
): CredentialSet {
  return {
    local,
    key: shortTermKey(local.password),
    remote: remote && { usernameFragment: remote.usernameFragment, password: remote.password },
  };
}

/** Host candidates for the muxes; candidates of one transport and family get distinct priorities. */
function buildCandidates(muxes: readonly IceMux[]): IceCandidate[] {
  const seen = new Map<string, number>();
  return muxes.map((mux) => {
    const family = mux.announcedAddress.includes(':') ? 6 : 4;
    const group = `${mux.protocol}${family}`;
    const index = seen.get(group) ?? 0;
    seen.set(group, index + 1);
    const candidate: IceCandidate = {
      foundation: hostFoundation(mux.protocol, mux.announcedAddress),
      component: 1,
      protocol: mux.protocol,
      // Later muxes of the same kind one step lower in local preference (2^8 in priority).
      priority: hostCandidatePriority(mux.protocol, family) - index * 0x100,
      address: mux.announcedAddress,
      port: mux.localAddress.port,
      type: 'host',
    };
    if (mux.protocol === 'tcp') candidate.tcpType = 'passive';
    return candidate;
  });
}
