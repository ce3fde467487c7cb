// @ts-check
'use strict';

const assert = require('node:assert/strict');
const { test } = require('node:test');
const { Client, LineSplitter, RpcError, defaultSocketPath } = require('../lib/client');
const { startFakeDaemon } = require('../test-support/fake-daemon');

test('LineSplitter: fragmented input, several messages per chunk, UTF-8 split between chunks', () => {
  const text = '{"a":1}\n{"b":"é€😀"}\r\n\n \t\r\n{"c":[1,2]}\n{"d":true}\n{"last":"no newline"}';
  const bytes = Buffer.from(text, 'utf8');
  const expected = ['{"a":1}', '{"b":"é€😀"}\r', '{"c":[1,2]}', '{"d":true}'];
  // One byte at a time: every multi-byte character is split.
  const bytewise = new LineSplitter();
  /** @type {string[]} */
  const one = [];
  for (let index = 0; index < bytes.length; index += 1) one.push(...bytewise.push(bytes.subarray(index, index + 1)));
  assert.deepEqual(one, expected);
  assert.deepEqual(bytewise.end(), ['{"last":"no newline"}']);
  // Every split point in two chunks, and the whole in one.
  for (let split = 0; split <= bytes.length; split += 1) {
    const splitter = new LineSplitter();
    const lines = [...splitter.push(bytes.subarray(0, split)), ...splitter.push(bytes.subarray(split)), ...splitter.end()];
    assert.deepEqual(lines, [...expected, '{"last":"no newline"}'], `split at ${split}`);
    assert.deepEqual(lines.map((line) => JSON.parse(line)).length, 5);
  }
  assert.deepEqual(new LineSplitter().end(), [], 'nothing left: nothing');
});

test('LineSplitter: a line over the limit throws', () => {
  const splitter = new LineSplitter(8);
  assert.deepEqual(splitter.push('12345\n'), ['12345']);
  assert.throws(() => splitter.push('123456789'), RangeError);
});

test('defaultSocketPath resolves like the daemon', () => {
  assert.equal(defaultSocketPath({ VISIONCRAFT_SOCKET: '/x/y.sock', XDG_RUNTIME_DIR: '/run/user/7' }, 7), '/x/y.sock');
  assert.equal(defaultSocketPath({ XDG_RUNTIME_DIR: '/run/user/7' }, 7), '/run/user/7/visioncraft/visioncraftd.sock');
  assert.equal(defaultSocketPath({ VISIONCRAFT_SOCKET: '', XDG_RUNTIME_DIR: '' }, 1234), '/tmp/visioncraft-1234/visioncraftd.sock');
});

test('pipelined calls, replies out of order and in fragments, notifications between them', async (t) => {
  const daemon = await startFakeDaemon((request, connection) => {
    if (request.method === 'first') {
      // Held back until 'second' has come: its reply goes out first.
      return;
    }
    if (request.method === 'second') {
      const first = daemon.requests.find((entry) => entry.request.method === 'first');
      const text =
        JSON.stringify({ jsonrpc: '2.0', id: request.id, result: { n: 2, text: 'ünïcødé ✓' } }) +
        '\n' +
        JSON.stringify({ jsonrpc: '2.0', method: 'job.updated', params: { id: 'J1', state: 'running', images_done: 0, image_count: 1, attempts: 0 } }) +
        '\r\n\n' +
        JSON.stringify({ jsonrpc: '2.0', id: first && first.request.id, result: { n: 1 } }) +
        '\n';
      const bytes = Buffer.from(text, 'utf8');
      // Written in pieces of 3 bytes, each on a later turn of the event loop.
      let offset = 0;
      const writeNext = () => {
        if (offset >= bytes.length) return;
        connection.raw(bytes.subarray(offset, offset + 3));
        offset += 3;
        setImmediate(writeNext);
      };
      writeNext();
    }
  });
  t.after(() => daemon.close());
  const client = new Client({ socketPath: daemon.socketPath, timeoutMs: 5000 });
  t.after(() => client.close());
  /** @type {any[]} */
  const updates = [];
  /** @type {string[]} */
  const methods = [];
  client.on('job.updated', (params) => updates.push(params));
  client.on('notification', (method) => methods.push(method));
  const [first, second] = await Promise.all([client.call('first', {}), client.call('second')]);
  assert.deepEqual(first, { n: 1 });
  assert.deepEqual(second, { n: 2, text: 'ünïcødé ✓' });
  assert.deepEqual(updates, [{ id: 'J1', state: 'running', images_done: 0, image_count: 1, attempts: 0 }]);
  assert.deepEqual(methods, ['job.updated']);
  assert.equal(daemon.connections, 1, 'one connection for both');
  const sent = daemon.requests.map((entry) => entry.request);
  assert.deepEqual(sent[0], { jsonrpc: '2.0', id: sent[0].id, method: 'first', params: {} });
  assert.equal('params' in sent[1], false, 'no params member when none are given');
});

test('an error reply rejects with an RpcError carrying code, reason and data', async (t) => {
  const daemon = await startFakeDaemon((request, connection) => {
    connection.error(request.id, -32020, `no job ${request.params.id}`, { reason: 'job_not_found', id: request.params.id });
  });
  t.after(() => daemon.close());
  const client = new Client({ socketPath: daemon.socketPath });
  t.after(() => client.close());
  await assert.rejects(client.call('job.get', { id: 'NOPE' }), (error) => {
    assert.ok(error instanceof RpcError);
    assert.ok(error instanceof Error);
    assert.equal(error.code, -32020);
    assert.equal(error.reason, 'job_not_found');
    assert.deepEqual(error.data, { reason: 'job_not_found', id: 'NOPE' });
    assert.equal(error.method, 'job.get');
    assert.equal(error.message, 'no job NOPE');
    return true;
  });
});

test('a call without an answer times out; the connection goes on serving', async (t) => {
  const daemon = await startFakeDaemon((request, connection) => {
    if (request.method === 'daemon.status') connection.reply(request.id, { version: 'fake' });
  });
  t.after(() => daemon.close());
  const client = new Client({ socketPath: daemon.socketPath });
  t.after(() => client.close());
  const started = Date.now();
  await assert.rejects(client.call('test.hang', {}, { timeoutMs: 100 }), (error) => {
    assert.ok(error instanceof RpcError);
    assert.equal(error.code, 'ETIMEDOUT');
    assert.equal(error.reason, 'timeout');
    return true;
  });
  assert.ok(Date.now() - started >= 90, 'not before the timeout');
  assert.deepEqual(await client.call('daemon.status'), { version: 'fake' });
  assert.equal(client.pending.size, 0, 'nothing left pending');
});

test('a dropped connection rejects the calls in flight; the next call reconnects and subscribes again', async (t) => {
  const daemon = await startFakeDaemon((request, connection) => {
    if (request.method === 'events.subscribe') connection.reply(request.id, { subscribed: true });
    if (request.method === 'daemon.status') connection.reply(request.id, { connection: connection.number });
    if (request.method === 'test.drop') connection.socket.destroy();
  });
  t.after(() => daemon.close());
  const client = new Client({ socketPath: daemon.socketPath });
  t.after(() => client.close());
  assert.deepEqual(await client.subscribe(), { subscribed: true });
  const disconnected = new Promise((resolve) => client.once('disconnect', resolve));
  await assert.rejects(client.call('test.drop'), (error) => {
    assert.ok(error instanceof RpcError);
    assert.equal(error.reason, 'disconnected');
    return true;
  });
  await disconnected;
  const reconnected = new Promise((resolve) => client.once('connect', resolve));
  assert.deepEqual(await client.call('daemon.status'), { connection: 2 });
  assert.equal(await reconnected, true, "'connect' says it is a reconnection");
  const second = daemon.requests.filter((entry) => entry.connection === 2).map((entry) => entry.request.method);
  assert.deepEqual(second, ['events.subscribe', 'daemon.status'], 'subscribed again first');
});

test('close() rejects calls in flight and a later call connects again', async (t) => {
  const daemon = await startFakeDaemon((request, connection) => {
    if (request.method === 'daemon.status') connection.reply(request.id, { ok: true });
  });
  t.after(() => daemon.close());
  const client = new Client({ socketPath: daemon.socketPath });
  t.after(() => client.close());
  const hanging = client.call('test.hang');
  await daemon.nextRequest((request) => request.method === 'test.hang');
  client.close();
  await assert.rejects(hanging, { reason: 'disconnected' });
  assert.deepEqual(await client.call('daemon.status'), { ok: true });
  assert.equal(daemon.connections, 2);
});

test('no daemon: the call rejects at once with reason not_running', async () => {
  const client = new Client({ socketPath: '/nonexistent-visioncraft/visioncraftd.sock' });
  await assert.rejects(client.call('daemon.status'), (error) => {
    assert.ok(error instanceof RpcError);
    assert.equal(error.reason, 'not_running');
    assert.equal(error.code, 'ENOENT');
    assert.match(error.message, /not running/);
    return true;
  });
});
