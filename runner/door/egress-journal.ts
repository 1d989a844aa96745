import type { Logger } from "pino";

import type { AuditSink, EgressRecord } from "../types.ts";

// The record of every egress attempt in a run, allowed or not. A refused
// attempt is written to the audit trail at once; an allowed one when its
// connection ends, so that the bytes each way are known. Audit writes are
// kept so that `flush` can wait for them before the run's record closes.

export interface LiveRecord extends EgressRecord {
  /** Called once, when the attempt is over; later calls do nothing. */
  finish(): void;
}

export interface EgressJournal {
  start(entry: Omit<EgressRecord, "bytesIn" | "bytesOut">): LiveRecord;
  records(): EgressRecord[];
  flush(): Promise<void>;
}

function snapshot(record: EgressRecord): EgressRecord {
  const { host, port, method, allowed, reason, bytesOut, bytesIn } = record;
  return { host, port, method, allowed, reason, bytesOut, bytesIn };
}

export function createEgressJournal(
  log: Logger,
  audit: AuditSink,
): EgressJournal {
  const all: EgressRecord[] = [];
  const pending = new Set<Promise<void>>();

  const write = (record: EgressRecord): void => {
    const data = snapshot(record);
    if (data.allowed) log.info(data, "egress finished");
    else log.info(data, "egress refused");
    const done = audit
      .record("egress", { ...data })
      .catch((err: unknown) => log.error({ err }, "egress audit failed"))
      .finally(() => pending.delete(done));
    pending.add(done);
  };

  return {
    start(entry) {
      let finished = false;
      const record: LiveRecord = {
        ...entry,
        bytesOut: 0,
        bytesIn: 0,
        finish() {
          if (finished) return;
          finished = true;
          write(record);
        },
      };
      all.push(record);
      return record;
    },

    records: () => all.map(snapshot),

    async flush() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
