/**
 * The first step of a SIGTERM drain (PROTOCOL, operating contract): `/readyz` answers 503, so the
 * proxy takes the node out of the balancing before the node stops accepting connections.
 *
 * How long that takes is the proxy's business (check interval x failures). HAProxy with
 * `http-check send-state` says how it sees the node on every check (`X-Haproxy-Server-State:
 * UP`, `UP 2/3` going down with 2 failures to go, `DOWN; ...`): the node waits until a check
 * says DOWN or that its own 503 is the last failure needed (`UP 1/n`), at most `maxWaitMs`.
 * When no such check came lately (no proxy, a checker that does not say, tests), nothing waits.
 */
export class Drain {
  /** A proxy that checked within this window is taken to be watching (HAProxy checks every 0.5-2 s). */
  static readonly PROXY_MEMORY_MS = 10_000;
  private draining = false;
  private lastProxyCheckAt = -Infinity;
  private proxyDown?: () => void;

  get active(): boolean {
    return this.draining;
  }

  /** Called by /readyz with the request's X-Haproxy-Server-State header (absent: not HAProxy). */
  noteCheck(proxyState: string | undefined): void {
    if (proxyState === undefined) return;
    this.lastProxyCheckAt = Date.now();
    // "UP 1/2": one more failed check takes the node down, and this one is answered 503.
    if (this.draining && /^\s*(DOWN|MAINT|NOLB|UP 1\/\d+)\b/i.test(proxyState)) this.proxyDown?.();
  }

  /** Turns /readyz to 503 and resolves once the watching proxy has the node DOWN (or at once without one). */
  async begin(maxWaitMs: number): Promise<"proxy-down" | "timeout" | "no-proxy"> {
    this.draining = true;
    if (Date.now() - this.lastProxyCheckAt > Drain.PROXY_MEMORY_MS) return "no-proxy";
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve("timeout"), maxWaitMs);
      this.proxyDown = () => {
        clearTimeout(timer);
        this.proxyDown = undefined;
        resolve("proxy-down");
      };
    });
  }
}
