/**
 * Who does what in a call between two participants (docs/protocol.md, "A
 * call between two browsers"): pure decisions, kept apart from the
 * RTCPeerConnection code so they can be tested without a browser.
 */

/**
 * Perfect negotiation: of two participants, the one whose id sorts first is
 * polite, and rolls back its own offer when offers collide. Both sides reach
 * the same answer from the two ids alone.
 */
export function isPolite(localId: string, remoteId: string): boolean {
  return localId < remoteId;
}

/**
 * The participant that joins later (the newcomer) makes the first offer to
 * each participant already in the room; the others wait for it. A newcomer
 * learns of the others from `joined`, the others learn of it from
 * `participant_joined`, so the message that introduced the remote side decides.
 */
export function makesFirstOffer(introducedBy: 'joined' | 'participant_joined'): boolean {
  return introducedBy === 'joined';
}

/** The state a perfect-negotiation side keeps between signaling messages. */
export interface NegotiationState {
  /** True while this side is creating and setting its own offer. */
  makingOffer: boolean;
  /** True while an answer is being applied (the state is about to be stable again). */
  settingRemoteAnswer: boolean;
  /** The RTCPeerConnection's signaling state. */
  signalingState: RTCSignalingState;
}

/** What to do with a received description. */
export type DescriptionAction =
  /** Apply it (rolling back our own offer first if needed, which setRemoteDescription does implicitly). */
  | 'accept'
  /** Drop it: offers collided and this side is impolite. */
  | 'ignore';

/**
 * The perfect-negotiation rule for a received offer or answer (W3C WebRTC
 * §10.7 example): an offer collides when this side is making or holding an
 * offer of its own; the impolite side then ignores it, the polite side
 * accepts it, and the implicit rollback discards its own offer.
 */
export function onRemoteDescription(
  type: 'offer' | 'answer',
  polite: boolean,
  state: NegotiationState,
): DescriptionAction {
  if (type !== 'offer') return 'accept';
  const readyForOffer =
    !state.makingOffer && (state.signalingState === 'stable' || state.settingRemoteAnswer);
  const collision = !readyForOffer;
  return collision && !polite ? 'ignore' : 'accept';
}
