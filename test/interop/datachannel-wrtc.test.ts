/**
 * Data channels against libwebrtc (@roamhq/wrtc, dcSCTP inside, in its own
 * process): the conversation of datachannel-scenario.ts in both DTLS roles —
 * channels opened by each side, text and binary of 0 B to 256 KiB, ordered,
 * unordered and partially reliable, closes from each side, order and bytes
 * checked. Loopback only.
 */
import { afterAll, beforeAll, it } from 'vitest';
import { IceUdpMux } from '../../src/ice/index.js';
import type { DtlsRole } from '../../src/media/webrtc-transport.js';
import { generateSelfSignedCertificate, type SelfSignedCertificate } from '../../src/util/certificate.js';
import { describeWithNpmPackage, npmPackageAvailable } from '../helpers/npm-packages.js';
import { runDataChannelScenario } from './datachannel-scenario.js';

const ROLES: DtlsRole[] = ['client', 'server'];

let mux: IceUdpMux;
let certificate: SelfSignedCertificate;

beforeAll(async () => {
  mux = await IceUdpMux.listen({ address: '127.0.0.1', port: 0 });
  certificate = generateSelfSignedCertificate({ commonName: 'switchboard-datachannel-wrtc' });
});

afterAll(async () => {
  await mux?.close();
});

describeWithNpmPackage(
  'data channels against libwebrtc (@roamhq/wrtc)',
  npmPackageAvailable('@roamhq/wrtc'),
  () => {
    for (const role of ROLES) {
      it(`carries text and binary of 0 B to 256 KiB on ordered, unordered and partially reliable channels opened by either side, closed by either side (our DTLS ${role})`, async () => {
        await runDataChannelScenario('wrtc-datachannel-peer.cjs', role, { mux, certificate });
      }, 60_000);
    }

    for (const role of ROLES) {
      it(`carries the same over a path that loses 5% of the SCTP packets each way (our DTLS ${role})`, async () => {
        await runDataChannelScenario('wrtc-datachannel-peer.cjs', role, { mux, certificate }, { loss: 0.05 });
      }, 60_000);
    }
  },
);
