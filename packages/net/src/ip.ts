/**
 * IP literals in every spelling, reduced to one canonical text.
 *
 * IPv4 is parsed as the WHATWG URL host parser and C's `inet_aton` (which
 * `getaddrinfo`, so `dns.lookup`, uses) parse it: one to four parts, each
 * decimal, octal (`0177`) or hex (`0x7f`), the last part filling the bytes
 * left (`127.1`, `2130706433`), one trailing dot allowed. IPv6 is parsed in
 * full (`::`, embedded dotted IPv4, any case, zero-padded groups) and an
 * IPv4-mapped address (`::ffff:127.0.0.1`, `::ffff:7f00:1`) becomes the IPv4
 * address it reaches. Canonical texts: dotted decimal for IPv4, RFC 5952 for
 * IPv6. So a comparison of canonical texts is a comparison of the addresses
 * a connection would reach, whatever the spelling.
 *
 * Not handled, on purpose: zone ids (`fe80::1%eth0`, refused as not an IP
 * literal), NAT64 prefixes (`64:ff9b::/96` reaches an IPv4 host only through
 * a NAT64 gateway, which is a different peer), IPv4-compatible `::a.b.c.d`
 * (deprecated; Linux does not route it to the IPv4 host).
 */

export type IpLiteral = { readonly family: 4 | 6; readonly text: string };

const HEX = /^0x[0-9a-f]*$/;
const OCT = /^0[0-7]+$/;
const DEC = /^(0|[1-9][0-9]*)$/;

const ipv4Part = (part: string): number | undefined => {
  const p = part.toLowerCase();
  // Long digit strings are out of range anyway; bound them before Number().
  if (p.length > 34) return undefined;
  if (HEX.test(p)) return p.length === 2 ? 0 : Number.parseInt(p.slice(2), 16);
  if (OCT.test(p)) return Number.parseInt(p.slice(1), 8);
  if (DEC.test(p)) return Number.parseInt(p, 10);
  return undefined;
};

/** The IPv4 address a text denotes as a 32-bit number, or undefined when it is not an IPv4 literal. */
export const parseIpv4 = (input: string): number | undefined => {
  const parts = input.split('.');
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  if (parts.length === 0 || parts.length > 4) return undefined;
  const numbers: number[] = [];
  for (const part of parts) {
    const n = ipv4Part(part);
    if (n === undefined) return undefined;
    numbers.push(n);
  }
  const last = numbers.pop() as number;
  if (numbers.some(n => n > 255)) return undefined;
  if (last >= 256 ** (4 - numbers.length)) return undefined;
  let value = last;
  numbers.forEach((n, i) => {
    value += n * 256 ** (3 - i);
  });
  return value;
};

/** True when the last dot-separated label looks numeric: such a host must be an IPv4 literal or nothing (WHATWG "ends in a number"). */
export const endsInNumber = (input: string): boolean => {
  const parts = input.split('.');
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  const last = (parts[parts.length - 1] ?? '').toLowerCase();
  return /^[0-9]+$/.test(last) || HEX.test(last);
};

const v4Text = (n: number): string => [24, 16, 8, 0].map(shift => Math.floor(n / 2 ** shift) % 256).join('.');

/** Eight 16-bit groups, or undefined when the text is not an IPv6 literal. */
export const parseIpv6 = (input: string): number[] | undefined => {
  if (input.length > 64 || !/^[0-9a-fA-F:.]+$/.test(input)) return undefined;
  let text = input;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    // Embedded IPv4 in IPv6 is strict dotted decimal (RFC 4291), unlike a bare IPv4 host:
    // rewritten as the two groups it stands for.
    const dotted = text.slice(lastColon + 1).split('.');
    if (lastColon < 0 || dotted.length !== 4 || dotted.some(d => !DEC.test(d) || Number(d) > 255)) return undefined;
    const [a, b, c, d] = dotted.map(Number) as [number, number, number, number];
    text = `${text.slice(0, lastColon + 1)}${(a * 256 + b).toString(16)}:${(c * 256 + d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (half: string): number[] | undefined => {
    if (half === '') return [];
    const out: number[] = [];
    for (const g of half.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  const head = groupsOf(halves[0] as string);
  const rest = halves.length === 2 ? groupsOf(halves[1] as string) : [];
  if (head === undefined || rest === undefined) return undefined;
  const back = rest;
  if (halves.length === 1) {
    const all = [...head, ...back];
    return all.length === 8 ? all : undefined;
  }
  const zeros = 8 - head.length - back.length;
  if (zeros < 1) return undefined;
  return [...head, ...new Array<number>(zeros).fill(0), ...back];
};

const v6Text = (groups: readonly number[]): string => {
  // RFC 5952: the longest run of two or more zero groups becomes `::`, the first such run on ties.
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > bestLength) {
      best = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map(g => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLength).join(':')}`;
};

/** The canonical form of an IP literal in any spelling, or undefined when the text is not one. */
export const canonicalIp = (input: string): IpLiteral | undefined => {
  const v4 = parseIpv4(input);
  if (v4 !== undefined) return { family: 4, text: v4Text(v4) };
  const v6 = parseIpv6(input);
  if (v6 === undefined) return undefined;
  // IPv4-mapped (::ffff:a.b.c.d): a socket to it reaches the IPv4 host.
  if (v6.slice(0, 5).every(g => g === 0) && v6[5] === 0xffff) {
    return { family: 4, text: v4Text((v6[6] as number) * 65536 + (v6[7] as number)) };
  }
  return { family: 6, text: v6Text(v6) };
};
