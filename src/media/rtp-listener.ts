/**
 * Finds which producer an incoming RTP packet belongs to, on one transport.
 *
 * The SSRC decides when it is known: the publisher's SDP usually announces
 * its SSRCs (a=ssrc), and every SSRC found another way is learned. A packet
 * with an unknown SSRC is matched by its MID header extension (RFC 8843
 * §15), which browsers send at the start of each stream precisely so that a
 * receiver can bind an unannounced SSRC; the SSRC is then remembered.
 */
import { findRtpExtension } from '../rtp/raw-extension.js';

/** The largest number of SSRCs one transport may bind, so a flood of made-up SSRCs stays bounded. */
export const MAX_LEARNED_SSRCS = 256;

/** Routes packets of one transport to the producers (or any target) that own them. */
export class RtpListener<T> {
  readonly #bySsrc = new Map<number, T>();
  readonly #byMid = new Map<string, T>();
  /** The MID extension's id on this transport (all bundled sections share one extmap). */
  midExtensionId: number | undefined;

  /** Binds a target to the SSRCs it announced and to its MID. Throws when one is taken by another target. */
  add(target: T, keys: { ssrcs?: readonly number[]; mid?: string }): void {
    for (const ssrc of keys.ssrcs ?? []) {
      const owner = this.#bySsrc.get(ssrc);
      if (owner !== undefined && owner !== target)
        throw new Error(`SSRC ${ssrc} is already in use on this transport`);
    }
    if (keys.mid !== undefined) {
      const owner = this.#byMid.get(keys.mid);
      if (owner !== undefined && owner !== target)
        throw new Error(`MID ${keys.mid} is already in use on this transport`);
      this.#byMid.set(keys.mid, target);
    }
    for (const ssrc of keys.ssrcs ?? []) this.#bySsrc.set(ssrc, target);
  }

  /** Forgets every SSRC and MID of a target. */
  remove(target: T): void {
    for (const [ssrc, owner] of this.#bySsrc) if (owner === target) this.#bySsrc.delete(ssrc);
    for (const [mid, owner] of this.#byMid) if (owner === target) this.#byMid.delete(mid);
  }

  /** The target of a packet, or undefined; learns the SSRC of a packet matched by MID. */
  find(packet: Uint8Array): T | undefined {
    if (packet.length < 12) return undefined;
    const ssrc = ((packet[8] << 24) | (packet[9] << 16) | (packet[10] << 8) | packet[11]) >>> 0;
    const known = this.#bySsrc.get(ssrc);
    if (known !== undefined) return known;
    if (this.midExtensionId === undefined) return undefined;
    const value = findRtpExtension(packet, this.midExtensionId);
    if (!value) return undefined;
    const target = this.#byMid.get(
      Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1'),
    );
    if (target !== undefined && this.#bySsrc.size < MAX_LEARNED_SSRCS) this.#bySsrc.set(ssrc, target);
    return target;
  }

  /** Number of SSRCs bound. */
  get ssrcCount(): number {
    return this.#bySsrc.size;
  }
}
