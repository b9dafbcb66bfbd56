// Which addresses a push endpoint may name (src/security/public-address.ts): public unicast only,
// however the address is spelled or reached. No network: names go through an injected resolver,
// except `localhost`, which the system resolves from /etc/hosts.
import type { LookupAddress } from "node:dns";
import { expect } from "chai";
import { assertPublicHost, connectLookup, ipLiteral, isPublicAddress, NonPublicAddressError, type ResolveAll } from "../../src/security/public-address.js";

/** A resolver answering from a table; a name not in it does not exist. */
function resolverOf(table: Record<string, string[]>): ResolveAll & { asked: string[] } {
  const asked: string[] = [];
  const resolve = async (hostname: string): Promise<LookupAddress[]> => {
    asked.push(hostname);
    const addresses = table[hostname];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
    return addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
  return Object.assign(resolve, { asked });
}

/** The NonPublicAddressError assertPublicHost throws (`resolve` absent: the system resolver). */
async function refusal(hostname: string, resolve?: ResolveAll): Promise<NonPublicAddressError> {
  try {
    await assertPublicHost(hostname, resolve);
  } catch (err) {
    expect(err, hostname).to.be.instanceOf(NonPublicAddressError);
    return err as NonPublicAddressError;
  }
  throw new Error(`${hostname} was accepted`);
}

/** Runs a connectLookup as net.connect would, with its callback turned into a promise. */
function connectResolve(lookup: ReturnType<typeof connectLookup>, hostname: string, options: { all?: boolean; family?: number } = {}) {
  return new Promise<{ address: string | LookupAddress[]; family: number | undefined }>((resolve, reject) =>
    lookup(hostname, options, (err, address, family) => (err ? reject(err) : resolve({ address, family }))),
  );
}

// Every non-public class, in its canonical spelling (what a resolver answers and the URL parser prints).
const NOT_PUBLIC: [string, string][] = [
  ["127.0.0.1", "IPv4 loopback"],
  ["127.255.255.254", "IPv4 loopback, the top of 127/8"],
  ["10.0.0.1", "private 10/8"],
  ["172.16.0.1", "private 172.16/12"],
  ["172.31.255.255", "private 172.16/12, its top"],
  ["192.168.1.1", "private 192.168/16"],
  ["169.254.169.254", "link-local: the cloud metadata service"],
  ["100.64.0.1", "carrier-grade NAT"],
  ["0.0.0.0", "unspecified"],
  ["0.1.2.3", "this network, 0/8"],
  ["255.255.255.255", "broadcast"],
  ["224.0.0.1", "multicast"],
  ["239.255.255.250", "multicast (SSDP)"],
  ["240.0.0.1", "reserved 240/4"],
  ["192.0.2.1", "documentation TEST-NET-1"],
  ["198.18.0.1", "benchmarking"],
  ["::1", "IPv6 loopback"],
  ["::", "IPv6 unspecified"],
  ["fc00::1", "unique-local fc00::/7"],
  ["fd12:3456:789a::1", "unique-local fd00::/8"],
  ["fe80::1", "link-local fe80::/10"],
  ["febf::1", "link-local, its top"],
  ["ff02::1", "IPv6 multicast"],
  ["::ffff:127.0.0.1", "IPv4-mapped loopback, dotted"],
  ["::ffff:7f00:1", "IPv4-mapped loopback, hex"],
  ["::ffff:a9fe:a9fe", "IPv4-mapped metadata address"],
  ["::ffff:10.0.0.1", "IPv4-mapped private"],
  ["64:ff9b::7f00:1", "NAT64 (RFC 6052) embedding loopback"],
  ["64:ff9b::a00:1", "NAT64 embedding 10.0.0.1"],
  ["2002:7f00:1::", "6to4 embedding loopback"],
  ["2002:c0a8:101::1", "6to4 embedding 192.168.1.1"],
  ["2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"],
  ["2001:db8::1", "documentation 2001:db8::/32"],
  ["fec0::1", "deprecated site-local"],
];

const PUBLIC = ["8.8.8.8", "1.1.1.1", "142.250.74.138", "2001:4860:4860::8888", "2606:4700:4700::1111", "::ffff:8.8.8.8"];

describe("public addresses (push endpoints)", () => {
  describe("isPublicAddress", () => {
    for (const [ip, what] of NOT_PUBLIC) {
      it(`refuses ${ip} (${what})`, () => expect(isPublicAddress(ip)).to.equal(false));
    }

    it("accepts public unicast IPv4 and IPv6, and a public IPv4 mapped into IPv6", () => {
      for (const ip of PUBLIC) expect(isPublicAddress(ip), ip).to.equal(true);
    });

    it("takes no name or half-spelled address for an address (the connection resolves those)", () => {
      for (const s of ["localhost", "push.example.test", "2130706433", "0177.0.0.1", "0x7f.0.0.1", "0x7f000001", "127.1", "[::1]", "", "8.8.8.8 "]) {
        expect(isPublicAddress(s), JSON.stringify(s)).to.equal(false);
      }
    });
  });

  describe("the URL parser's spelling of a host", () => {
    // What the check sees is URL.hostname; these are the forms an attacker would try.
    const loopbackSpellings: [string, string][] = [
      ["http://2130706433/", "127.0.0.1"],
      ["http://0177.0.0.1/", "127.0.0.1"],
      ["http://017700000001/", "127.0.0.1"],
      ["http://0x7f.0.0.1/", "127.0.0.1"],
      ["http://0x7f000001/", "127.0.0.1"],
      ["http://127.1/", "127.0.0.1"],
      ["http://127.0.0.1./", "127.0.0.1"],
      ["http://%31%32%37.0.0.1/", "127.0.0.1"],
      ["http://0/", "0.0.0.0"],
      ["http://[::ffff:127.0.0.1]/", "[::ffff:7f00:1]"],
      ["http://[0:0:0:0:0:0:0:1]/", "[::1]"],
      ["http://0xa9.0xfe.0xa9.0xfe/", "169.254.169.254"],
    ];
    for (const [url, hostname] of loopbackSpellings) {
      it(`normalises ${url} to ${hostname}, which is refused`, async () => {
        expect(new URL(url).hostname).to.equal(hostname);
        const noDns = resolverOf({});
        const err = await refusal(new URL(url).hostname, noDns);
        expect(err.address).to.equal(ipLiteral(hostname));
        expect(noDns.asked, "an address needs no lookup").to.deep.equal([]);
      });
    }
  });

  describe("assertPublicHost", () => {
    it("refuses every non-public address as a URL hostname (IPv6 in brackets), without DNS", async () => {
      const noDns = resolverOf({});
      for (const [ip] of NOT_PUBLIC) {
        const hostname = new URL(`https://${ip.includes(":") ? `[${ip}]` : ip}/push`).hostname;
        const err = await refusal(hostname, noDns);
        expect(isPublicAddress(err.address), `${hostname} refused as ${err.address}`).to.equal(false);
      }
      expect(noDns.asked).to.deep.equal([]);
    });

    it("accepts public addresses and names that resolve only to public addresses", async () => {
      const resolve = resolverOf({ "push.example.test": ["142.250.74.138", "2a00:1450:4001:80b::200a"] });
      for (const ip of PUBLIC) await assertPublicHost(ip.includes(":") ? `[${ip}]` : ip, resolve);
      await assertPublicHost("push.example.test", resolve);
      expect(resolve.asked).to.deep.equal(["push.example.test"]);
    });

    it("refuses a name resolving to 127.0.0.1, naming the address", async () => {
      const err = await refusal("rebind.example.test", resolverOf({ "rebind.example.test": ["127.0.0.1"] }));
      expect(err.host).to.equal("rebind.example.test");
      expect(err.address).to.equal("127.0.0.1");
      expect(err.message).to.equal("rebind.example.test resolves to 127.0.0.1, not a public address");
    });

    it("refuses a name with any non-public address among public ones (a connection may use any)", async () => {
      for (const bad of ["169.254.169.254", "::1", "::ffff:10.0.0.1", "fd00::1"]) {
        const err = await refusal("mixed.example.test", resolverOf({ "mixed.example.test": ["8.8.8.8", bad, "2001:4860:4860::8888"] }));
        expect(err.address).to.equal(bad);
      }
    });

    it("refuses a name that resolves to nothing", async () => {
      expect((await refusal("empty.example.test", resolverOf({ "empty.example.test": [] }))).address).to.equal("no address");
    });

    it("passes a resolution error on as it came", async () => {
      const err = await assertPublicHost("nowhere.example.test", resolverOf({})).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).to.include({ code: "ENOTFOUND" });
    });

    it("refuses the real `localhost` through the system resolver", async () => {
      const err = await refusal("localhost");
      expect(isPublicAddress(err.address)).to.equal(false);
      expect(err.host).to.equal("localhost");
    });
  });

  describe("connectLookup (the connection's own resolution)", () => {
    const resolve = resolverOf({ "push.example.test": ["142.250.74.138", "2a00:1450:4001:80b::200a"], "rebind.example.test": ["8.8.8.8", "127.0.0.1"] });

    it("answers like dns.lookup, one address or all, by family", async () => {
      const lookup = connectLookup(resolve, { publicOnly: true });
      expect(await connectResolve(lookup, "push.example.test")).to.deep.equal({ address: "142.250.74.138", family: 4 });
      expect(await connectResolve(lookup, "push.example.test", { family: 6 })).to.deep.equal({ address: "2a00:1450:4001:80b::200a", family: 6 });
      expect((await connectResolve(lookup, "push.example.test", { all: true })).address).to.deep.equal([
        { address: "142.250.74.138", family: 4 },
        { address: "2a00:1450:4001:80b::200a", family: 6 },
      ]);
    });

    it("fails the connection when any address is not public, even one of another family", async () => {
      const lookup = connectLookup(resolve, { publicOnly: true });
      for (const options of [{}, { all: true }, { family: 4 }]) {
        const err = await connectResolve(lookup, "rebind.example.test", options).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err, JSON.stringify(options)).to.be.instanceOf(NonPublicAddressError);
        expect(err).to.include({ code: "ENONPUBLIC", address: "127.0.0.1" });
      }
    });

    it("lets private addresses through when allowed (tests' local stand-in)", async () => {
      const lookup = connectLookup(resolve, { publicOnly: false });
      expect((await connectResolve(lookup, "rebind.example.test", { all: true })).address).to.have.length(2);
    });

    it("fails with ENOTFOUND when no address of the wanted family exists", async () => {
      const lookup = connectLookup(resolverOf({ "v4.example.test": ["8.8.8.8"] }), { publicOnly: true });
      const err = await connectResolve(lookup, "v4.example.test", { family: 6 }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).to.include({ code: "ENOTFOUND" });
    });
  });
});
