import net from 'node:net';

/**
 * A TCP proxy between a process and a server, which a test can freeze: from then on nothing passes
 * in either direction (connections stay open, calls hang), as when a network path dies silently.
 */
export class TcpProxy {
  private frozen = false;
  private readonly pairs = new Set<[net.Socket, net.Socket | undefined]>();
  private readonly server = net.createServer((client) => {
    const pair: [net.Socket, net.Socket | undefined] = [client, undefined];
    this.pairs.add(pair);
    client.on('error', () => undefined).on('close', () => this.pairs.delete(pair));
    if (this.frozen) return void client.pause();
    const upstream = net.connect(this.target.port, this.target.host);
    pair[1] = upstream;
    upstream.on('error', () => client.destroy()).on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });

  constructor(private readonly target: { host: string; port: number }) {}

  /** Listens on a free port of 127.0.0.1; returns `host:port`. */
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  freeze(): void {
    this.frozen = true;
    for (const [client, upstream] of this.pairs) {
      client.unpipe();
      upstream?.unpipe();
      client.pause();
      upstream?.pause();
    }
  }

  close(): Promise<void> {
    for (const [client, upstream] of this.pairs) {
      client.destroy();
      upstream?.destroy();
    }
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
