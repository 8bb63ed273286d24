// The startup summary of where the program connects and how: what a person checks first when a
// connection fails ("is it even using TLS? which user?"), with every secret shown only as set or
// not. Printed once by `npm run worker` at startup.
//
// Neighbours: src/config.ts (the settings), src/secret.ts (why secrets print as [redacted]).

import type { Config } from './config';

type Summary = Record<string, string>;

export function connectionSummary(config: Config): Summary {
  const kafka = config.kafkaSecurity;
  const temporal = config.temporal;
  const out: Summary = {
    kafka: config.kafkaBrokers.join(','),
    kafkaSecurity: kafka.protocol,
  };
  if (kafka.sasl) {
    out.kafkaSasl = `${kafka.sasl.mechanism} user ${kafka.sasl.username}, password ${String(kafka.sasl.password)}`;
  }
  if (kafka.tls) {
    out.kafkaTls = [
      config.kafkaSslCaLocation ? `CA ${config.kafkaSslCaLocation}` : 'system CAs',
      config.kafkaSslCertificateLocation ? `client certificate ${config.kafkaSslCertificateLocation}` : '',
      kafka.tls.serverName ? `server name ${kafka.tls.serverName}` : '',
      kafka.tls.verifyHostname ? '' : 'host name not checked',
    ]
      .filter(Boolean)
      .join(', ');
  }
  out.temporal = `${temporal.address} namespace ${temporal.namespace}`;
  out.temporalTls = temporal.tls
    ? [
        temporal.tls.serverRootCACertificate ? 'own CA' : 'system CAs',
        temporal.tls.clientCertPair ? 'client certificate' : '',
        temporal.tls.serverNameOverride ? `server name ${temporal.tls.serverNameOverride}` : '',
      ]
        .filter(Boolean)
        .join(', ')
    : 'off';
  if (temporal.apiKey) out.temporalApiKey = String(temporal.apiKey);
  out.temporalSettingsFrom = temporal.source;
  return out;
}
