import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * How the relay treats traffic, for fault tests:
 * - `up`: bytes flow both ways, untouched.
 * - `down`: open connections are cut and new ones reset at once; gRPC reports UNAVAILABLE, like a
 *   Firestore outage.
 * - `blackhole`: connections stay open and nothing is forwarded either way: requests hang, like a
 *   function instance that received a message and died before committing.
 * - `lose-replies`: requests reach the server, replies never come back: the commit lands but the
 *   caller cannot know, like an instance that crashed after committing and before acknowledging.
 * Leaving any fault mode cuts every connection, since a stream that lost bytes cannot resume.
 */
export type ProxyMode = 'up' | 'down' | 'blackhole' | 'lose-replies';

interface Relay {
  client: Socket;
  upstream: Socket;
}

export class TcpProxy {
  private mode: ProxyMode = 'up';
  private readonly relays = new Set<Relay>();

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
    if (this.mode === 'down') {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(port, host);
    const relay = { client, upstream };
    this.relays.add(relay);
    for (const socket of [client, upstream]) socket.on('error', () => socket.destroy());
    client.on('close', () => {
      upstream.destroy();
      this.relays.delete(relay);
    });
    upstream.on('close', () => client.destroy());
    client.on('data', (chunk: Buffer) => {
      if (this.mode === 'up' || this.mode === 'lose-replies') upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (this.mode === 'up') client.write(chunk);
    });
  }

  setMode(mode: ProxyMode): void {
    const leaving = this.mode;
    this.mode = mode;
    if (mode === 'down' || (leaving !== 'up' && mode !== leaving)) this.cutAll();
  }

  /** The `down` / `up` switch of an outage. */
  setDown(down: boolean): void {
    this.setMode(down ? 'down' : 'up');
  }

  private cutAll(): void {
    for (const { client, upstream } of this.relays) {
      client.resetAndDestroy();
      upstream.destroy();
    }
    this.relays.clear();
  }

  async stop(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
