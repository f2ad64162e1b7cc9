/**
 * Reading the transport parameters of a remote description: ICE credentials
 * (RFC 8839 §5.4), DTLS fingerprint (RFC 8122 §5) and role (RFC 8842 §5).
 * Each may sit on the media section or at session level; a media-level value
 * wins (RFC 8839 §5.4, RFC 8122 §5). With BUNDLE (RFC 8843) the tagged
 * section — the first mid of the first BUNDLE group — carries the transport.
 */
import type { SdpFingerprint, SdpMediaSection, SdpSetupRole, SessionDescription } from './types.js';

/** ICE parameters of one side. */
export interface SdpIceParameters {
  /** a=ice-ufrag. */
  usernameFragment: string;
  /** a=ice-pwd. */
  password: string;
  /** True when the description has a=ice-lite (RFC 8839 §5.3). */
  iceLite: boolean;
  /** a=ice-options tokens (`trickle`, `ice2`), empty when absent. */
  options: string[];
}

/** The mid that identifies the BUNDLE transport: the first mid of the first BUNDLE group (RFC 8843). */
export function bundleTag(desc: SessionDescription): string | undefined {
  return desc.groups.find((group) => group.semantics === 'BUNDLE')?.mids[0];
}

/**
 * The section a transport parameter is read from: the one with `mid` when
 * given (undefined if there is none), else the BUNDLE-tagged section, else
 * the first section.
 */
export function transportSection(desc: SessionDescription, mid?: string): SdpMediaSection | undefined {
  if (mid !== undefined) return desc.media.find((section) => section.mid === mid);
  const tag = bundleTag(desc);
  return (tag === undefined ? undefined : desc.media.find((section) => section.mid === tag)) ?? desc.media[0];
}

/**
 * The DTLS certificate fingerprint for a section (see transportSection),
 * falling back to session level. When several are listed, sha-256 is
 * preferred, else the first is returned.
 */
export function fingerprintFromDescription(
  desc: SessionDescription,
  mid?: string,
): SdpFingerprint | undefined {
  const section = transportSection(desc, mid);
  if (mid !== undefined && section === undefined) return undefined;
  const list =
    section !== undefined && section.fingerprints.length > 0 ? section.fingerprints : desc.fingerprints;
  return list.find((fingerprint) => fingerprint.algorithm.toLowerCase() === 'sha-256') ?? list[0];
}

/** The ICE ufrag and password for a section (see transportSection), each falling back to session level. */
export function iceParametersFromDescription(
  desc: SessionDescription,
  mid?: string,
): SdpIceParameters | undefined {
  const section = transportSection(desc, mid);
  if (mid !== undefined && section === undefined) return undefined;
  const usernameFragment = section?.iceUfrag ?? desc.iceUfrag;
  const password = section?.icePwd ?? desc.icePwd;
  if (usernameFragment === undefined || password === undefined) return undefined;
  return {
    usernameFragment,
    password,
    iceLite: desc.iceLite,
    options: section?.iceOptions ?? desc.iceOptions ?? [],
  };
}

/** The a=setup role for a section (see transportSection), falling back to session level. */
export function setupFromDescription(desc: SessionDescription, mid?: string): SdpSetupRole | undefined {
  const section = transportSection(desc, mid);
  if (mid !== undefined && section === undefined) return undefined;
  return section?.setup ?? desc.setup;
}
