// @ts-check
'use strict';

// A client for visioncraftd's socket: JSON-RPC 2.0, one JSON message per line
// (NDJSON, UTF-8) over a Unix domain socket. See Protocol/PROTOCOL.md.
// Plain Node (no dependencies, no VS Code), so it is testable with node --test.

const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { EventEmitter } = require('node:events');

/**
 * The socket path, resolved the way the daemon and vcctl resolve it:
 * VISIONCRAFT_SOCKET, else $XDG_RUNTIME_DIR/visioncraft/visioncraftd.sock,
 * else /tmp/visioncraft-$UID/visioncraftd.sock.
 *
 * @param {NodeJS.ProcessEnv} [env]
 * @param {number} [uid]
 * @returns {string}
 */
function defaultSocketPath(env = process.env, uid = process.getuid ? process.getuid() : 0) {
  if (env.VISIONCRAFT_SOCKET) return env.VISIONCRAFT_SOCKET;
  if (env.XDG_RUNTIME_DIR) return path.join(env.XDG_RUNTIME_DIR, 'visioncraft', 'visioncraftd.sock');
  return `/tmp/visioncraft-${uid}/visioncraftd.sock`;
}

/**
 * An error reply from the daemon, or a failure to get one (timeout, closed
 * connection, no daemon).
 *
 * - JSON-RPC errors: `code` is the number (-32020), `reason` is
 *   `data.reason` (`job_not_found`), `data` the whole error data.
 * - Timeouts: `code` 'ETIMEDOUT', `reason` 'timeout'.
 * - A connection that closed with the call in flight: `code` 'ECONNRESET',
 *   `reason` 'disconnected'.
 * - A failed connect keeps Node's `code` (ENOENT, ECONNREFUSED) with
 *   `reason` 'not_running'.
 */
class RpcError extends Error {
  /**
   * @param {string} message
   * @param {number | string | undefined} code
   * @param {string | undefined} reason
   * @param {any} [data]
   * @param {string} [method]
   */
  constructor(message, code, reason, data, method) {
    super(message);
    this.name = 'RpcError';
    /** @type {number | string | undefined} */
    this.code = code;
    /** @type {string | undefined} */
    this.reason = reason;
    /** @type {any} */
    this.data = data;
    /** @type {string | undefined} */
    this.method = method;
  }
}

/**
 * Splits a byte stream into lines at '\n'. Works on bytes, so a UTF-8
 * character split between two chunks is decoded whole. Blank lines (spaces,
 * tabs, '\r') are dropped; a trailing '\r' is JSON whitespace and left in.
 */
class LineSplitter {
  /** @param {number} [maxLineBytes] a longer line throws (the buffer stays bounded) */
  constructor(maxLineBytes = 64 * 1024 * 1024) {
    this.maxLineBytes = maxLineBytes;
    /** @type {Buffer[]} */
    this.parts = [];
    this.size = 0;
  }

  /**
   * The complete lines this chunk ends.
   * @param {Buffer | string} chunk
   * @returns {string[]}
   */
  push(chunk) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    /** @type {string[]} */
    const lines = [];
    let start = 0;
    for (;;) {
      const newline = bytes.indexOf(0x0a, start);
      if (newline === -1) break;
      this.append(bytes.subarray(start, newline));
      this.take(lines);
      start = newline + 1;
    }
    if (start < bytes.length) this.append(bytes.subarray(start));
    return lines;
  }

  /**
   * At end of input: the last line if it had no newline.
   * @returns {string[]}
   */
  end() {
    /** @type {string[]} */
    const lines = [];
    this.take(lines);
    return lines;
  }

  /** @param {Buffer} bytes */
  append(bytes) {
    if (bytes.length === 0) return;
    this.size += bytes.length;
    if (this.size > this.maxLineBytes) {
      this.parts = [];
      this.size = 0;
      throw new RangeError(`a line longer than ${this.maxLineBytes} bytes`);
    }
    this.parts.push(bytes);
  }

  /** @param {string[]} lines */
  take(lines) {
    const line = (this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts)).toString('utf8');
    this.parts = [];
    this.size = 0;
    if (/[^ \t\r]/.test(line)) lines.push(line);
  }
}

/**
 * @typedef {object} ClientOptions
 * @property {string} [socketPath] default: defaultSocketPath()
 * @property {number} [timeoutMs] default timeout of a call, connect included (default 30000; 0: none)
 */

/**
 * @typedef {object} CallOptions
 * @property {number} [timeoutMs] this call's timeout (0: none)
 */

/**
 * @typedef {object} Pending
 * @property {string} method
 * @property {(value: any) => void} resolve
 * @property {(error: Error) => void} reject
 * @property {NodeJS.Timeout | undefined} timer
 * @property {net.Socket | undefined} socket the connection it was sent on
 */

/**
 * A connection to visioncraftd. Calls connect on demand, and connect again
 * after the connection closed (the daemon restarted): the next call opens a
 * new one, subscribed again if this client had subscribed.
 *
 * Events:
 * - 'notification' (method, params): every notification from the daemon;
 * - the notification's method ('job.updated', 'events.dropped') with params;
 * - 'connect' (reconnected: boolean) once a connection is open (and
 *   subscribed again when it is a reconnection);
 * - 'disconnect' when the open connection closes (not by close());
 * - 'close' when close() is called;
 * - 'protocolError' (error, line) for a line that is not a JSON-RPC message.
 *
 * Never emits 'error', so a client without listeners cannot throw from an
 * event.
 */
class Client extends EventEmitter {
  /** @param {ClientOptions} [options] */
  constructor(options = {}) {
    super();
    this.socketPath = options.socketPath || defaultSocketPath();
    this.timeoutMs = options.timeoutMs ?? 30000;
    /** @type {net.Socket | undefined} */
    this.socket = undefined;
    /** @type {Promise<net.Socket> | undefined} */
    this.connecting = undefined;
    /** @type {Map<number, Pending>} */
    this.pending = new Map();
    this.nextId = 1;
    this.subscribed = false;
    this.connections = 0;
    /** Increased by close(), so a connect that was under way is dropped. */
    this.generation = 0;
  }

  /**
   * Calls a method and resolves with its result. Rejects with an RpcError
   * for an error reply, a timeout, a connection that closes first, or no
   * daemon.
   *
   * @param {string} method
   * @param {Record<string, any>} [params]
   * @param {CallOptions} [options]
   * @returns {Promise<any>}
   */
  call(method, params, options = {}) {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      /** @type {Pending} */
      const entry = { method, resolve, reject, timer: undefined, socket: undefined };
      if (timeoutMs > 0) {
        entry.timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new RpcError(`${method}: no answer from visioncraftd within ${timeoutMs} ms`, 'ETIMEDOUT', 'timeout', undefined, method));
        }, timeoutMs);
      }
      this.pending.set(id, entry);
      this.ensureConnected().then(
        (socket) => {
          if (!this.pending.has(id)) return; // timed out while connecting
          entry.socket = socket;
          /** @type {Record<string, any>} */
          const request = { jsonrpc: '2.0', id, method };
          if (params !== undefined) request.params = params;
          socket.write(JSON.stringify(request) + '\n');
        },
        (error) => this.settle(id, undefined, error),
      );
    });
  }

  /**
   * Asks for job.updated notifications on this connection (and on every
   * later one).
   * @param {CallOptions} [options]
   */
  async subscribe(options) {
    this.subscribed = true;
    return this.call('events.subscribe', {}, options);
  }

  /** Stops notifications. */
  async unsubscribe() {
    this.subscribed = false;
    return this.call('events.unsubscribe', {});
  }

  /**
   * Closes the connection; calls in flight reject. A later call connects
   * again.
   */
  close() {
    const socket = this.socket;
    this.socket = undefined;
    this.connecting = undefined;
    this.generation += 1;
    if (socket) socket.destroy();
    this.failAll(undefined, new RpcError('the connection to visioncraftd was closed', 'ECONNRESET', 'disconnected'));
    this.emit('close');
  }

  /** @returns {boolean} whether a connection is open */
  get connected() {
    return this.socket !== undefined;
  }

  /**
   * @private
   * @returns {Promise<net.Socket>}
   */
  ensureConnected() {
    if (this.socket) return Promise.resolve(this.socket);
    if (!this.connecting) {
      const attempt = this.open();
      this.connecting = attempt;
      attempt.then(
        () => { if (this.connecting === attempt) this.connecting = undefined; },
        () => { if (this.connecting === attempt) this.connecting = undefined; },
      );
    }
    return this.connecting;
  }

  /**
   * @private
   * @returns {Promise<net.Socket>}
   */
  open() {
    return new Promise((resolve, reject) => {
      const socketPath = this.socketPath;
      // The daemon checks who connects (SO_PEERCRED); Node cannot ask the
      // kernel who serves, so check the socket file's owner instead.
      try {
        const status = fs.statSync(socketPath);
        const uid = process.getuid ? process.getuid() : undefined;
        if (uid !== undefined && status.uid !== uid && status.uid !== 0 && uid !== 0) {
          reject(new RpcError(`${socketPath} belongs to another user (uid ${status.uid}); refusing to talk to it`, 'EPERM', 'foreign_socket'));
          return;
        }
      } catch (error) {
        const code = /** @type {NodeJS.ErrnoException} */ (error).code;
        reject(new RpcError(`visioncraftd is not running: no socket at ${socketPath} (start it with 'vcctl daemon start')`, code, 'not_running'));
        return;
      }
      const generation = this.generation;
      const socket = net.createConnection(socketPath);
      const splitter = new LineSplitter();
      let opened = false;
      socket.on('connect', () => {
        if (generation !== this.generation) {
          socket.destroy();
          reject(new RpcError('the connection to visioncraftd was closed', 'ECONNRESET', 'disconnected'));
          return;
        }
        opened = true;
        this.socket = socket;
        const reconnected = this.connections > 0;
        this.connections += 1;
        if (reconnected && this.subscribed) {
          // Subscribe again before anything else is sent on the new connection.
          const id = this.nextId++;
          this.pending.set(id, { method: 'events.subscribe', resolve: () => {}, reject: () => {}, timer: undefined, socket });
          socket.write(JSON.stringify({ jsonrpc: '2.0', id, method: 'events.subscribe', params: {} }) + '\n');
        }
        resolve(socket);
        this.emit('connect', reconnected);
      });
      socket.on('data', (chunk) => {
        let lines;
        try {
          lines = splitter.push(chunk);
        } catch (error) {
          socket.destroy(/** @type {Error} */ (error));
          return;
        }
        for (const line of lines) this.receive(line);
      });
      socket.on('end', () => {
        for (const line of splitter.end()) this.receive(line);
      });
      socket.on('error', (error) => {
        if (!opened) {
          const code = /** @type {NodeJS.ErrnoException} */ (error).code;
          reject(new RpcError(`cannot connect to visioncraftd at ${socketPath}: ${error.message}`, code, 'not_running'));
        }
      });
      socket.on('close', () => {
        if (!opened) return;
        const current = this.socket === socket;
        if (current) this.socket = undefined;
        this.failAll(socket, new RpcError('visioncraftd closed the connection', 'ECONNRESET', 'disconnected'));
        if (current) this.emit('disconnect');
      });
    });
  }

  /**
   * @private
   * @param {string} line
   */
  receive(line) {
    let message;
    try {
      message = JSON.parse(line);
    } catch (error) {
      this.emit('protocolError', error, line);
      return;
    }
    for (const item of Array.isArray(message) ? message : [message]) {
      if (item === null || typeof item !== 'object') {
        this.emit('protocolError', new Error('not a JSON-RPC message'), line);
      } else if (typeof item.method === 'string' && !('id' in item)) {
        this.emit('notification', item.method, item.params);
        this.emit(item.method, item.params);
      } else if (typeof item.id === 'number' && this.pending.has(item.id)) {
        const entry = this.pending.get(item.id);
        if ('error' in item && item.error) {
          const error = item.error;
          const data = error.data;
          this.settle(item.id, undefined, new RpcError(String(error.message), error.code, data && data.reason, data, entry && entry.method));
        } else {
          this.settle(item.id, item.result);
        }
      } else if (item.id === null && item.error) {
        // A parse error or an invalid request the daemon could not tie to an id.
        this.emit('protocolError', new RpcError(String(item.error.message), item.error.code, item.error.data && item.error.data.reason, item.error.data), line);
      }
      // A reply to a call that timed out: dropped.
    }
  }

  /**
   * @private
   * @param {number} id
   * @param {any} result
   * @param {Error} [error]
   */
  settle(id, result, error) {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    if (entry.timer) clearTimeout(entry.timer);
    if (error) entry.reject(error);
    else entry.resolve(result);
  }

  /**
   * Rejects the calls sent on `socket` (all calls when undefined).
   * @private
   * @param {net.Socket | undefined} socket
   * @param {Error} error
   */
  failAll(socket, error) {
    for (const [id, entry] of [...this.pending]) {
      if (socket === undefined || entry.socket === socket) this.settle(id, undefined, error);
    }
  }
}

module.exports = { Client, LineSplitter, RpcError, defaultSocketPath };
