// How a sensor waiting between ticks is woken when records arrive: its consume-batch call that
// found nothing asks the consumer's worker to signal it (SensorConsumer.wakeOnNextRecord); the
// signal carries the call's token, so a late signal from an older call wakes nothing.
// Shared by the workflow (src/workflows/sensor.ts) and the activity that sends the signal.

/** The signal's name; its one argument is the token of the call that asked for it. */
export const RECORDS_WAITING_SIGNAL = 'recordsWaiting';

export interface WakeRequest {
  /** The sensor's workflow ID (the signal goes to its current run). */
  workflowId: string;
  /** Names the consume-batch call; unique across the sensor's runs (run ID and call number). */
  token: string;
}
