import { processDelivery, type IntakeDeps } from "./process-delivery.ts";

export interface DeliveryPump {
  /** Processes a freshly recorded delivery soon, outside the request. */
  push(deliveryId: string): void;
  start(): void;
  stop(): Promise<void>;
}

// Deliveries recorded but not processed (the process died in between, or a
// step failed) are picked up again after this long.
const RETRY_AFTER_SECONDS = 30;
const BATCH = 20;

/**
 * Moves recorded deliveries through intake in the background. A delivery
 * that fails is left unprocessed and retried by the periodic scan, which
 * also picks up what a previous process recorded but never finished.
 */
export function createDeliveryPump(
  deps: IntakeDeps,
  options: { rescanMs: number },
): DeliveryPump {
  const log = deps.log.child({ component: "intake" });
  const inFlight = new Map<string, Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  function push(deliveryId: string): void {
    if (stopped || inFlight.has(deliveryId)) return;
    const work = processDelivery(deps, deliveryId)
      .then(
        () => undefined,
        (err: unknown) => log.error({ err, deliveryId }, "intake failed"),
      )
      .finally(() => inFlight.delete(deliveryId));
    inFlight.set(deliveryId, work);
  }

  async function rescan(minAgeSeconds: number): Promise<void> {
    try {
      const pending = await deps.db.query<{ delivery_id: string }>(
        `SELECT delivery_id FROM webhook_deliveries
          WHERE processed_at IS NULL AND payload IS NOT NULL
            AND received_at <= now() - make_interval(secs => $1)
          ORDER BY received_at LIMIT $2`,
        [minAgeSeconds, BATCH],
      );
      pending.rows.forEach((row) => push(row.delivery_id));
    } catch (err) {
      log.error({ err }, "intake rescan failed");
    }
  }

  return {
    push,
    start() {
      void rescan(0);
      timer = setInterval(
        () => void rescan(RETRY_AFTER_SECONDS),
        options.rescanMs,
      );
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await Promise.allSettled([...inFlight.values()]);
    },
  };
}
