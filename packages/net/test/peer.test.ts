import test from 'ava';
import fc from 'fast-check';
import { isCathedralError } from '@cathedral/sdk';
import { canonicalIp, formatPeer, parsePeer } from '../src/index.js';

const canon = (peer: string) => formatPeer(parsePeer('connect', peer));

/** Every spelling of 127.0.0.1:80 an attacker might try. */
export const loopbackSpellings = [
  '127.0.0.1:80',
  '2130706433:80',
  '0177.0.0.1:80',
  '0x7f.1:80',
  '0x7F000001:80',
  '127.1:80',
  '127.0.1:80',
  '0177.1:80',
  '127.000.000.001:80',
  '0x7f.0.0.1:80',
  '127.0.0.1.:80',
  '[::ffff:127.0.0.1]:80',
  '[::ffff:7f00:1]:80',
  '[::FFFF:7F00:0001]:80',
  '[0:0:0:0:0:ffff:127.0.0.1]:80',
  '[0000:0000:0000:0000:0000:ffff:7f00:0001]:80',
  '127.0.0.1:0080',
];

test('parsePeer - every spelling of an IPv4 address is the same canonical peer', t => {
  for (const spelling of loopbackSpellings) t.is(canon(spelling), '127.0.0.1:80', spelling);
});

test('parsePeer - IPv6 is canonical per RFC 5952, names lowercase without a trailing dot, unix paths normalised', t => {
  t.is(canon('[0:0:0:0:0:0:0:1]:443'), '[::1]:443');
  t.is(canon('[2001:DB8:0:0:1:0:0:1]:443'), '[2001:db8::1:0:0:1]:443');
  t.is(canon('[2001:0db8::0001]:443'), '[2001:db8::1]:443');
  t.is(canon('LOCALHOST.:5432'), 'localhost:5432');
  t.is(canon('Api.Example.COM:443'), 'api.example.com:443');
  t.is(canon('bücher.example:80'), 'xn--bcher-kva.example:80');
  t.is(canon('unix:/run/./a/../app.sock'), 'unix:/run/app.sock');
});

test('parsePeer - a malformed peer is an INVALID_ARGUMENT naming it', t => {
  for (const bad of ['example.com', 'example.com:0', 'example.com:65536', 'example.com:http', '::1:80', '[::1:80', '1.2.3.256:80', '256.1.1.1:80', 'foo.0x10:80', 'a b:80', 'unix:relative.sock', 'ex_ample..com:80', '[fe80::1%eth0]:80', '']) {
    const error = t.throws(() => parsePeer('connect', bad), undefined, bad);
    t.true(isCathedralError(error, 'INVALID_ARGUMENT'), bad);
  }
  t.throws(() => parsePeer('connect', 42), { message: /a peer must be a string/ });
});

test('canonicalIp - property: decimal, octal, hex, short and mapped spellings of any IPv4 address agree', t => {
  fc.assert(
    fc.property(fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)), ([a, b, c, d]) => {
      const dotted = `${a}.${b}.${c}.${d}`;
      const n = ((a * 256 + b) * 256 + c) * 256 + d;
      const spellings = [
        String(n),
        `0x${n.toString(16)}`,
        `0${a.toString(8)}.0${b.toString(8)}.0${c.toString(8)}.0${d.toString(8)}`,
        `0x${a.toString(16)}.0x${b.toString(16)}.0x${c.toString(16)}.0x${d.toString(16)}`,
        `${a}.${b * 65536 + c * 256 + d}`,
        `${a}.${b}.${c * 256 + d}`,
        `${dotted}.`,
        `::ffff:${dotted}`,
        `::ffff:${(a * 256 + b).toString(16)}:${(c * 256 + d).toString(16)}`,
      ];
      for (const s of spellings) if (canonicalIp(s)?.text !== dotted) return false;
      return true;
    }),
  );
  t.pass();
});

test('canonicalIp - property: an IPv6 address and its canonical text denote the same groups', t => {
  fc.assert(
    fc.property(fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 }), groups => {
      const full = groups.map(g => g.toString(16).padStart(4, '0').toUpperCase()).join(':');
      const canonical = canonicalIp(full);
      if (canonical === undefined) return false;
      // Canonical text is stable, and parses back to itself.
      return canonicalIp(canonical.text)?.text === canonical.text;
    }),
  );
  t.pass();
});
