import { connect, type Socket } from "node:net";

// Opens a TCP connection to one of the addresses the decision checked, in
// order. Only literal addresses reach `connect`, so no resolution happens
// here: the address used is always an address that was judged.

// An upstream that has not accepted within this long is treated as down;
// the sandbox's own client sees a 502 rather than hanging until the run's
// wall clock ends.
export const CONNECT_TIMEOUT_MS = 10_000;

function connectOne(address: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address, port });
    const fail = (err: Error) => {
      socket.destroy();
      reject(err);
    };
    socket.setTimeout(CONNECT_TIMEOUT_MS, () =>
      fail(
        Object.assign(new Error("connect timed out"), { code: "ETIMEDOUT" }),
      ),
    );
    socket.once("error", fail);
    socket.once("connect", () => {
      socket.setTimeout(0);
      socket.removeListener("error", fail);
      resolve(socket);
    });
  });
}

export async function connectFirst(
  addresses: readonly string[],
  port: number,
): Promise<Socket> {
  let last: unknown = new Error("no address to connect to");
  for (const address of addresses) {
    try {
      return await connectOne(address, port);
    } catch (err) {
      last = err;
    }
  }
  throw last;
}

/** A short, key-free description of a connection error for the sandbox. */
export function describeConnectError(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" ? code : "connection failed";
}
