/**
 * Element IDs of the Matroska and WebM elements the writer uses (RFC 9559
 * §5.1, the Matroska element table; EBML header elements from RFC 8794
 * §11.2). WebM (https://www.webmproject.org/docs/container/) is the subset
 * of Matroska with DocType "webm" and the codecs VP8, VP9, AV1, Vorbis and
 * Opus.
 */
export const MatroskaId = {
  /** EBML header (RFC 8794 §11.2.1). */
  Ebml: 0x1a45dfa3,
  EbmlVersion: 0x4286,
  EbmlReadVersion: 0x42f7,
  EbmlMaxIdLength: 0x42f2,
  EbmlMaxSizeLength: 0x42f3,
  DocType: 0x4282,
  DocTypeVersion: 0x4287,
  DocTypeReadVersion: 0x4285,
  /** Filler (RFC 8794 §11.3.2). */
  Void: 0xec,

  /** The root of everything after the EBML header (RFC 9559 §5.1). */
  Segment: 0x18538067,

  /** Where the top-level elements are (§5.1.1). */
  SeekHead: 0x114d9b74,
  Seek: 0x4dbb,
  SeekId: 0x53ab,
  SeekPosition: 0x53ac,

  /** Segment information (§5.1.2). */
  Info: 0x1549a966,
  TimestampScale: 0x2ad7b1,
  Duration: 0x4489,
  MuxingApp: 0x4d80,
  WritingApp: 0x5741,

  /** Clusters (§5.1.3). */
  Cluster: 0x1f43b675,
  Timestamp: 0xe7,
  SimpleBlock: 0xa3,

  /** Tracks (§5.1.4). */
  Tracks: 0x1654ae6b,
  TrackEntry: 0xae,
  TrackNumber: 0xd7,
  TrackUid: 0x73c5,
  TrackType: 0x83,
  FlagLacing: 0x9c,
  Language: 0x22b59c,
  CodecId: 0x86,
  CodecPrivate: 0x63a2,
  CodecDelay: 0x56aa,
  SeekPreRoll: 0x56bb,
  Video: 0xe0,
  PixelWidth: 0xb0,
  PixelHeight: 0xba,
  Audio: 0xe1,
  SamplingFrequency: 0xb5,
  Channels: 0x9f,

  /** Cueing data, the seek index (§5.1.5). */
  Cues: 0x1c53bb6b,
  CuePoint: 0xbb,
  CueTime: 0xb3,
  CueTrackPositions: 0xb7,
  CueTrack: 0xf7,
  CueClusterPosition: 0xf1,
} as const;

/** TrackType values (RFC 9559 §5.1.4, TrackEntry). */
export const MatroskaTrackType = { Video: 1, Audio: 2 } as const;

/** SimpleBlock flag bits (§10.2 "SimpleBlock Structure"). */
export const SimpleBlockFlag = {
  /** The frame can be decoded on its own (a random access point). */
  Keyframe: 0x80,
  /** The frame may be discarded during playback if needed. */
  Discardable: 0x01,
} as const;
