import type { Queryable } from "../db/database.ts";
import { readEvent } from "./read-event.ts";

export interface Delivery {
  id: string;
  name: string;
  payload: unknown;
}

export type Receipt =
  | { status: "ignored"; why: string }
  | { status: "recorded" }
  | { status: "duplicate" };

/**
 * The only work done while GitHub waits for the webhook's answer: decide in
 * memory whether the event asks anything of us, and if so record it in the
 * delivery inbox with one insert. A delivery id seen before changes nothing,
 * so a redelivery is a no-op. Everything slow (the permission check, the
 * policy, the run) happens afterwards, from the inbox.
 */
export async function receiveDelivery(
  db: Queryable,
  delivery: Delivery,
): Promise<Receipt> {
  const reading = readEvent(delivery.name, delivery.payload);
  if (!reading.actionable) return { status: "ignored", why: reading.why };

  const inserted = await db.query(
    `INSERT INTO webhook_deliveries (delivery_id, event, installation_id, payload)
     VALUES ($1, $2, $3, $4)
     ON CONFLICT (delivery_id) DO NOTHING`,
    [
      delivery.id,
      delivery.name,
      reading.event.installationId,
      JSON.stringify(delivery.payload),
    ],
  );
  return inserted.rowCount === 1
    ? { status: "recorded" }
    : { status: "duplicate" };
}
