// Custom search attributes, so `temporal workflow list --query` finds runs by topic and offset.
// scripts/infra/temporal.sh (start-dev --search-attribute) and docker-compose.yml register the same
// names and types. The dev server's SQLite visibility store has only 3 Int slots, so offsets and
// partition take them, MessageCount is a Double and SensorReplica a Keyword.

import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const KafkaTopic = defineSearchAttributeKey('KafkaTopic', SearchAttributeType.KEYWORD);
export const KafkaPartition = defineSearchAttributeKey('KafkaPartition', SearchAttributeType.INT);
export const FirstOffset = defineSearchAttributeKey('FirstOffset', SearchAttributeType.INT);
export const LastOffset = defineSearchAttributeKey('LastOffset', SearchAttributeType.INT);
export const MessageCount = defineSearchAttributeKey('MessageCount', SearchAttributeType.DOUBLE);
export const SensorReplica = defineSearchAttributeKey('SensorReplica', SearchAttributeType.KEYWORD);
