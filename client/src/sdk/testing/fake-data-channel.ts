/**
 * Just enough of RTCDataChannel to test the SDK's data path without a
 * browser: it records what is sent, keeps a `bufferedAmount` that the test
 * drains (firing `bufferedamountlow` as a browser does when the amount falls
 * to the threshold), and lets the test open, close and deliver messages.
 */
export class FakeDataChannel {
  readonly label: string;
  readonly ordered: boolean;
  readonly maxRetransmits: number | null;
  readonly protocol: string;
  readyState: RTCDataChannelState = 'connecting';
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  binaryType: BinaryType = 'blob';
  /** What was sent, in order: strings as given, binary messages as copies of their bytes. */
  readonly sent: (string | Uint8Array)[] = [];
  /** When true, `send` keeps every byte in `bufferedAmount` until `drain` (a congested link). */
  holdSentBytes = false;
  onopen: ((event: Event) => void) | null = null;
  onclose: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onbufferedamountlow: ((event: Event) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;

  constructor(label: string, init: RTCDataChannelInit = {}) {
    this.label = label;
    this.ordered = init.ordered ?? true;
    this.maxRetransmits = init.maxRetransmits ?? null;
    this.protocol = init.protocol ?? '';
  }

  send(data: string | ArrayBuffer | ArrayBufferView): void {
    // As the browser: only an open channel sends (W3C WebRTC, RTCDataChannel.send: InvalidStateError).
    if (this.readyState !== 'open') throw new Error(`InvalidStateError: the channel is ${this.readyState}`);
    if (typeof data === 'string') {
      this.sent.push(data);
      if (this.holdSentBytes) this.bufferedAmount += new TextEncoder().encode(data).length;
      return;
    }
    const bytes =
      data instanceof ArrayBuffer
        ? new Uint8Array(data.slice(0))
        : new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    this.sent.push(bytes);
    if (this.holdSentBytes) this.bufferedAmount += bytes.length;
  }

  close(): void {
    if (this.readyState === 'closed') return;
    this.readyState = 'closed';
    this.onclose?.(new Event('close'));
  }

  /** SCTP is up and the remote side acknowledged the channel. */
  open(): void {
    this.readyState = 'open';
    this.onopen?.(new Event('open'));
  }

  /** The remote side sends a message (a string, or bytes delivered as an ArrayBuffer). */
  receive(data: string | ArrayBuffer | Uint8Array): void {
    const delivered =
      typeof data === 'string' || data instanceof ArrayBuffer
        ? data
        : data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
    this.onmessage?.({ data: delivered } as MessageEvent);
  }

  /** The browser hands `bytes` of its buffer to SCTP; fires `bufferedamountlow` on crossing the threshold. */
  drain(bytes = this.bufferedAmount): void {
    const before = this.bufferedAmount;
    this.bufferedAmount = Math.max(0, before - bytes);
    if (before > this.bufferedAmountLowThreshold && this.bufferedAmount <= this.bufferedAmountLowThreshold)
      this.onbufferedamountlow?.(new Event('bufferedamountlow'));
  }

  /** The channel's text messages, parsed. */
  sentJson(): unknown[] {
    return this.sent
      .filter((data): data is string => typeof data === 'string')
      .map((text) => JSON.parse(text));
  }
}
