import { Band, encodePktLine, encodeSideBand, FLUSH_PKT } from "./pkt-line.ts";

// The answer to a push: report-status (an unpack line, then one ok/ng line
// per ref) and, when the client asked for side-band-64k, progress text the
// client prints as "remote: ..." lines, one per broken rule.
// https://git-scm.com/docs/gitprotocol-pack#_report_status

export const RECEIVE_RESULT_TYPE = "application/x-git-receive-pack-result";

export interface PushReport {
  /** "ok", or why the pack could not be stored. */
  unpack: string;
  ref: string;
  /** Null when the update was applied; the short `ng` reason otherwise. */
  refused: string | null;
  /** One line each; shown only to side-band clients. */
  progress: string[];
  sideBand: boolean;
}

export function encodeReport(report: PushReport): Buffer {
  const status = Buffer.concat([
    encodePktLine(`unpack ${oneLine(report.unpack)}\n`),
    encodePktLine(
      report.refused === null
        ? `ok ${report.ref}\n`
        : `ng ${report.ref} ${oneLine(report.refused)}\n`,
    ),
    FLUSH_PKT,
  ]);
  if (!report.sideBand) return status;

  const progress = report.progress.map((line) =>
    encodeSideBand(Band.progress, Buffer.from(`${oneLine(line)}\n`)),
  );
  return Buffer.concat([
    ...progress.flat(),
    ...encodeSideBand(Band.data, status),
    FLUSH_PKT,
  ]);
}

/** Keeps a reason on one printable line of bounded length. */
function oneLine(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]+/g, " ").trim();
  return clean.length > 1000 ? `${clean.slice(0, 997)}...` : clean;
}
