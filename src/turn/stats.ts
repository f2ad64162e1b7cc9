/** Counters of the TURN server: plain numbers, so the hot path only increments. */
export class TurnStats {
  /** Binding requests answered. */
  bindingRequests = 0;
  allocationsCreated = 0;
  allocationsDeleted = 0;
  allocationsExpired = 0;
  permissionsCreated = 0;
  channelsBound = 0;
  authFailures = 0;
  /** Error responses sent, all codes. */
  errorResponses = 0;
  /** Allocate requests refused because the server is draining. */
  refusedDraining = 0;
  packetsToPeer = 0;
  bytesToPeer = 0;
  packetsToClient = 0;
  bytesToClient = 0;
  /** TCP and TLS client connections accepted (ready for TURN). */
  streamConnectionsAccepted = 0;
  /** Connections closed before they were ready: bad first byte, failed TLS handshake, timeout, capacity. */
  streamConnectionsRejected = 0;
  /** RFC 6062 peer connections made (Connect) and accepted (on a relayed address). */
  peerConnectionsOpened = 0;
  /** Datagrams that are neither STUN nor ChannelData, or do not decode. */
  droppedMalformed = 0;
  /** ChannelData, Send indications or relay traffic with no allocation behind them. */
  droppedNoAllocation = 0;
  droppedNoPermission = 0;
  droppedNoChannel = 0;
  /** STUN indications or responses the server does not handle. */
  droppedUnexpected = 0;
  /** Unauthenticated requests left unanswered because their source exceeded its rate. */
  droppedRateLimited = 0;
  /** Relayed datagrams over an allocation's, a user's or the server's bandwidth cap. */
  droppedBandwidth = 0;
  /** Relayed messages toward a TCP/TLS client that does not read fast enough. */
  droppedBackpressure = 0;
  /** Exceptions caught at a socket boundary (a bug if ever non-zero). */
  internalErrors = 0;
}
