/**
 * The demo web app served at `/`: join a room with camera and microphone,
 * see everyone else, mute, chat, leave. It works the same in `p2p` and `sfu`
 * rooms; in sfu rooms it also shows who speaks, and has a tile only for
 * participants that send something (the others are listed under the grid).
 * Page parameters:
 *
 * - `room`, `name`: fill the form; `autojoin=1` joins at once.
 * - `token`: an access token; without it the page asks the server for a
 *   development token (`GET /dev/token`, offered only by `switchboard start --dev`).
 * - `relay=1`: send all media through TURN (`iceTransportPolicy: 'relay'`).
 *
 * The chat goes through `Room.sendData`: on the data channels in sfu rooms,
 * as signaling `data` messages in p2p rooms; each line records which.
 *
 * Recording (sfu rooms): a page whose token has the `record` grant shows a
 * Record button that starts and stops the room's recording. Every page in the
 * room shows a REC badge with the elapsed time while a recording runs,
 * whoever started it.
 *
 * `window.switchboardDemo` exposes the page's state for automated tests.
 */
import {
  connect,
  type DataPath,
  type ParticipantInfo,
  type RecordingState,
  type Room,
  type SelectedPair,
  selectedCandidatePair,
} from '../sdk/index.js';

/** The chat's topic on `data` messages. */
const CHAT_TOPIC = 'chat';

/** A chat line as shown. */
interface ChatLine {
  /** Sender's participant id; null for the server (admin API). */
  from: string | null;
  /** Sender's display name at the time. */
  name: string;
  text: string;
  /** True for lines this page sent. */
  own: boolean;
  /** The path it took: `datachannel` (sfu rooms) or `signaling`; for own lines, the one sendData chose. */
  via: DataPath;
}

type DemoState = 'idle' | 'joining' | 'joined' | 'left' | 'error';

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
}

const params = new URLSearchParams(location.search);
const ui = {
  status: element<HTMLParagraphElement>('status'),
  joinForm: element<HTMLFormElement>('join-form'),
  roomInput: element<HTMLInputElement>('room-input'),
  nameInput: element<HTMLInputElement>('name-input'),
  relayInput: element<HTMLInputElement>('relay-input'),
  joinButton: element<HTMLButtonElement>('join-button'),
  call: element<HTMLElement>('call'),
  roomName: element<HTMLSpanElement>('room-name'),
  roomMode: element<HTMLSpanElement>('room-mode'),
  toggleAudio: element<HTMLButtonElement>('toggle-audio'),
  toggleVideo: element<HTMLButtonElement>('toggle-video'),
  recordButton: element<HTMLButtonElement>('record-button'),
  recordingIndicator: element<HTMLSpanElement>('recording-indicator'),
  recordingTime: element<HTMLSpanElement>('recording-time'),
  leaveButton: element<HTMLButtonElement>('leave-button'),
  videos: element<HTMLDivElement>('videos'),
  audience: element<HTMLParagraphElement>('audience'),
  chatLog: element<HTMLOListElement>('chat-log'),
  chatForm: element<HTMLFormElement>('chat-form'),
  chatInput: element<HTMLInputElement>('chat-input'),
};

let room: Room | null = null;
let localStream: MediaStream | null = null;
let state: DemoState = 'idle';
let lastError: string | null = null;
const chatLines: ChatLine[] = [];
const muted = { audio: false, video: false };
/** The remote tracks each participant sends now, from `trackAdded` and `trackRemoved`. */
const remoteTracks = new Map<string, Set<MediaStreamTrack>>();
/** The state of each media connection, by participant id (or `publish`/`subscribe` in sfu rooms). */
const connectionStates = new Map<string, RTCPeerConnectionState>();
/** Frames each <video> presented, counted with requestVideoFrameCallback. */
const presentedFrames = new WeakMap<HTMLVideoElement, number>();
/** True when the token of the room joined has the `record` grant. */
let canRecord = false;
/** True while a start or stop of the recording awaits the server's answer. */
let recordingBusy = false;
/** Ticks the REC badge's elapsed time while a recording runs. */
let recordingClock: ReturnType<typeof setInterval> | undefined;

/** The room's mode once joined. */
function mode(): 'p2p' | 'sfu' | null {
  return room?.mode ?? null;
}

function remoteTile(participantId: string): HTMLElement | null {
  return ui.videos.querySelector<HTMLElement>(`[data-participant-id="${CSS.escape(participantId)}"]`);
}

/** Counts the frames a video presents, for tests that must tell a picture that moves from one that froze. */
function countFrames(video: HTMLVideoElement): void {
  if (typeof video.requestVideoFrameCallback !== 'function') return;
  const step = () => {
    presentedFrames.set(video, (presentedFrames.get(video) ?? 0) + 1);
    video.requestVideoFrameCallback(step);
  };
  video.requestVideoFrameCallback(step);
}

function setStatus(text: string, isError = false): void {
  ui.status.textContent = text;
  ui.status.classList.toggle('error', isError);
  if (isError) lastError = text;
}

/** A development token from the server, or an error that says what to do instead. */
async function fetchDevToken(roomName: string, name: string): Promise<string> {
  const query = new URLSearchParams({ room: roomName, name });
  const response = await fetch(`./dev/token?${query}`);
  if (response.status === 404) {
    throw new Error(
      'This server does not hand out development tokens (it was not started with --dev). ' +
        'Open this page with ?token=… — make one with: switchboard token --room ROOM --identity NAME',
    );
  }
  if (!response.ok) throw new Error(`GET /dev/token answered ${response.status} ${response.statusText}`);
  const body = (await response.json()) as { token?: unknown };
  if (typeof body.token !== 'string') throw new Error('GET /dev/token returned no token');
  return body.token;
}

/**
 * The grants of an access token, read from its payload without checking the
 * signature (only the server can; this merely decides what the page offers).
 * A token that cannot be read grants nothing here.
 */
function tokenGrants(token: string): { record: boolean } {
  try {
    const part = token.split('.')[1] ?? '';
    const base64 = part
      .replace(/-/g, '+')
      .replace(/_/g, '/')
      .padEnd(Math.ceil(part.length / 4) * 4, '=');
    const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
    const payload = JSON.parse(new TextDecoder().decode(bytes)) as { grants?: { record?: unknown } } | null;
    return { record: payload?.grants?.record === true };
  } catch {
    return { record: false };
  }
}

function signalingUrl(): string {
  const url = new URL('./rtc', location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  url.search = '';
  url.hash = '';
  return url.href;
}

/** The tile of a participant (created on first need), or of the local preview. */
function tile(participantId: string | null): HTMLElement {
  const selector =
    participantId === null ? '[data-local]' : `[data-participant-id="${CSS.escape(participantId)}"]`;
  let figure = ui.videos.querySelector<HTMLElement>(selector);
  if (figure) return figure;
  figure = document.createElement('figure');
  figure.className = 'tile';
  const video = document.createElement('video');
  video.autoplay = true;
  video.playsInline = true;
  const caption = document.createElement('figcaption');
  figure.append(video, caption);
  figure.classList.toggle('speaking', participantId !== null && participantId === room?.activeSpeaker);
  if (participantId === null) {
    figure.dataset.local = '';
    video.muted = true; // never play one's own microphone back
    ui.videos.prepend(figure);
  } else {
    figure.dataset.participantId = participantId;
    countFrames(video);
    ui.videos.append(figure);
  }
  return figure;
}

function renderParticipant(participant: ParticipantInfo): void {
  // In sfu rooms a participant has a tile while it sends something; until then it is in the audience line.
  if (mode() === 'sfu' && !remoteTile(participant.id)) {
    renderAudience();
    return;
  }
  const figure = tile(participant.id);
  figure.dataset.identity = participant.identity;
  figure.classList.toggle('disconnected', !participant.connected);
  const flags = [participant.muted.audio ? 'mic off' : '', participant.muted.video ? 'camera off' : '']
    .filter(Boolean)
    .join(', ');
  const caption = figure.querySelector('figcaption');
  if (caption) caption.textContent = flags ? `${participant.name} (${flags})` : participant.name;
  renderAudience();
}

/** Sfu rooms: the participants without a tile (they send nothing), named under the grid. */
function renderAudience(): void {
  const names =
    mode() === 'sfu'
      ? (room?.participants ?? []).filter((participant) => !remoteTile(participant.id)).map((p) => p.name)
      : [];
  ui.audience.hidden = names.length === 0;
  ui.audience.textContent = names.length === 0 ? '' : `Also here: ${names.join(', ')}`;
}

/** Marks a tile that has sound but no picture. */
function renderTracks(participantId: string): void {
  const figure = remoteTile(participantId);
  if (!figure) return;
  const tracks = [...(remoteTracks.get(participantId) ?? [])];
  figure.classList.toggle('audio-only', !tracks.some((track) => track.kind === 'video'));
}

/** Outlines the tile of the participant speaking (sfu rooms), this page's own included. */
function renderActiveSpeaker(participantId: string | null): void {
  const self = room?.localParticipant?.id;
  for (const figure of ui.videos.querySelectorAll<HTMLElement>('.tile')) {
    const id = figure.dataset.participantId ?? (figure.dataset.local === undefined ? undefined : self);
    figure.classList.toggle('speaking', participantId !== null && id === participantId);
  }
}

function renderLocal(name: string): void {
  const figure = tile(null);
  const caption = figure.querySelector('figcaption');
  if (caption) caption.textContent = `${name} (you)`;
  const video = figure.querySelector('video');
  if (video && localStream && video.srcObject !== localStream) video.srcObject = localStream;
}

/** Plays a remote video; when the browser refuses sound without a click, plays muted and unmutes on the next click. */
function play(video: HTMLVideoElement): void {
  video.play().catch(() => {
    video.muted = true;
    void video.play().catch(() => {});
    document.addEventListener(
      'click',
      () => {
        video.muted = false;
      },
      { once: true },
    );
  });
}

/** Elapsed time as m:ss, or h:mm:ss from an hour on. */
function formatElapsed(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const s = String(seconds % 60).padStart(2, '0');
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}:${s}`;
  return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}:${s}`;
}

/** Who started a recording, as the page names them. */
function recorderName(recording: RecordingState): string {
  if (recording.startedBy === null) return 'an administrator';
  if (recording.startedBy === room?.localParticipant?.id) return 'you';
  return room?.participant(recording.startedBy)?.name ?? 'someone who left';
}

function renderRecordingTime(): void {
  const recording = room?.recording ?? null;
  ui.recordingTime.textContent = formatElapsed(recording ? Date.now() - recording.startedAt : 0);
}

/** The REC badge (every page) and the Record button (pages with the `record` grant, sfu rooms). */
function renderRecording(): void {
  const recording = room?.recording ?? null;
  const on = recording !== null;
  ui.recordingIndicator.dataset.recording = on ? 'on' : 'off';
  ui.recordingIndicator.hidden = !on;
  ui.recordingIndicator.title = recording
    ? `This room is being recorded, since ${new Date(recording.startedAt).toLocaleTimeString()} (started by ${recorderName(recording)})`
    : '';
  renderRecordingTime();
  if (on && recordingClock === undefined) recordingClock = setInterval(renderRecordingTime, 1000);
  if (!on && recordingClock !== undefined) {
    clearInterval(recordingClock);
    recordingClock = undefined;
  }
  ui.recordButton.hidden = !(room && canRecord && mode() === 'sfu');
  ui.recordButton.disabled = recordingBusy;
  ui.recordButton.textContent = on ? 'Stop recording' : 'Record';
  ui.recordButton.setAttribute('aria-pressed', String(on));
}

/** Starts the room's recording, or stops the one running; a refusal shows in the status line. */
async function toggleRecording(): Promise<void> {
  const current = room;
  if (!current || recordingBusy) return;
  const stopping = current.recording !== null;
  recordingBusy = true;
  renderRecording();
  try {
    if (stopping) await current.stopRecording();
    else await current.startRecording();
  } catch (error) {
    if (room === current) {
      const code = error instanceof Error && 'code' in error ? error.code : undefined;
      const text = error instanceof Error ? error.message : String(error);
      setStatus(
        `Recording not ${stopping ? 'stopped' : 'started'}: ${text}${typeof code === 'string' ? ` (${code})` : ''}`,
        true,
      );
    }
  } finally {
    recordingBusy = false;
    renderRecording();
  }
}

function addChatLine(line: ChatLine): void {
  chatLines.push(line);
  const item = document.createElement('li');
  item.dataset.from = line.from ?? '';
  item.dataset.via = line.via;
  item.title = line.via === 'datachannel' ? 'Sent on a data channel' : 'Sent through signaling';
  if (line.own) item.classList.add('own');
  const from = document.createElement('span');
  from.className = 'from';
  from.textContent = line.name;
  const text = document.createElement('span');
  text.className = 'text';
  text.textContent = line.text;
  item.append(from, text);
  ui.chatLog.append(item);
  ui.chatLog.scrollTop = ui.chatLog.scrollHeight;
}

function wire(current: Room, name: string): void {
  current.on('participantJoined', renderParticipant);
  current.on('participantUpdated', renderParticipant);
  current.on('participantLeft', (participant) => {
    remoteTile(participant.id)?.remove();
    remoteTracks.delete(participant.id);
    renderAudience();
  });
  current.on('trackAdded', (participantId, track, stream) => {
    let tracks = remoteTracks.get(participantId);
    if (!tracks) {
      tracks = new Set();
      remoteTracks.set(participantId, tracks);
    }
    tracks.add(track);
    const video = tile(participantId).querySelector('video');
    const participant = current.participant(participantId);
    if (participant) renderParticipant(participant);
    renderTracks(participantId);
    if (video && video.srcObject !== stream) {
      video.srcObject = stream;
      play(video);
    }
  });
  current.on('trackRemoved', (participantId, track) => {
    const tracks = remoteTracks.get(participantId);
    tracks?.delete(track);
    if (mode() === 'sfu' && (tracks?.size ?? 0) === 0) {
      // It sends nothing any more: its tile goes, and it joins the audience line.
      remoteTile(participantId)?.remove();
      renderAudience();
      return;
    }
    renderTracks(participantId);
  });
  current.on('activeSpeakerChanged', renderActiveSpeaker);
  current.on('recording', () => renderRecording());
  current.on('peerConnectionStateChanged', (id, connectionState) =>
    connectionStates.set(id, connectionState),
  );
  current.on('data', (message) => {
    if (message.topic !== CHAT_TOPIC) return;
    const payload = message.payload as { text?: unknown } | null;
    if (typeof payload?.text !== 'string') return;
    const sender = message.from === null ? undefined : current.participant(message.from);
    addChatLine({
      from: message.from,
      name: sender?.name ?? 'server',
      text: payload.text,
      own: false,
      via: message.via,
    });
  });
  current.on('connectionStateChanged', (connection) => {
    if (connection === 'reconnecting') setStatus('Connection lost, reconnecting…');
    else if (connection === 'connected') setStatus(`In room ${current.roomInfo?.name ?? ''} as ${name}.`);
  });
  current.on('error', (error) => console.warn(`switchboard: ${error.code}: ${error.message}`));
  current.on('disconnected', (info) => {
    if (room !== current) return;
    room = null;
    showForm();
    if (state === 'joined' && info.code !== 1000) {
      state = 'error';
      setStatus(`Disconnected: ${info.error?.message ?? info.reason ?? `close ${info.code}`}`, true);
    } else {
      state = 'left';
      setStatus('You left the room.');
    }
  });
}

async function join(roomName: string, name: string, relay: boolean): Promise<void> {
  if (state === 'joining' || room) return;
  state = 'joining';
  lastError = null;
  ui.joinButton.disabled = true;
  try {
    setStatus('Starting camera and microphone…');
    localStream ??= await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    setStatus('Getting a token…');
    const token = params.get('token') ?? (await fetchDevToken(roomName, name));
    setStatus('Joining…');
    const joined = await connect({
      url: signalingUrl(),
      token,
      room: roomName,
      localStream,
      ...(relay ? { iceTransportPolicy: 'relay' as const } : {}),
    });
    room = joined;
    canRecord = tokenGrants(token).record;
    remoteTracks.clear();
    connectionStates.clear();
    wire(joined, name);
    for (const participant of joined.participants) renderParticipant(participant);
    muted.audio = false;
    muted.video = false;
    renderMuteButtons();
    renderLocal(joined.localParticipant?.name ?? name);
    ui.roomName.textContent = `Room ${joined.roomInfo?.name ?? roomName}`;
    ui.roomMode.textContent = joined.mode ?? '';
    ui.roomMode.title =
      joined.mode === 'sfu'
        ? 'Media goes through the server (SFU)'
        : 'Media goes directly between participants (mesh)';
    ui.roomMode.hidden = joined.mode === undefined;
    renderAudience();
    renderRecording();
    ui.joinForm.hidden = true;
    ui.call.hidden = false;
    state = 'joined';
    setStatus(`In room ${joined.roomInfo?.name ?? roomName} as ${joined.localParticipant?.name ?? name}.`);
  } catch (error) {
    state = 'error';
    setStatus(error instanceof Error ? error.message : String(error), true);
    ui.joinButton.disabled = false;
  }
}

async function leave(): Promise<void> {
  const current = room;
  if (!current) return;
  state = 'left';
  await current.leave();
}

function showForm(): void {
  ui.call.hidden = true;
  ui.joinForm.hidden = false;
  ui.joinButton.disabled = false;
  for (const figure of ui.videos.querySelectorAll('[data-participant-id]')) figure.remove();
  remoteTracks.clear();
  ui.audience.hidden = true;
  ui.roomMode.hidden = true;
  canRecord = false;
  renderRecording();
  for (const track of localStream?.getTracks() ?? []) track.stop();
  localStream = null;
  tile(null).remove();
}

function renderMuteButtons(): void {
  ui.toggleAudio.textContent = muted.audio ? 'Unmute microphone' : 'Mute microphone';
  ui.toggleAudio.setAttribute('aria-pressed', String(muted.audio));
  ui.toggleVideo.textContent = muted.video ? 'Turn camera on' : 'Turn camera off';
  ui.toggleVideo.setAttribute('aria-pressed', String(muted.video));
}

function toggle(kind: 'audio' | 'video'): void {
  if (!room) return;
  muted[kind] = !muted[kind];
  room.setMuted(kind, muted[kind]);
  renderMuteButtons();
}

/**
 * Stops or starts sending the camera (video) or microphone (audio) track: the
 * others see the track go and come back (in sfu rooms the tile goes when
 * nothing is left). Unlike mute, this renegotiates.
 */
function setPublished(kind: 'audio' | 'video', published: boolean): void {
  const current = room;
  if (!current || !localStream) return;
  for (const track of localStream.getTracks()) {
    if (track.kind !== kind) continue;
    if (published) current.publishTrack(track, localStream);
    else current.unpublish(track);
  }
}

function sendChat(text: string): boolean {
  const trimmed = text.trim();
  if (!room || trimmed === '') return false;
  let via: DataPath;
  try {
    via = room.sendData({ text: trimmed }, { topic: CHAT_TOPIC });
  } catch (error) {
    // A full queue (the data channel does not open) or a line too long: keep the text in the input.
    setStatus(`Chat not sent: ${error instanceof Error ? error.message : String(error)}`, true);
    return false;
  }
  addChatLine({ from: room.localParticipant?.id ?? null, name: 'you', text: trimmed, own: true, via });
  return true;
}

ui.joinForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const url = new URL(location.href);
  url.searchParams.set('room', ui.roomInput.value);
  url.searchParams.set('name', ui.nameInput.value);
  history.replaceState(null, '', url);
  void join(ui.roomInput.value, ui.nameInput.value, ui.relayInput.checked);
});
ui.toggleAudio.addEventListener('click', () => toggle('audio'));
ui.toggleVideo.addEventListener('click', () => toggle('video'));
ui.recordButton.addEventListener('click', () => void toggleRecording());
ui.leaveButton.addEventListener('click', () => void leave());
ui.chatForm.addEventListener('submit', (event) => {
  event.preventDefault();
  if (sendChat(ui.chatInput.value)) ui.chatInput.value = '';
});

ui.roomInput.value = params.get('room') ?? '';
ui.nameInput.value = params.get('name') ?? '';
ui.relayInput.checked = params.get('relay') === '1';

/** What automated tests read and drive (see test/e2e/browser-driver.mjs). */
const switchboardDemo = {
  get room(): Room | null {
    return room;
  },
  state: (): DemoState => state,
  error: (): string | null => lastError,
  /** The signaling connection: connecting, connected, reconnecting or closed (null before joining). */
  connection: () => room?.connectionState ?? null,
  localParticipant: () => room?.localParticipant ?? null,
  participants: () => room?.participants ?? [],
  /** The room's mode, `p2p` or `sfu` (null before joining). */
  mode,
  /** Sfu rooms: the participant id the server last named as speaking, or null. */
  activeSpeaker: (): string | null => room?.activeSpeaker ?? null,
  /** The state of each media connection: by participant id in p2p rooms, `publish` and `subscribe` in sfu rooms. */
  connectionStates: (): Record<string, RTCPeerConnectionState> => Object.fromEntries(connectionStates),
  /** Every remote <video>, with what a test needs to tell that it plays. */
  videos: () =>
    [...ui.videos.querySelectorAll<HTMLElement>('[data-participant-id]')].map((figure) => {
      const video = figure.querySelector('video');
      const participantId = figure.dataset.participantId ?? '';
      const tracks = [...(remoteTracks.get(participantId) ?? [])];
      return {
        participantId,
        identity: figure.dataset.identity ?? '',
        videoWidth: video?.videoWidth ?? 0,
        videoHeight: video?.videoHeight ?? 0,
        currentTime: video?.currentTime ?? 0,
        paused: video?.paused ?? true,
        /** Frames presented so far (requestVideoFrameCallback); grows while the picture moves. */
        frames: (video && presentedFrames.get(video)) ?? 0,
        /** Frames the element received so far (getVideoPlaybackQuality), for browsers without the former. */
        totalVideoFrames: video?.getVideoPlaybackQuality?.().totalVideoFrames ?? 0,
        /** The participant's tracks announced by the SDK and not removed since. */
        tracks: {
          audio: tracks.filter((track) => track.kind === 'audio').length,
          video: tracks.filter((track) => track.kind === 'video').length,
        },
        /** True while this is the active speaker's tile (sfu rooms). */
        speaking: figure.classList.contains('speaking'),
      };
    }),
  /** Names listed as "Also here" (sfu rooms: participants that send nothing). */
  audience: (): string => (ui.audience.hidden ? '' : (ui.audience.textContent ?? '')),
  /** Every chat line, with the path each took (`via`). */
  chat: (): ChatLine[] => chatLines.map((line) => ({ ...line })),
  /** Sfu rooms: the data channels the server opened (`reliable`, `lossy`) and their states; empty in p2p rooms. */
  dataChannels: (): { label: string; readyState: RTCDataChannelState }[] =>
    (room?.dataChannels ?? []).map(({ label, readyState }) => ({ label, readyState })),
  /** Data counters of the room, malformed envelopes received included (null before joining). */
  dataStats: () => room?.dataStats ?? null,
  /** Sfu rooms: the room's active recording (whoever started it), or null. */
  recording: (): RecordingState | null => room?.recording ?? null,
  /** True when the Record button shows: the token has the `record` grant and the room is an sfu room. */
  canRecord: (): boolean => !ui.recordButton.hidden,
  sendChat,
  join: (roomName: string, name: string, relay = false) => join(roomName, name, relay),
  leave,
  toggle,
  setPublished,
  /** What the Record button does: starts the recording, or stops the one running. */
  toggleRecording,
  /** The selected candidate pair of each peer connection. */
  selectedPairs: async (): Promise<{ participantId: string; pair: SelectedPair | null }[]> => {
    const current = room;
    if (!current) return [];
    return Promise.all(
      current.participants.map(async (participant) => {
        const report = await current.getStats(participant.id);
        return { participantId: participant.id, pair: (report && selectedCandidatePair(report)) ?? null };
      }),
    );
  },
};
declare global {
  interface Window {
    switchboardDemo: typeof switchboardDemo;
  }
}
window.switchboardDemo = switchboardDemo;

if (params.get('autojoin') === '1' && ui.roomInput.value && ui.nameInput.value) {
  void join(ui.roomInput.value, ui.nameInput.value, ui.relayInput.checked);
}
