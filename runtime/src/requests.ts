/**
 * Requests: a realm asks for more authority with `request({ kind, purpose })`
 * and the host's decider answers with a node (attenuated as the host sees
 * fit) or a refusal — the powerbox pattern of a file picker.
 *
 * The decider sees plain data only: the realm's name, the kind, and the
 * purpose as text with terminal control characters neutralised and its
 * length bounded, never a guest object. Every answer is in the ledger.
 */
import type { EffectKind, Node } from '@cathedral/sdk';
import { InvalidArgumentError, RefusedError } from '@cathedral/sdk';
import { type Ledger, describeNode } from '@cathedral/powerbox';
import { neutralise } from './console.js';

export interface Request {
  readonly realm: string;
  readonly kind: string;
  readonly purpose: string;
}

/** Answers a request with a node, or `undefined` to refuse. */
export type Decider = (request: Request) => Node | undefined | Promise<Node | undefined>;

export interface Rule {
  readonly kind: string;
  /** Realms the rule answers; all when absent. */
  readonly realms?: readonly string[];
  /** The node to hand out (made fresh per request when a function). */
  readonly grant: Node | ((request: Request) => Node | Promise<Node>);
}

/** A decider from a rule table: the first rule whose kind and realm match answers. */
export const makeRuleDecider =
  (rules: readonly Rule[]): Decider =>
  async request => {
    const rule = rules.find(r => r.kind === request.kind && (r.realms === undefined || r.realms.includes(request.realm)));
    if (rule === undefined) return undefined;
    return typeof rule.grant === 'function' ? rule.grant(request) : rule.grant;
  };

const MAX_PURPOSE = 512;
const KIND = /^[a-z][a-z0-9.-]{0,63}$/;

export const makeRequest = (options: {
  readonly realm: string;
  readonly decide: Decider | undefined;
  readonly ledger: Ledger;
  readonly ceiling: ReadonlySet<EffectKind>;
}) => {
  const { realm, decide, ledger } = options;
  return async (request: unknown): Promise<Node> => {
    const kindIn = typeof request === 'object' && request !== null ? Object.getOwnPropertyDescriptor(request, 'kind') : undefined;
    const purposeIn = typeof request === 'object' && request !== null ? Object.getOwnPropertyDescriptor(request, 'purpose') : undefined;
    const kind = kindIn !== undefined && 'value' in kindIn ? kindIn.value : undefined;
    const purposeValue = purposeIn !== undefined && 'value' in purposeIn ? purposeIn.value : undefined;
    if (typeof kind !== 'string' || !KIND.test(kind) || typeof purposeValue !== 'string') {
      throw new InvalidArgumentError({
        operation: 'request',
        realm,
        problem: 'a request is { kind, purpose } with kind a lower-case word and purpose a string',
        rule: 'requests are plain data',
      });
    }
    const purpose = neutralise(purposeValue.length > MAX_PURPOSE ? `${purposeValue.slice(0, MAX_PURPOSE)}…` : purposeValue);
    const answer = decide === undefined ? undefined : await decide(Object.freeze({ realm, kind, purpose }));
    if (answer === undefined) {
      ledger.record({ action: 'refuse', by: 'host', for: realm, target: kind, detail: purpose });
      throw new RefusedError({
        operation: 'request',
        target: kind,
        realm,
        problem: decide === undefined ? 'the host answers no requests' : 'the host refused the request',
        rule: "a realm gets more authority only by its host's decision",
        allow: decide === undefined ? 'give createHost a decide function or rule table' : undefined,
      });
    }
    ledger.record({ action: 'request', by: 'host', for: realm, target: kind, route: describeNode(answer), detail: purpose });
    return answer;
  };
};
