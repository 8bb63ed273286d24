// Tells a broker's refusal of our security settings from a broker that is just not up yet, for
// @platformatic/kafka's errors. Which refusal names which setting is decided once, for every
// client, by ../refusal.ts (its rules read Kafka's error names and Node's TLS codes, not
// kafkajs's classes); this file restates the library's nested errors in those terms.
//
// Neighbours: ./client.ts probes the brokers (at startup, through src/workers/connect.ts) and
// throws what this returns; ./errors.ts walks the library's errors.

import type { ConnectionOptions } from 'node:tls';
import type { RefusedSettingError } from '../../config-error';
import { handshakeCompletes, plaintextToTlsPort, refusalOf } from '../refusal';
import { tlsConnectionOptions, type KafkaSecurity } from '../security';
import { nestedErrors, type LibraryError } from './errors';
import { probeTls } from '../../tls-probe';

/** One link of the chain ../refusal.ts reads: what it looks at, and the next link. */
interface Link {
  name?: string;
  type?: string;
  message?: string;
  code?: string;
  cause?: Link;
}

/** The refusal `err` stands for, or undefined when it may be a passing outage. */
export async function platformaticRefusalOf(
  err: unknown,
  security: KafkaSecurity,
  brokers: string[],
): Promise<RefusedSettingError | undefined> {
  const errors = [...nestedErrors(err)];
  // The library's guess that the port does not speak TLS (the broker hung up on the handshake):
  // a broker going down can do the same, so it counts only if a handshake now fails too.
  const hungUp = errors.some((e) => /Please verify the broker supports TLS/.test(e.message ?? ''));
  if (hungUp && (await handshakeCompletes(brokers[0] ?? ''))) return undefined;
  const links = errors.map(toLink);
  // A broker that requires a client certificate checks it after the TLS 1.3 handshake completes on
  // our side, and its alert reaches the library only as a closed connection: ask once more,
  // ourselves, and hear the alert.
  const options = tlsConnectionOptions(security);
  if (options && links.some((l) => /closed/i.test(l.message ?? ''))) {
    const alert = await alertAfterHandshake(brokers[0] ?? '', options);
    if (alert) links.push(alert);
  }
  const chain = links.reduceRight<Link | undefined>((cause, link) => ({ ...link, cause }), undefined);
  const refused = refusalOf(chain, security, brokers);
  if (refused) return refused;
  // Without TLS, a TLS port closes the connection (or never answers), as a broker going down would.
  const cut = links.some((l) => /closed|timed? ?out|ECONNRESET|socket hang up/i.test(`${l.message} ${l.code}`));
  return cut ? plaintextToTlsPort(new Error('connection closed'), security, brokers) : undefined;
}

function toLink(e: LibraryError): Link {
  const message = e.serverErrorMessage || e.message;
  // The library's own wording for a failed SASL exchange, and for TLS spoken to a plaintext port
  // (the broker hangs up on the handshake), in the terms of the shared rules. A failed exchange
  // usually wraps the broker's answer (SASL_AUTHENTICATION_FAILED, with its words) further in.
  if (e.code === AUTHENTICATION && !saysWhy(e) && /suitable SASL mechanism/.test(e.message ?? '')) {
    return { type: 'UNSUPPORTED_SASL_MECHANISM', message };
  }
  if (e.apiId === 'SASL_AUTHENTICATION_FAILED' || (e.code === AUTHENTICATION && !saysWhy(e))) {
    return { type: 'SASL_AUTHENTICATION_FAILED', message };
  }
  if (/Please verify the broker supports TLS/.test(e.message ?? '')) {
    return {
      code: 'ERR_SSL_WRONG_VERSION_NUMBER',
      message: 'wrong version number: the broker hung up on the TLS handshake',
    };
  }
  return { name: e.name, type: e.apiId, message, code: e.code };
}

/**
 * The TLS alert a broker sends right after the handshake with our own TLS settings (a client
 * certificate it requires and did not get, or does not trust), if it sends one within a second.
 */
async function alertAfterHandshake(broker: string, options: ConnectionOptions): Promise<Link | undefined> {
  const probe = await probeTls(broker, options, { alertWithinMs: 1_000 });
  return probe.handshake === 'failed' && /ALERT/.test(probe.code)
    ? { code: probe.code, message: probe.message }
    : undefined;
}

/** The library's code for AuthenticationError. */
const AUTHENTICATION = 'PLT_KFK_AUTHENTICATION';

/** True when a broker's error answer lies within `e` (after it in the chain, so the rules see it). */
function saysWhy(e: LibraryError): boolean {
  return [...nestedErrors(e.cause)].some((inner) => inner.apiId !== undefined);
}
