/**
 * Pure-JavaScript `TextEncoder` and `TextDecoder` for guests.
 *
 * Node implements its own in C++ and JavaScript with host bindings; SES
 * passes them into every compartment. Guests get these instead: the source
 * below is evaluated once, in the guest kit's compartment (./kit.ts), and
 * the hardened pair is shared by every realm: its functions are guest-realm
 * JavaScript, so no host-implemented function is reachable through them.
 * UTF-8 only (as `TextEncoder` is by spec); the decoder replaces malformed
 * sequences with U+FFFD and supports `fatal` and `ignoreBOM`. No streaming.
 */

export const textCodecSource = `(() => {
  const encode = (input = '') => {
    const s = String(input);
    const out = [];
    for (let i = 0; i < s.length; i += 1) {
      let c = s.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) { c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00); i += 1; }
        else c = 0xfffd;
      } else if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
      if (c < 0x80) out.push(c);
      else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
      else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
      else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    }
    return new Uint8Array(out);
  };
  class TextEncoder {
    get encoding() { return 'utf-8'; }
    encode(input = '') { return encode(input); }
    encodeInto(input, dest) {
      const bytes = encode(input);
      const n = Math.min(bytes.length, dest.length);
      dest.set(bytes.subarray(0, n));
      return { read: n === bytes.length ? String(input).length : undefined, written: n };
    }
  }
  const labels = ['utf-8', 'utf8', 'unicode-1-1-utf-8'];
  class TextDecoder {
    #fatal; #ignoreBOM;
    constructor(label = 'utf-8', options = {}) {
      if (!labels.includes(String(label).trim().toLowerCase())) {
        throw new RangeError('TextDecoder supports only utf-8 here, got ' + String(label));
      }
      this.#fatal = Boolean(options && options.fatal);
      this.#ignoreBOM = Boolean(options && options.ignoreBOM);
    }
    get encoding() { return 'utf-8'; }
    get fatal() { return this.#fatal; }
    get ignoreBOM() { return this.#ignoreBOM; }
    decode(input) {
      if (input === undefined) return '';
      const bytes = ArrayBuffer.isView(input)
        ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
        : new Uint8Array(input);
      let i = 0;
      if (!this.#ignoreBOM && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = 3;
      const parts = [];
      let chunk = [];
      const bad = () => {
        if (this.#fatal) throw new TypeError('The encoded data was not valid utf-8');
        chunk.push(0xfffd);
      };
      while (i < bytes.length) {
        const b = bytes[i];
        let need = 0, c = 0, min = 0;
        if (b < 0x80) { chunk.push(b); i += 1; }
        else {
          if (b >= 0xc2 && b <= 0xdf) { need = 1; c = b & 31; min = 0x80; }
          else if (b >= 0xe0 && b <= 0xef) { need = 2; c = b & 15; min = 0x800; }
          else if (b >= 0xf0 && b <= 0xf4) { need = 3; c = b & 7; min = 0x10000; }
          else { bad(); i += 1; continue; }
          let j = 1;
          for (; j <= need; j += 1) {
            const n = bytes[i + j];
            if (n === undefined || (n & 0xc0) !== 0x80) break;
            c = (c << 6) | (n & 63);
          }
          if (j <= need || c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) { bad(); i += Math.max(1, j); continue; }
          i += need + 1;
          if (c >= 0x10000) { c -= 0x10000; chunk.push(0xd800 + (c >> 10), 0xdc00 + (c & 1023)); }
          else chunk.push(c);
        }
        if (chunk.length > 8192) { parts.push(String.fromCharCode(...chunk)); chunk = []; }
      }
      parts.push(String.fromCharCode(...chunk));
      return parts.join('');
    }
  }
  return harden({ TextEncoder, TextDecoder });
})()`;
