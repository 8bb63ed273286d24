// `npm run producer`: publishes keyed JSON messages to KAFKA_TOPIC at DESIRED_THROUGHPUT_PER_SECOND,
// creating the topic (KAFKA_TOPIC_PARTITIONS partitions) if it is missing. Stops after
// PRODUCER_MESSAGE_COUNT messages, or on Ctrl-C when that is 0. Prints desired vs achieved rate
// every second and a summary at the end.

import { loadConfigOrExit } from '../src/config';
import { createKafkaClient } from '../src/kafka/client';
import { createLogger } from '../src/logger';
import { connectAdmin } from '../src/workers/connect';
import { exitOnError } from '../src/workers/exit';
import { RateProducer } from '../src/producer/rate-producer';
import { onShutdownSignals } from '../src/workers/shutdown-signals';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel, 'producer');
  const kafka = await createKafkaClient(config, logger);
  const admin = await connectAdmin(kafka, config, logger);
  if (await admin.ensureTopic(config.topic, config.topicPartitions)) {
    logger.info('created topic', { topic: config.topic, partitions: config.topicPartitions });
  }
  await admin.close();

  const producer = new RateProducer(kafka, {
    topic: config.topic,
    ratePerSecond: config.desiredThroughputPerSecond,
    count: config.producerMessageCount,
    messageBytes: config.producerMessageBytes,
  });
  // Every press, not once: one Ctrl-C arrives two or three times (npm relays it), and a delivery
  // with no listener left would end the process before the messages in flight are sent.
  onShutdownSignals((signal, press) => {
    if (press === 1) producer.stop();
    else logger.info(`${signal} again: already stopping (SIGKILL stops at once)`);
  });

  logger.info('producing', {
    topic: config.topic,
    rate: `${config.desiredThroughputPerSecond}/s`,
    count: config.producerMessageCount || 'until Ctrl-C',
  });
  const summary = await producer.run((s) =>
    logger.info(`desired ${s.desiredRate}/s  achieved ${s.achievedRate.toFixed(0)}/s`, { sent: s.sent }),
  );
  logger.info(
    `done: sent ${summary.sent} messages in ${summary.seconds.toFixed(1)}s = ${summary.achievedRate.toFixed(0)}/s (desired ${summary.desiredRate}/s)`,
  );
}

main().catch(exitOnError('producer'));
