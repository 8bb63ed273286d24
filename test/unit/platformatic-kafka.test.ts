// The @platformatic/kafka adapter's conversions, without a broker: the KAFKA_CLIENT setting, record
// batches to the port's records and back, keyed partitioning, group state names, and refused
// settings told from outages in the library's nested errors. (Its behaviour against a real broker
// is test/integration/kafka-port.test.ts.)

import {
  AuthenticationError,
  MultipleErrors,
  NetworkError,
  ResponseError,
  UserError,
  type RecordsBatch,
} from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { kafkaGroupState } from '../../src/kafka/platformatic/admin';
import { javaCompatiblePartitioner } from '../../src/kafka/platformatic/publisher';
import { recordsFrom, toMessage } from '../../src/kafka/platformatic/records';
import { platformaticRefusalOf } from '../../src/kafka/platformatic/refusal';
import type { KafkaSecurity } from '../../src/kafka/security';
import { configErrorOf } from '../config-error-of';

describe('KAFKA_CLIENT', () => {
  it('is kafkajs unless set, and platformatic when set so', () => {
    expect(loadConfig({}).kafkaClient).toBe('kafkajs');
    expect(loadConfig({ KAFKA_CLIENT: 'platformatic' }).kafkaClient).toBe('platformatic');
  });

  it('refuses another value at startup, naming the variable and both choices', () => {
    const error = configErrorOf({ KAFKA_CLIENT: 'librdkafka' });
    expect(error.variable).toBe('KAFKA_CLIENT');
    expect(error.message).toContain('kafkajs, platformatic');
  });
});

function batch(firstOffset: bigint, records: number[], options: Partial<RecordsBatch> = {}): RecordsBatch {
  return {
    firstOffset,
    length: 0,
    partitionLeaderEpoch: 0,
    magic: 2,
    crc: 0,
    attributes: 0,
    lastOffsetDelta: records.length - 1,
    firstTimestamp: 1_000n,
    maxTimestamp: 9_000n,
    producerId: -1n,
    producerEpoch: -1,
    firstSequence: -1,
    records: records.map((delta) => ({
      length: 0,
      attributes: 0,
      timestampDelta: BigInt(delta),
      offsetDelta: delta,
      key: Buffer.from(`k${delta}`),
      value: delta === 1 ? null : Buffer.from(`v${delta}`),
      headers: [
        [Buffer.from('h'), Buffer.from('one')],
        [Buffer.from('h'), Buffer.from('two')],
        [Buffer.from('solo'), null],
      ],
    })),
    ...options,
  };
}

describe('fetched record batches', () => {
  const batches = [
    batch(10n, [0, 1, 2]),
    // A transaction marker: takes an offset, holds no record.
    batch(13n, [0], { attributes: 1 << 5 }),
    // Timestamps set by the broker: every record has the batch's max timestamp.
    batch(14n, [0, 1], { attributes: 1 << 3 }),
  ];

  it('become the port`s records from the offset asked for, markers left out, and say where to fetch next', () => {
    const { records, next } = recordsFrom(batches, 11n);
    expect(records.map((r) => r.offset)).toEqual(['11', '12', '14', '15']);
    expect(next).toBe(16n);
    expect(records[0]).toMatchObject({ key: Buffer.from('k1'), value: null, timestamp: '1001' });
    expect(records[1]).toMatchObject({ value: Buffer.from('v2'), timestamp: '1002' });
    expect(records[2]!.timestamp).toBe('9000');
    expect(records[1]!.headers).toEqual({ h: [Buffer.from('one'), Buffer.from('two')], solo: undefined });
  });

  it('are cut to the last offset of a range', () => {
    expect(recordsFrom(batches, 10n, 13n).records.map((r) => r.offset)).toEqual(['10', '11', '12']);
    expect(recordsFrom(undefined, 7n)).toEqual({ records: [], next: 7n });
  });

  it('leave out an aborted transaction listed in the answer, up to its marker or, without one, to the answer`s end', () => {
    const tx = (first: bigint, n: number, producerId: bigint) => batch(first, [...Array(n).keys()], { producerId });
    const marker = (at: bigint, producerId: bigint) => batch(at, [0], { producerId, attributes: 1 << 5 });
    // Producer 7 aborts 20-22 (marker 23), producer 8 commits 24-25 (marker 26) meanwhile, then
    // producer 7 commits 27 (marker 28) and starts an aborted transaction at 29 whose marker is
    // beyond this answer.
    const answer = [
      tx(20n, 2, 7n),
      tx(22n, 1, 7n),
      marker(23n, 7n),
      tx(24n, 2, 8n),
      marker(26n, 8n),
      tx(27n, 1, 7n),
      marker(28n, 7n),
      tx(29n, 2, 7n),
    ];
    const aborted = [
      { producerId: 7n, firstOffset: 29n },
      { producerId: 7n, firstOffset: 20n },
    ];
    const { records, next } = recordsFrom(answer, 20n, undefined, aborted);
    expect(records.map((r) => r.offset)).toEqual(['24', '25', '27']);
    expect(next).toBe(31n);
    // Read from inside the first transaction: still aborted.
    expect(recordsFrom(answer, 22n, undefined, aborted).records.map((r) => r.offset)).toEqual(['24', '25', '27']);
    // Nothing listed: nothing left out but the markers.
    expect(recordsFrom(answer, 20n).records).toHaveLength(8);
  });
});

describe('outgoing records', () => {
  it('are Buffers with bigint timestamps, and a tombstone has no value', () => {
    const message = toMessage('t', {
      partition: 2,
      key: 'k',
      value: null,
      headers: { a: 'x' },
      timestamp: '1700000000000',
    });
    expect(message).toMatchObject({ topic: 't', partition: 2, key: Buffer.from('k'), value: undefined });
    expect(message.timestamp).toBe(1_700_000_000_000n);
    expect([...(message.headers as Map<Buffer, Buffer>)]).toEqual([[Buffer.from('a'), Buffer.from('x')]]);
    expect(toMessage('t', { key: null, value: 'v' })).not.toHaveProperty('partition');
  });

  it('go by key as Java`s murmur2 says (positive), and without a key take turns', () => {
    const partitioner = javaCompatiblePartitioner();
    const message = { topic: 't' };
    // Kafka's own test values: murmur2("21") = -973932308, made positive by masking the sign bit.
    expect(partitioner(message, Buffer.from('21'), { metadata: undefined })).toBe(-973932308 & 0x7fffffff);
    expect([0, 1, 2].map(() => partitioner(message, undefined, { metadata: undefined }))).toEqual([0, 1, 2]);
  });
});

describe('group states', () => {
  it.each([
    ['EMPTY', 'Empty'],
    ['STABLE', 'Stable'],
    ['PREPARINGREBALANCE', 'PreparingRebalance'],
    ['COMPLETING_REBALANCE', 'CompletingRebalance'],
    ['DEAD', 'Dead'],
    ['Stable', 'Stable'],
    ['SOMETHING_NEW', 'SOMETHING_NEW'],
  ])('%s is reported as Kafka names it: %s', (raw, name) => {
    expect(kafkaGroupState(raw)).toBe(name);
  });
});

describe('a refusal by the broker, in the library`s errors', () => {
  const security: KafkaSecurity = { protocol: 'SSL', tls: { ca: 'pem', verifyHostname: true } };
  // Nothing listens there: the check that a TLS handshake fails finds it failing.
  const brokers = ['127.0.0.1:1'];
  /** As the library reports a failed connection after its retries. */
  const afterRetries = (cause: Error) =>
    new MultipleErrors('metadata failed 3 times.', [
      new NetworkError('Cannot connect to any broker.', {
        cause: new NetworkError('Connection to 127.0.0.1:1 failed.', { cause }),
      }),
    ]);

  it('of the credentials names the user and password settings and quotes the broker', async () => {
    const said =
      'Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512';
    const answer = new ResponseError(36, 2, { '/': [58, said] }, {});
    const err = afterRetries(new AuthenticationError('SASL authentication failed.', { cause: answer }));
    const refusal = await platformaticRefusalOf(err, security, brokers);
    expect(refusal?.variable).toContain('KAFKA_SASL_PASSWORD');
    expect(refusal?.message).toContain('invalid credentials');
    expect(refusal?.message).not.toContain('PLT_KFK');
  });

  it('of the mechanism names KAFKA_SASL_MECHANISM', async () => {
    const answer = new ResponseError(17, 1, { '/': [33, null] }, {});
    const err = afterRetries(new AuthenticationError('Cannot find a suitable SASL mechanism.', { cause: answer }));
    expect((await platformaticRefusalOf(err, security, brokers))?.variable).toContain('KAFKA_SASL_MECHANISM');
  });

  it.each([
    [
      'an untrusted certificate',
      Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }),
      'KAFKA_SSL_CA_LOCATION',
    ],
    [
      'a certificate for another name',
      Object.assign(new Error("Hostname/IP does not match certificate's altnames"), {
        code: 'ERR_TLS_CERT_ALTNAME_INVALID',
      }),
      'KAFKA_SSL_SERVER_NAME',
    ],
    [
      'TLS to a plaintext port',
      new UserError('TLS handshake failed. Please verify the broker supports TLS.'),
      'KAFKA_SECURITY_PROTOCOL',
    ],
  ])('in TLS (%s) names the setting to check', async (_what, cause, variable) => {
    expect((await platformaticRefusalOf(afterRetries(cause), security, brokers))?.variable).toContain(variable);
  });

  it('is not an absent broker: that is waited for', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9094'), { code: 'ECONNREFUSED' });
    expect(await platformaticRefusalOf(afterRetries(refused), security, brokers)).toBeUndefined();
  });
});
