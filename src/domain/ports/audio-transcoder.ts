/** What a probe of an upload found: only files with an audio stream and a positive duration pass. */
export interface AudioProbe {
  durationMs: number;
  codec: string;
}

export interface HlsOutput {
  /** The playlist's file name (segments are named relative to it). */
  playlist: string;
  /** Every file written, the playlist included, as (name, bytes). */
  files: { name: string; bytes: Buffer }[];
  durationMs: number;
  /** Integrated loudness in LUFS (EBU R128); null when the measurement could not be read. */
  loudnessLufs: number | null;
}

export class TranscodeFailed extends Error {}

/** Turns uploaded audio into HLS (AAC segments of at most 4 s and an m3u8 playlist). */
export interface AudioTranscoder {
  /** Rejects with TranscodeFailed when the bytes hold no decodable audio stream. */
  probe(bytes: Buffer): Promise<AudioProbe>;
  /** Transcodes; the signal aborts the work (the node is stopping). */
  toHls(source: Buffer, opts: { signal: AbortSignal }): Promise<HlsOutput>;
}
