/**
 * The media server of `switchboard start`: the ICE sockets every media
 * session shares (one UDP socket and one ICE-TCP listener per address, on
 * the configured ports), the DTLS certificate, and the SFU behind sfu rooms.
 */
import { networkInterfaces } from 'node:os';
import { IceTcpMux, IceUdpMux } from '../ice/index.js';
import { generateSelfSignedCertificate } from '../util/certificate.js';
import type { Log } from '../util/log.js';
import type { Config } from './config.js';
import { LocalSfuService } from './sfu-service.js';

/** The addresses to listen on when none are configured: loopback and every interface address. */
export function defaultMediaAddresses(): string[] {
  const addresses = ['127.0.0.1'];
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) {
      if (entry.internal) continue;
      // Link-local IPv6 needs a scope id that candidates cannot carry.
      if (entry.family === 'IPv6' && entry.address.toLowerCase().startsWith('fe80')) continue;
      if (!addresses.includes(entry.address)) addresses.push(entry.address);
    }
  }
  return addresses;
}

/** The media sockets and the SFU. */
export class MediaService {
  readonly sfu: LocalSfuService;
  readonly udp: IceUdpMux[];
  readonly tcp: IceTcpMux[];

  private constructor(sfu: LocalSfuService, udp: IceUdpMux[], tcp: IceTcpMux[]) {
    this.sfu = sfu;
    this.udp = udp;
    this.tcp = tcp;
  }

  /** Opens the sockets; if one cannot be opened, those already open are closed and the error propagates. */
  static async start(config: Config, log: Log): Promise<MediaService> {
    const media = config.media;
    const addresses = media.addresses.length > 0 ? media.addresses : defaultMediaAddresses();
    const udp: IceUdpMux[] = [];
    const tcp: IceTcpMux[] = [];
    try {
      for (const address of addresses) {
        const announcedAddress = media.announcedAddress;
        udp.push(await IceUdpMux.listen({ address, port: media.udpPort, announcedAddress, log }));
        tcp.push(await IceTcpMux.listen({ address, port: media.tcpPort, announcedAddress, log }));
      }
    } catch (error) {
      await Promise.all([...udp, ...tcp].map((mux) => mux.close()));
      throw error;
    }
    const certificate = generateSelfSignedCertificate({ commonName: 'switchboard', validityDays: 365 });
    const sfu = new LocalSfuService({
      udp,
      tcp,
      certificate,
      log,
      maxIncomingBitrate: media.maxIncomingBitrate,
    });
    log.info(
      {
        service: 'media',
        udp: udp.map((mux) => `${mux.localAddress.address}:${mux.localAddress.port}`),
        tcp: tcp.map((mux) => `${mux.localAddress.address}:${mux.localAddress.port}`),
      },
      'media service started (ICE-lite on one UDP port, ICE-TCP)',
    );
    return new MediaService(sfu, udp, tcp);
  }

  /** Closes every room and socket. */
  async close(): Promise<void> {
    this.sfu.close();
    await Promise.all([...this.udp, ...this.tcp].map((mux) => mux.close()));
  }
}
