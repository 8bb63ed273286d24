// Custom search attributes, so `temporal workflow list --query` finds runs by topic and offset.
// A pipeline is a topic and a consumer group (KafkaGroup): a query for one pipeline's sensors or
// runs names both, since another pipeline may read the same topic.
// scripts/infra/temporal.sh (start-dev --search-attribute) and docker-compose.yml register the same
// names and types. The dev server's SQLite visibility store has only 3 Int slots, so offsets and
// partition take them, MessageCount is a Double and SensorReplica a Keyword.

import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const KafkaTopic = defineSearchAttributeKey('KafkaTopic', SearchAttributeType.KEYWORD);
export const KafkaGroup = defineSearchAttributeKey('KafkaGroup', SearchAttributeType.KEYWORD);
export const KafkaPartition = defineSearchAttributeKey('KafkaPartition', SearchAttributeType.INT);
export const FirstOffset = defineSearchAttributeKey('FirstOffset', SearchAttributeType.INT);
export const LastOffset = defineSearchAttributeKey('LastOffset', SearchAttributeType.INT);
export const MessageCount = defineSearchAttributeKey('MessageCount', SearchAttributeType.DOUBLE);
export const SensorReplica = defineSearchAttributeKey('SensorReplica', SearchAttributeType.KEYWORD);
