/**
 * A TCP proxy in front of a server on loopback, to play the network between the
 * service and Redis:
 * - `blackhole()` is a partition: nothing is forwarded and nothing is closed.
 *   Both sides stop being read, so bytes wait in the kernel's buffers the way
 *   they wait for retransmission; new connections are accepted and then held.
 *   `heal()` forwards again, in order, as a healed partition delivers.
 * - `latencyMs` delays every chunk in both directions (order kept), as a slow
 *   or distant Redis does.
 * - `retarget()` sends new connections to another server while open ones stay
 *   where they are, as a DNS name moved to a new primary does.
 */
import { createServer, type Server, Socket } from 'node:net';

export class TcpProxy {
  latencyMs = 0;
  /** Connections accepted while blackholed: proof that the client gave up on old ones. */
  acceptedWhileBlackholed = 0;
  private blackholed = false;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private target: { port: number; host: string },
  ) {}

  static start(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
    return new Promise((resolve, reject) => {
      let proxy: TcpProxy | undefined;
      const server = createServer((client) => proxy?.pair(client));
      server.on('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const addr = server.address();
        if (!addr || typeof addr !== 'object') return reject(new Error('no address'));
        proxy = new TcpProxy(server, addr.port, { port: targetPort, host: targetHost });
        resolve(proxy);
      });
    });
  }

  /** New connections go to `port` from now on; open ones keep their server. */
  retarget(port: number, host = '127.0.0.1'): void {
    this.target = { port, host };
  }

  get addr(): string {
    return `127.0.0.1:${this.port}`;
  }

  blackhole(): void {
    this.blackholed = true;
    for (const s of this.sockets) s.pause();
  }

  heal(): void {
    this.blackholed = false;
    for (const s of this.sockets) s.resume();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server.close(r));
  }

  private pair(client: Socket): void {
    if (this.blackholed) this.acceptedWhileBlackholed++;
    const upstream = new Socket();
    upstream.connect(this.target.port, this.target.host);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.sockets.add(from);
      if (this.blackholed) from.pause();
      from.on('data', (chunk: Buffer) => this.forward(to, chunk));
      from.on('error', () => to.destroy());
      from.on('close', () => {
        this.sockets.delete(from);
        to.destroy();
      });
    }
  }

  private forward(to: Socket, chunk: Buffer): void {
    if (this.latencyMs <= 0) {
      to.write(chunk);
      return;
    }
    // Timers of equal delay fire in the order they were set, so chunks stay in order.
    setTimeout(() => {
      if (!to.destroyed) to.write(chunk);
    }, this.latencyMs);
  }
}
