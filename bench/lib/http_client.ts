// A minimal HTTP/1.1 keep-alive client over Bun.connect, for the load generator.
//
// Why not fetch: on one core, Bun's fetch spends several times more CPU per request than a server
// needs to answer a small JSON body, so the client, not the server, would set the "bare server"
// limit. This client writes pre-built request bytes and parses only what the benchmark needs
// (status, Content-Length or chunked body; other headers such as Location on demand). One request at a time per
// connection (no pipelining), like a browser or an HTTP client library with a connection pool.

import type { Socket } from 'bun';

export interface HttpResponse {
  status: number;
  /** The status line and headers, as received. */
  head: string;
  body: Buffer;
}

/** One header of a response (the first one of that name), case-insensitively; undefined when absent. */
export function header(response: HttpResponse, name: string): string | undefined {
  let pattern = headerPatterns.get(name);
  if (!pattern) headerPatterns.set(name, (pattern = new RegExp(`\\r\\n${name}:[ \\t]*([^\\r]*)`, 'i')));
  return pattern.exec(response.head)?.[1]?.trim();
}
const headerPatterns = new Map<string, RegExp>();

const CRLFCRLF = Buffer.from('\r\n\r\n');
const encoder = new TextEncoder();

interface Pending {
  resolve: (response: HttpResponse) => void;
  reject: (error: Error) => void;
}

export class HttpConnection {
  private socket: Socket<undefined> | null = null;
  private pending: Pending | null = null;
  private buffer: Buffer = EMPTY;
  private unsent: Uint8Array | null = null;
  // Parse state of the response in progress.
  private head: { status: number; head: string; bodyStart: number; length: number; chunked: boolean; close: boolean } | null = null;
  closed = false;

  private constructor(
    readonly host: string,
    readonly port: number,
  ) {}

  static async open(host: string, port: number, timeoutMs = 5000): Promise<HttpConnection> {
    const connection = new HttpConnection(host, port);
    await connection.connect(timeoutMs);
    return connection;
  }

  private async connect(timeoutMs: number): Promise<void> {
    this.closed = false;
    this.buffer = EMPTY;
    this.head = null;
    const self = this;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const connecting = Bun.connect({
      hostname: this.host,
      port: this.port,
      socket: {
        data(_socket, data) {
          self.onData(data);
        },
        drain(socket) {
          if (self.unsent) {
            const written = socket.write(self.unsent);
            self.unsent = written < self.unsent.length ? self.unsent.subarray(written) : null;
          }
        },
        close() {
          self.onClose(new Error('connection closed by the server'));
        },
        error(_socket, error) {
          self.onClose(error);
        },
        connectError(_socket, error) {
          self.onClose(error);
        },
      },
    });
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`connect to ${this.host}:${this.port} timed out`)), timeoutMs);
    });
    try {
      this.socket = await Promise.race([connecting, timeout]);
      this.socket.setNoDelay?.(true);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends one request (complete HTTP/1.1 bytes) and resolves with the parsed response. */
  async request(bytes: Uint8Array | string): Promise<HttpResponse> {
    if (this.closed || !this.socket) await this.connect(5000);
    if (this.pending) throw new Error('one request at a time per connection');
    const data = typeof bytes === 'string' ? encoder.encode(bytes) : bytes;
    return new Promise<HttpResponse>((resolve, reject) => {
      this.pending = { resolve, reject };
      const written = this.socket!.write(data);
      if (written < data.length) this.unsent = data.subarray(Math.max(0, written));
    });
  }

  close(): void {
    this.closed = true;
    this.socket?.end();
    this.socket = null;
  }

  private onClose(error: Error): void {
    this.closed = true;
    this.socket = null;
    const pending = this.pending;
    this.pending = null;
    pending?.reject(error);
  }

  private onData(data: Buffer): void {
    this.buffer = this.buffer.length === 0 ? data : Buffer.concat([this.buffer, data]);
    this.parse();
  }

  private parse(): void {
    if (!this.head) {
      const end = this.buffer.indexOf(CRLFCRLF);
      if (end < 0) return;
      // Only what framing needs is read here; other headers are looked up on demand (header()).
      const head = this.buffer.toString('latin1', 0, end);
      const status = (this.buffer[9]! - 48) * 100 + (this.buffer[10]! - 48) * 10 + (this.buffer[11]! - 48);
      const chunked = CHUNKED.test(head);
      const length = chunked ? -1 : Number(CONTENT_LENGTH.exec(head)?.[1] ?? 0);
      this.head = { status, head, bodyStart: end + 4, length, chunked, close: CONNECTION_CLOSE.test(head) };
    }
    const head = this.head;
    let body: Buffer;
    let consumed: number;
    if (!head.chunked) {
      if (this.buffer.length < head.bodyStart + head.length) return;
      body = this.buffer.subarray(head.bodyStart, head.bodyStart + head.length);
      consumed = head.bodyStart + head.length;
    } else {
      const parsed = parseChunked(this.buffer, head.bodyStart);
      if (!parsed) return;
      body = parsed.body;
      consumed = parsed.end;
    }
    this.head = null;
    this.buffer = consumed >= this.buffer.length ? EMPTY : this.buffer.subarray(consumed);
    const pending = this.pending;
    this.pending = null;
    if (head.close) {
      this.closed = true;
      this.socket?.end();
      this.socket = null;
    }
    pending?.resolve({ status: head.status, head: head.head, body });
  }
}

const EMPTY = Buffer.alloc(0);
const CHUNKED = /\r\ntransfer-encoding:[^\r]*chunked/i;
const CONTENT_LENGTH = /\r\ncontent-length:\s*(\d+)/i;
const CONNECTION_CLOSE = /\r\nconnection:\s*close/i;

function parseChunked(buffer: Buffer, start: number): { body: Buffer; end: number } | null {
  const parts: Buffer[] = [];
  let at = start;
  for (;;) {
    const lineEnd = buffer.indexOf('\r\n', at, 'latin1');
    if (lineEnd < 0) return null;
    const size = parseInt(buffer.toString('latin1', at, lineEnd), 16);
    if (Number.isNaN(size)) throw new Error('bad chunk size');
    const dataStart = lineEnd + 2;
    if (size === 0) {
      // Last chunk; no trailers expected: "0\r\n\r\n".
      if (buffer.length < dataStart + 2) return null;
      return { body: Buffer.concat(parts), end: dataStart + 2 };
    }
    if (buffer.length < dataStart + size + 2) return null;
    parts.push(buffer.subarray(dataStart, dataStart + size));
    at = dataStart + size + 2;
  }
}

/** Builds the bytes of one request. `headers` are sent as given; Host and Content-Length are added. */
export function buildRequest(
  method: string,
  host: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Uint8Array {
  let text = `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\n`;
  for (const [name, value] of Object.entries(headers)) text += `${name}: ${value}\r\n`;
  if (body !== undefined) text += `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  else text += '\r\n';
  return encoder.encode(text);
}

export function basicAuth(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}
