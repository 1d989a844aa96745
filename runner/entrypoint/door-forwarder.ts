import net from "node:net";

// The container has no network but loopback. Ordinary tools (git over HTTP,
// anything honouring HTTP_PROXY) speak TCP, so this listener hands each
// connection to the door, a Unix socket the host serves, byte for byte. It
// reads nothing and decides nothing: every rule lives on the host side.

export interface DoorForwarder {
  port: number;
  close(): Promise<void>;
}

export function startDoorForwarder(
  port: number,
  doorSocketPath: string,
): Promise<DoorForwarder> {
  const open = new Set<net.Socket>();

  const server = net.createServer((client) => {
    const door = net.connect(doorSocketPath);
    open.add(client);
    open.add(door);

    // Whichever side fails or closes first takes the other with it, so a
    // dead door never leaves a client hanging.
    const closeBoth = () => {
      client.destroy();
      door.destroy();
    };
    client.on("error", closeBoth);
    door.on("error", closeBoth);
    client.on("close", () => {
      open.delete(client);
      door.end();
    });
    door.on("close", () => {
      open.delete(door);
      client.end();
    });

    client.pipe(door);
    door.pipe(client);
  });

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      const address = server.address();
      const bound =
        typeof address === "object" && address ? address.port : port;
      resolve({
        port: bound,
        close: () =>
          new Promise((done) => {
            for (const socket of open) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
