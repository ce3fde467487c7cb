// @ts-check
'use strict';

// A stand-in for visioncraftd in unit tests: a net server on a Unix socket in
// a temporary folder that hands each request to a handler. Kept outside
// test/ because node --test runs every .js file under a folder named test.

const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { LineSplitter } = require('../lib/client');

/**
 * @typedef {object} Connection
 * @property {number} number 1 for the first connection
 * @property {net.Socket} socket
 * @property {(message: any) => void} send writes one message as a line
 * @property {(bytes: string | Buffer) => void} raw writes bytes as they are
 * @property {(id: any, result: any) => void} reply
 * @property {(id: any, code: number, message: string, data?: any) => void} error
 * @property {(method: string, params: any) => void} notify
 */

/**
 * @typedef {(request: any, connection: Connection) => void} Handler
 */

/**
 * Starts a fake daemon. `requests` records every request received, with the
 * connection's number.
 *
 * @param {Handler} handler
 */
async function startFakeDaemon(handler) {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'vc-vscode-'));
  const socketPath = path.join(folder, 'd.sock');
  /** @type {{connection: number, request: any}[]} */
  const requests = [];
  /** @type {Set<net.Socket>} */
  const sockets = new Set();
  /** @type {((request: any) => void)[]} */
  const waiters = [];
  let count = 0;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    count += 1;
    /** @type {Connection} */
    const connection = {
      number: count,
      socket,
      send: (message) => socket.write(JSON.stringify(message) + '\n'),
      raw: (bytes) => socket.write(bytes),
      reply: (id, result) => connection.send({ jsonrpc: '2.0', id, result }),
      error: (id, code, message, data) => connection.send({ jsonrpc: '2.0', id, error: { code, message, data } }),
      notify: (method, params) => connection.send({ jsonrpc: '2.0', method, params }),
    };
    const splitter = new LineSplitter();
    socket.on('data', (chunk) => {
      for (const line of splitter.push(chunk)) {
        const request = JSON.parse(line);
        requests.push({ connection: connection.number, request });
        for (const waiter of waiters.splice(0)) waiter(request);
        handler(request, connection);
      }
    });
  });
  await new Promise((resolve) => server.listen(socketPath, () => resolve(undefined)));
  return {
    socketPath,
    requests,
    get connections() {
      return count;
    },
    /** Closes every open connection (the server keeps listening). */
    dropConnections() {
      for (const socket of sockets) socket.destroy();
    },
    /**
     * Resolves with the first request (from now on) that `predicate` accepts.
     * @param {(request: any) => boolean} predicate
     * @returns {Promise<any>}
     */
    nextRequest(predicate) {
      return new Promise((resolve) => {
        const waiter = (/** @type {any} */ request) => {
          if (predicate(request)) resolve(request);
          else waiters.push(waiter);
        };
        waiters.push(waiter);
      });
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(() => resolve(undefined)));
      fs.rmSync(folder, { recursive: true, force: true });
    },
  };
}

module.exports = { startFakeDaemon };
