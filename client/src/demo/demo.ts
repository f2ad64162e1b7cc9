/**
 * The demo web app served at `/`: join a room with camera and microphone,
 * see everyone else, mute, chat, leave. Page parameters:
 *
 * - `room`, `name`: fill the form; `autojoin=1` joins at once.
 * - `token`: an access token; without it the page asks the server for a
 *   development token (`GET /dev/token`, offered only by `switchboard start --dev`).
 * - `relay=1`: send all media through TURN (`iceTransportPolicy: 'relay'`).
 *
 * `window.switchboardDemo` exposes the page's state for automated tests.
 */
import {
  connect,
  type ParticipantInfo,
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
  toggleAudio: element<HTMLButtonElement>('toggle-audio'),
  toggleVideo: element<HTMLButtonElement>('toggle-video'),
  leaveButton: element<HTMLButtonElement>('leave-button'),
  videos: element<HTMLDivElement>('videos'),
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
  if (participantId === null) {
    figure.dataset.local = '';
    video.muted = true; // never play one's own microphone back
    ui.videos.prepend(figure);
  } else {
    figure.dataset.participantId = participantId;
    ui.videos.append(figure);
  }
  return figure;
}

function renderParticipant(participant: ParticipantInfo): void {
  const figure = tile(participant.id);
  figure.dataset.identity = participant.identity;
  figure.classList.toggle('disconnected', !participant.connected);
  const flags = [participant.muted.audio ? 'mic off' : '', participant.muted.video ? 'camera off' : '']
    .filter(Boolean)
    .join(', ');
  const caption = figure.querySelector('figcaption');
  if (caption) caption.textContent = flags ? `${participant.name} (${flags})` : participant.name;
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

function addChatLine(line: ChatLine): void {
  chatLines.push(line);
  const item = document.createElement('li');
  item.dataset.from = line.from ?? '';
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
    ui.videos.querySelector(`[data-participant-id="${CSS.escape(participant.id)}"]`)?.remove();
  });
  current.on('trackAdded', (participantId, _track, stream) => {
    const participant = current.participant(participantId);
    if (participant) renderParticipant(participant);
    const video = tile(participantId).querySelector('video');
    if (video && video.srcObject !== stream) {
      video.srcObject = stream;
      play(video);
    }
  });
  current.on('data', (message) => {
    if (message.topic !== CHAT_TOPIC) return;
    const payload = message.payload as { text?: unknown } | null;
    if (typeof payload?.text !== 'string') return;
    const sender = message.from === null ? undefined : current.participant(message.from);
    addChatLine({ from: message.from, name: sender?.name ?? 'server', text: payload.text, own: false });
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
    wire(joined, name);
    for (const participant of joined.participants) renderParticipant(participant);
    muted.audio = false;
    muted.video = false;
    renderMuteButtons();
    renderLocal(joined.localParticipant?.name ?? name);
    ui.roomName.textContent = `Room ${joined.roomInfo?.name ?? roomName}`;
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

function sendChat(text: string): boolean {
  const trimmed = text.trim();
  if (!room || trimmed === '') return false;
  room.sendData({ text: trimmed }, { topic: CHAT_TOPIC });
  addChatLine({ from: room.localParticipant?.id ?? null, name: 'you', text: trimmed, own: true });
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
  /** Every remote <video>, with what a test needs to tell that it plays. */
  videos: () =>
    [...ui.videos.querySelectorAll<HTMLElement>('[data-participant-id]')].map((figure) => {
      const video = figure.querySelector('video');
      return {
        participantId: figure.dataset.participantId ?? '',
        identity: figure.dataset.identity ?? '',
        videoWidth: video?.videoWidth ?? 0,
        videoHeight: video?.videoHeight ?? 0,
        currentTime: video?.currentTime ?? 0,
        paused: video?.paused ?? true,
      };
    }),
  chat: (): ChatLine[] => chatLines.map((line) => ({ ...line })),
  sendChat,
  join: (roomName: string, name: string, relay = false) => join(roomName, name, relay),
  leave,
  toggle,
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
