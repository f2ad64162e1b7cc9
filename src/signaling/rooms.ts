/**
 * The rooms of this server, in memory. Rooms are created on first join or by
 * the admin API and closed when deleted or after they stayed empty for their
 * timeout. A multi-node deployment puts a Redis-backed store behind the same
 * calls (ARCHITECTURE.md, cluster/).
 */
import type { Log } from '../util/log.js';
import type { ServerMessage } from './protocol.js';
import { type Participant, Room, type RoomSettings } from './room.js';

/** Defaults for rooms created on first join. */
export interface RoomDefaults {
  mode: 'p2p' | 'sfu';
  maxParticipants: number;
  emptyTimeoutMs: number;
}

/** Why a participant left, as `participant_left` and `left` say it. */
export type LeaveReason = 'left' | 'timeout' | 'removed' | 'room_deleted' | 'replaced';

/** Counters for metrics. */
export class SignalingStats {
  roomsCreated = 0;
  roomsClosed = 0;
  participantsJoined = 0;
  participantsLeft = 0;
  sessionsResumed = 0;
  /** Messages relayed between participants (offer, answer, candidate, data), per recipient. */
  messagesRelayed = 0;
  /** Messages refused: malformed, unauthorized, over a limit. */
  messagesRefused = 0;
  connectionsOpened = 0;
  connectionsRateLimited = 0;
}

/** All rooms. */
export class RoomManager {
  readonly stats = new SignalingStats();
  private readonly rooms = new Map<string, Room>();
  private readonly defaults: RoomDefaults;
  private readonly log: Log;
  private readonly now: () => number;

  constructor(defaults: RoomDefaults, log: Log, now: () => number = Date.now) {
    this.defaults = defaults;
    this.log = log;
    this.now = now;
  }

  /** Number of open rooms. */
  get size(): number {
    return this.rooms.size;
  }

  /** Participants in all rooms, connected or within their grace period. */
  participantCount(): number {
    let count = 0;
    for (const room of this.rooms.values()) count += room.participants.size;
    return count;
  }

  get(name: string): Room | undefined {
    return this.rooms.get(name);
  }

  list(): Room[] {
    return [...this.rooms.values()];
  }

  /** Creates a room with settings (admin API); undefined when it exists. */
  create(name: string, settings: Partial<RoomSettings> = {}): Room | undefined {
    if (this.rooms.has(name)) return undefined;
    const room = new Room(
      name,
      {
        mode: settings.mode ?? this.defaults.mode,
        maxParticipants: settings.maxParticipants ?? this.defaults.maxParticipants,
        emptyTimeoutMs: settings.emptyTimeoutMs ?? this.defaults.emptyTimeoutMs,
        metadata: settings.metadata ?? null,
      },
      this.now(),
    );
    this.rooms.set(name, room);
    this.stats.roomsCreated++;
    this.log.info({ room: name, mode: room.settings.mode }, 'room created');
    // A room made ahead of time still closes if nobody comes.
    this.scheduleEmptyClose(room);
    return room;
  }

  /** The room, created with the defaults when it does not exist. */
  getOrCreate(name: string): Room {
    return this.rooms.get(name) ?? this.create(name)!;
  }

  /** Adds a participant; the caller checked capacity. */
  add(room: Room, participant: Participant): void {
    if (room.emptyTimer) {
      clearTimeout(room.emptyTimer);
      room.emptyTimer = undefined;
    }
    room.participants.set(participant.id, participant);
    this.stats.participantsJoined++;
    room.broadcast({ type: 'participant_joined', participant: participant.info() }, participant);
  }

  /**
   * Takes a participant out: tells the others, tells it (`left`) and closes
   * its connection when it has one, and starts the room's empty timer.
   */
  remove(room: Room, participant: Participant, reason: LeaveReason): void {
    if (room.participants.get(participant.id) !== participant) return;
    room.participants.delete(participant.id);
    clearTimeout(participant.graceTimer);
    participant.sfu?.close();
    participant.sfu = undefined;
    this.stats.participantsLeft++;
    const publicReason = reason === 'room_deleted' || reason === 'replaced' ? 'removed' : reason;
    room.broadcast({ type: 'participant_left', participantId: participant.id, reason: publicReason });
    const link = participant.link;
    participant.link = undefined;
    if (link) {
      const left: ServerMessage = {
        type: 'left',
        reason: reason === 'room_deleted' ? 'room_deleted' : reason === 'left' ? 'left' : 'removed',
      };
      link.send(left);
      link.close(reason === 'left' ? 1000 : reason === 'replaced' ? 4009 : 4010, reason);
    }
    this.log.debug({ room: room.name, participant: participant.id, reason }, 'participant left');
    if (room.participants.size === 0) this.scheduleEmptyClose(room);
  }

  /** Deletes a room: everyone in it gets `left` (room_deleted). */
  delete(name: string): boolean {
    const room = this.rooms.get(name);
    if (!room) return false;
    room.closed = true;
    for (const participant of [...room.participants.values()]) this.remove(room, participant, 'room_deleted');
    this.close(room);
    return true;
  }

  private scheduleEmptyClose(room: Room): void {
    if (room.emptyTimer || room.closed) return;
    room.emptyTimer = setTimeout(() => {
      room.emptyTimer = undefined;
      if (room.participants.size === 0) this.close(room);
    }, room.settings.emptyTimeoutMs);
    room.emptyTimer.unref();
  }

  private close(room: Room): void {
    if (this.rooms.get(room.name) !== room) return;
    clearTimeout(room.emptyTimer);
    room.closed = true;
    room.sfu?.close();
    room.sfu = undefined;
    this.rooms.delete(room.name);
    this.stats.roomsClosed++;
    this.log.info({ room: room.name }, 'room closed');
  }

  /** Closes every room (server shutdown): connections are closed by their owner. */
  closeAll(): void {
    for (const room of [...this.rooms.values()]) {
      for (const participant of room.participants.values()) clearTimeout(participant.graceTimer);
      this.close(room);
    }
  }
}
