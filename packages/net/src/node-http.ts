/**
 * One HTTP(S) exchange with a pinned address, through `node:http` /
 * `node:https` (ambient network authority, like ./node-transport.ts).
 *
 * The request's `host` is the checked IP address, so Node does no lookup;
 * the Host header carries the URL's host and, for HTTPS, `servername` the
 * name the certificate is checked against. Each capability has its own
 * keep-alive agents (a pool keyed by the pinned address), destroyed with it.
 * Redirects are not followed here: ./fetch.ts follows them, checking each.
 */
import { Agent as HttpAgent, type IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { invalid } from './refusals.js';
import type { HopControl, HopResponse, HttpClient, HttpHop } from './transport.js';

/**
 * Response headers as a frozen plain record (lowercase names, repeated ones
 * joined with ", "), and the bytes they count against `netBytes` (each raw
 * name and value, plus two): read once, when the response starts.
 *
 * Node decodes header bytes as latin1, one character per byte, so a raw
 * string's length is the bytes it took on the wire: `Buffer.byteLength`
 * (UTF-8) counted a non-ASCII byte twice, and cost a call per string.
 */
const readHeaders = (raw: readonly string[]): { readonly headers: Readonly<Record<string, string>>; readonly bytes: number } => {
  const out: Record<string, string> = {};
  let bytes = 0;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const rawName = raw[i] as string;
    const value = raw[i + 1] as string;
    bytes += rawName.length + value.length + 4;
    const name = rawName.toLowerCase();
    if (Object.hasOwn(out, name)) out[name] = `${out[name] as string}, ${value}`;
    // A name the record inherits (`__proto__`, `constructor`) is defined, so it
    // stays a header: assigning it would set the prototype, or throw on a frozen one.
    else if (name in out) Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
    else out[name] = value;
  }
  return { headers: Object.freeze(out), bytes };
};

export interface TlsOptions {
  /** Certificate authorities to trust instead of the system's (PEM). */
  readonly ca?: string | readonly string[];
}

export const makeNodeHttpClient = (tls: TlsOptions = {}): HttpClient => {
  const ca = tls.ca === undefined ? {} : { ca: typeof tls.ca === 'string' ? tls.ca : [...tls.ca] };
  const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true, ...ca }) };

  const hop = (request: HttpHop, control: HopControl): Promise<HopResponse> =>
    new Promise<HopResponse>((resolve, reject) => {
      let settled = false;
      // Built by assignment, not by spreads: with the chunks kept uncopied and
      // the headers counted by length, ~3 µs less CPU a loopback request (of ~210).
      const headers: Record<string, string> = {};
      for (const name of Object.keys(request.headers)) {
        const value = request.headers[name] as string;
        // As in readHeaders: a name a record inherits is defined, never assigned.
        if (name in headers) Object.defineProperty(headers, name, { value, enumerable: true, writable: true, configurable: true });
        else headers[name] = value;
      }
      headers['host'] = request.hostHeader;
      const options: Record<string, unknown> = {
        host: request.target.address,
        port: request.target.port,
        method: request.method,
        path: request.path,
        headers,
        agent: request.secure ? agents.https : agents.http,
      };
      if (request.secure && request.servername !== undefined) options['servername'] = request.servername;
      let unregister = () => {};
      const fail = (error: Error) => {
        unregister();
        if (settled) return;
        settled = true;
        reject(error);
      };
      let req: ReturnType<typeof httpRequest>;
      try {
        req = (request.secure ? httpsRequest : httpRequest)(options);
      } catch (error) {
        // Node validates header names and values and the method before sending anything.
        const code = typeof error === 'object' && error !== null ? String((error as { code?: unknown }).code) : '';
        reject(code.startsWith('ERR_INVALID') ? invalid('fetch', request.hostHeader, `the request is not valid HTTP (${code})`, 'header names are tokens and values hold no control characters') : error);
        return;
      }
      unregister = control.onAbort(reason => {
        fail(reason);
        req.destroy(reason);
      });
      req.on('error', fail);
      req.on('response', (res: IncomingMessage) => {
        // Node's own chunks, held until the end: the body is one copy of them, made there.
        const chunks: Buffer[] = [];
        let size = 0;
        const { headers, bytes } = readHeaders(res.rawHeaders);
        // Node's own `res.headers`, made when first read, assigns each name to a
        // plain object: under lockdown a header named `constructor` throws there
        // (Object.prototype is frozen), uncaught, from the keep-alive agent, and
        // the host process dies. Node reads this record instead.
        res.headers = headers as IncomingMessage['headers'];
        try {
          control.charge(bytes);
        } catch (error) {
          fail(error as Error);
          req.destroy(error as Error);
          return;
        }
        res.on('data', (chunk: Buffer) => {
          try {
            control.charge(chunk.length);
          } catch (error) {
            fail(error as Error); // first: destroying emits the cut-short response's own errors
            req.destroy(error as Error);
            res.destroy();
            return;
          }
          chunks.push(chunk);
          size += chunk.length;
        });
        // A response cut short emits 'error' (ECONNRESET) right after 'aborted' on
        // Node >= 20.11 (package.json engines): this listener hears it, so every
        // request goes without an 'aborted' one (test: a response cut short).
        res.on('error', fail);
        res.on('end', () => {
          unregister();
          if (settled) return;
          settled = true;
          const body = new Uint8Array(size);
          let at = 0;
          for (const chunk of chunks) {
            body.set(chunk, at);
            at += chunk.length;
          }
          resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers, body });
        });
      });
      if (request.body !== undefined) req.end(request.body);
      else req.end();
    });

  return {
    hop,
    close: () => {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
};
