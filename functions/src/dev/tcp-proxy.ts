import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP relay between a client and a local server, for fault tests: while down, open connections
 * are cut and new ones are reset at once, which gRPC reports as UNAVAILABLE, like a Firestore
 * outage; back up, traffic flows again. Bytes are relayed untouched.
 */
export class TcpProxy {
  private down = false;
  private readonly sockets = new Set<Socket>();

  private readonly server: Server;
  port = 0;

  private constructor(targetHost: string, targetPort: number) {
    this.server = createServer((client) => this.relay(client, targetHost, targetPort));
  }

  static async start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetHost, targetPort);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    const address = proxy.server.address();
    proxy.port = typeof address === 'object' && address ? address.port : 0;
    return proxy;
  }

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  private relay(client: Socket, host: string, port: number): void {
    if (this.down) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(port, host);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
  }

  setDown(down: boolean): void {
    this.down = down;
    if (down) for (const socket of this.sockets) socket.resetAndDestroy();
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
