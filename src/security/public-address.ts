import { promises as dnsPromises, type LookupAddress, type LookupOptions } from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import ipaddr from "ipaddr.js";

/**
 * Which addresses the server may connect to on a user's say-so (push endpoints): public unicast
 * only. The subscriber chooses the URL, so without this a push is a request from inside our
 * network to wherever they point it (server-side request forgery): the cloud metadata service at
 * 169.254.169.254, an admin port on loopback, a database on the private network.
 */

/** How a host name resolves: every address, as `dns.lookup(name, { all: true })`. Tests inject one. */
export type ResolveAll = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolveAll: ResolveAll = (hostname) => dnsPromises.lookup(hostname, { all: true });

/** A host that is, or resolves to, an address the server must not connect to. */
export class NonPublicAddressError extends Error {
  // A stable code, as the errors of net and dns carry, so a failed connection can be told apart.
  readonly code = "ENONPUBLIC";

  constructor(
    readonly host: string,
    readonly address: string,
  ) {
    super(host === address ? `${address} is not a public address` : `${host} resolves to ${address}, not a public address`);
    this.name = "NonPublicAddressError";
  }
}

/**
 * True for a public unicast address. ipaddr.js classifies by the IANA special-purpose registries;
 * everything it names (loopback, private, link-local, CGNAT, unique-local, multicast, reserved,
 * NAT64, 6to4, Teredo…) is refused, and `process` first unwraps IPv4-mapped IPv6 (::ffff:a.b.c.d)
 * so a private IPv4 cannot hide in it. Only canonical IP text counts: anything Node would not dial
 * as an address (a name, `0177.0.0.1`) is not one, and it goes through `lookup` when connected.
 */
export function isPublicAddress(ip: string): boolean {
  if (isIP(ip) === 0) return false;
  return ipaddr.process(ip).range() === "unicast";
}

/** The IP address a URL's hostname spells (IPv6 without its brackets), or null for a host name. */
export function ipLiteral(hostname: string): string | null {
  const bare = hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
  return isIP(bare) ? bare : null;
}

function assertAllPublic(host: string, addresses: readonly string[]) {
  // No address is no evidence of a public one.
  if (addresses.length === 0) throw new NonPublicAddressError(host, "no address");
  const bad = addresses.find((a) => !isPublicAddress(a));
  if (bad !== undefined) throw new NonPublicAddressError(host, bad);
}

/**
 * Throws NonPublicAddressError unless `hostname` (a URL's, so IPv6 in brackets) is a public
 * address or a name whose every address is. Every one, not some: a connection may use any of
 * them. Resolution errors (ENOTFOUND…) are thrown as they come.
 */
export async function assertPublicHost(hostname: string, resolve: ResolveAll = systemResolveAll): Promise<void> {
  const literal = ipLiteral(hostname);
  const addresses = literal ? [literal] : (await resolve(hostname)).map((a) => a.address);
  assertAllPublic(literal ?? hostname, addresses);
}

function familyOf(options: LookupOptions): 4 | 6 | undefined {
  const f = options.family;
  if (f === 4 || f === "IPv4") return 4;
  if (f === 6 || f === "IPv6") return 6;
  return undefined;
}

/**
 * The `lookup` option of net.connect (and so of http.Agent / https.Agent), resolving through
 * `resolve`. With `publicOnly` the connection fails with NonPublicAddressError when any address is
 * not public: this runs for the address actually dialled, so a name re-pointed after an earlier
 * check (DNS rebinding) is still caught. net.connect skips `lookup` for an IP literal: check those
 * with isPublicAddress before connecting.
 */
export function connectLookup(resolve: ResolveAll, { publicOnly }: { publicOnly: boolean }): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname)
      .then((all) => {
        if (publicOnly) assertAllPublic(hostname, all.map((a) => a.address));
        const family = familyOf(options);
        const usable = family ? all.filter((a) => a.family === family) : all;
        const first = usable[0];
        if (!first) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND", hostname });
        if (options.all) callback(null, usable);
        else callback(null, first.address, first.family);
      })
      .catch((err: NodeJS.ErrnoException) => callback(err, ""));
  };
}
