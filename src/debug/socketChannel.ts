/**
 * The fast way for a tensor's bytes to leave a paused program: the extension host listens on 127.0.0.1 (a port
 * the OS picks, for one connection), the reader connects from inside the debuggee and sends the raw bytes. Both
 * sides prove themselves with one-time random tokens: the listener speaks first (the reader sends nothing to a
 * listener that is not ours), then the reader sends its token, the length and the data. No vscode; Node's net.
 *
 * Frame from the reader: token (32 ASCII hex digits) · length (uint64, little-endian) · length bytes.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { SocketChannel } from './readerSource';

export class ChannelError extends Error {}

export interface SocketReceipt {
  /** what the reader needs to connect */
  readonly channel: SocketChannel;
  /** the data, once all of it has arrived */
  readonly bytes: Promise<Uint8Array>;
  /** stops listening and drops the connection (Cancel, or the reader answered without using the socket) */
  close(reason?: string): void;
}

export interface SocketOptions {
  /** the most bytes accepted (the cap in elements × 8) */
  readonly maxBytes: number;
  /** seconds the reader waits for each connect and send */
  readonly timeoutSeconds?: number;
  readonly onProgress?: (received: number, total: number) => void;
}

const PREFIX = 32 + 8;

export async function openSocketChannel(options: SocketOptions): Promise<SocketReceipt> {
  const hello = randomBytes(16).toString('hex');
  const token = randomBytes(16).toString('hex');
  const server: Server = createServer();
  let connection: Socket | undefined;
  let settled = false;
  let resolveBytes!: (b: Uint8Array) => void;
  let rejectBytes!: (e: Error) => void;
  const bytes = new Promise<Uint8Array>((res, rej) => {
    resolveBytes = res;
    rejectBytes = rej;
  });
  // a read that falls back to the inline channel never awaits this
  bytes.catch(() => {});

  const finish = (error?: Error, data?: Uint8Array) => {
    if (settled) return;
    settled = true;
    server.close();
    if (error) {
      connection?.destroy();
      rejectBytes(error);
    } else resolveBytes(data as Uint8Array);
  };

  server.on('connection', (socket) => {
    if (connection || settled) {
      socket.destroy();
      return;
    }
    connection = socket;
    server.close(); // one connection per read
    socket.setNoDelay(true);
    socket.write(hello);
    let prefix = Buffer.alloc(0);
    let data: Buffer | undefined;
    let received = 0;
    socket.on('data', (chunk: Buffer) => {
      if (settled) return;
      let rest = chunk;
      if (!data) {
        prefix = Buffer.concat([prefix, chunk]);
        if (prefix.length < PREFIX) return;
        const theirs = prefix.subarray(0, 32);
        if (!timingSafeEqual(theirs, Buffer.from(token, 'ascii'))) {
          finish(new ChannelError('a connection to the tensor channel did not carry its token'));
          return;
        }
        const length = Number(prefix.readBigUInt64LE(32));
        if (length > options.maxBytes) {
          finish(new ChannelError(`the reader announced ${length} bytes, more than the ${options.maxBytes} allowed`));
          return;
        }
        data = Buffer.allocUnsafe(length);
        rest = prefix.subarray(PREFIX);
      }
      const take = Math.min(rest.length, data.length - received);
      rest.copy(data, received, 0, take);
      received += take;
      options.onProgress?.(received, data.length);
      if (received === data.length) {
        finish(undefined, new Uint8Array(data.buffer, data.byteOffset, data.length));
        socket.end();
      }
    });
    socket.on('error', (e) => finish(new ChannelError(`the tensor channel broke: ${e.message}`)));
    socket.on('close', () => {
      if (!settled)
        finish(
          new ChannelError(
            data
              ? `the tensor channel closed after ${received} of ${data.length} bytes`
              : 'the tensor channel closed before any data',
          ),
        );
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (!address || typeof address === 'string') {
    server.close();
    throw new ChannelError('the tensor channel got no port');
  }
  return {
    channel: { port: address.port, hello, token, timeout: options.timeoutSeconds ?? 30 },
    bytes,
    close: (reason = 'the tensor channel was closed') => finish(new ChannelError(reason)),
  };
}
