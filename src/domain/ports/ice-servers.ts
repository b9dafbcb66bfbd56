/** An RTCIceServer as the browser takes it. */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

/** STUN/TURN servers for one user, with how long their credentials stay valid. */
export interface IceServerSource {
  forUser(userId: string, now: Date): { iceServers: IceServer[]; ttlSeconds: number };
}
