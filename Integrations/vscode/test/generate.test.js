// @ts-check
'use strict';

const assert = require('node:assert/strict');
const { test } = require('node:test');
const { Client } = require('../lib/client');
const { generate, markdownLinks, formatImages } = require('../lib/generate');
const { startFakeDaemon } = require('../test-support/fake-daemon');

/**
 * A job as job.get answers it.
 * @param {string} id
 * @param {string} state
 * @param {number} count
 * @param {any} [error]
 */
function job(id, state, count, error = null) {
  const saved = state === 'succeeded' ? count : 0;
  return {
    id,
    state,
    image_count: count,
    images_done: saved,
    images: Array.from({ length: count }, (_, index) => ({
      index,
      state: index < saved ? 'saved' : 'pending',
      ...(index < saved ? { path: `/pictures/2026-01-01/${id}-${index + 1}.png` } : {}),
    })),
    attempts: 0,
    error,
  };
}

/**
 * @param {string} id
 * @param {string} state
 * @param {number} done
 * @param {number} count
 */
function update(id, state, done, count) {
  return { id, state, images_done: done, image_count: count, attempts: 0 };
}

test('a job that finishes before any notification is found by the job.get after subscribing', async (t) => {
  const daemon = await startFakeDaemon((request, connection) => {
    switch (request.method) {
      case 'events.subscribe':
        return connection.reply(request.id, { subscribed: true });
      case 'job.submit':
        return connection.reply(request.id, { id: 'FAST', state: 'queued', position: 0, existing: false, ids: ['FAST'] });
      case 'job.get':
        return connection.reply(request.id, job('FAST', 'succeeded', 2));
    }
  });
  t.after(() => daemon.close());
  const client = new Client({ socketPath: daemon.socketPath });
  t.after(() => client.close());
  /** @type {any[]} */
  const progress = [];
  const result = await generate(client, 'a fox', { count: 2, model: 'anything_V5', backend: 'forge' }, (u) => progress.push(u));
  assert.equal(result.state, 'succeeded');
  assert.equal(markdownLinks(result, 'a fox'), '![a fox](/pictures/2026-01-01/FAST-1.png)\n![a fox](/pictures/2026-01-01/FAST-2.png)');
  const methods = daemon.requests.map((entry) => entry.request.method);
  assert.deepEqual(methods, ['events.subscribe', 'job.submit', 'job.get'], 'subscribed before submitting');
  assert.deepEqual(daemon.requests[1].request.params, { prompt: 'a fox', backend: 'forge', model: 'anything_V5', image_count: 2 });
  assert.deepEqual(progress.map((u) => u.state), ['queued', 'succeeded']);
  assert.equal(client.listenerCount('job.updated'), 0, 'listeners removed');
});

test('notifications that come before the submit answer are kept; progress follows them', async (t) => {
  const daemon = await startFakeDaemon((request, connection) => {
    switch (request.method) {
      case 'events.subscribe':
        return connection.reply(request.id, { subscribed: true });
      case 'job.submit':
        // Another job's change, then this one's, all before the answer.
        connection.notify('job.updated', update('OTHER', 'running', 0, 1));
        connection.notify('job.updated', update('J2', 'running', 0, 3));
        connection.notify('job.updated', update('J2', 'running', 1, 3));
        return connection.reply(request.id, { id: 'J2', state: 'queued', position: 0, existing: false, ids: ['J2'] });
      case 'job.get':
        // The first job.get still sees it running; the notifications finish it.
        if (daemon.requests.filter((entry) => entry.request.method === 'job.get').length === 1) {
          connection.reply(request.id, { ...job('J2', 'running', 3), images_done: 1 });
          connection.notify('job.updated', update('J2', 'running', 2, 3));
          connection.notify('job.updated', update('J2', 'running', 3, 3));
          connection.notify('job.updated', update('J2', 'succeeded', 3, 3));
          return;
        }
        return connection.reply(request.id, job('J2', 'succeeded', 3));
    }
  });
  t.after(() => daemon.close());
  const client = new Client({ socketPath: daemon.socketPath });
  t.after(() => client.close());
  /** @type {string[]} */
  const progress = [];
  const result = await generate(client, 'three foxes', { count: 3 }, (u) => progress.push(`${u.state} ${u.images_done}/${u.image_count}`));
  assert.equal(result.images.filter((image) => image.path).length, 3);
  assert.deepEqual(progress, ['queued 0/3', 'running 0/3', 'running 1/3', 'running 2/3', 'running 3/3', 'succeeded 3/3']);
});

test('a failed job rejects with its error kind and the job', async (t) => {
  const failure = { kind: 'invalid', message: 'the request was refused: steps' };
  const daemon = await startFakeDaemon((request, connection) => {
    switch (request.method) {
      case 'events.subscribe':
        return connection.reply(request.id, { subscribed: true });
      case 'job.submit':
        return connection.reply(request.id, { id: 'BAD', state: 'queued', position: 0, existing: false, ids: ['BAD'] });
      case 'job.get':
        return connection.reply(request.id, job('BAD', 'failed', 1, failure));
    }
  });
  t.after(() => daemon.close());
  const client = new Client({ socketPath: daemon.socketPath });
  t.after(() => client.close());
  await assert.rejects(generate(client, 'x'), (error) => {
    assert.equal(/** @type {any} */ (error).reason, 'invalid');
    assert.equal(/** @type {any} */ (error).job.state, 'failed');
    assert.match(/** @type {Error} */ (error).message, /job BAD failed: the request was refused: steps/);
    return true;
  });
});

test('a submit refused by the daemon rejects with its RpcError', async (t) => {
  const daemon = await startFakeDaemon((request, connection) => {
    if (request.method === 'events.subscribe') return connection.reply(request.id, { subscribed: true });
    connection.error(request.id, -32602, 'invalid params: params.image_count: expected 1 to 100', { reason: 'invalid_params', field: 'params.image_count' });
  });
  t.after(() => daemon.close());
  const client = new Client({ socketPath: daemon.socketPath });
  t.after(() => client.close());
  await assert.rejects(generate(client, 'x', { count: 0 }), { code: -32602, reason: 'invalid_params' });
  assert.equal(client.listenerCount('job.updated'), 0);
});

test('aborting the signal cancels the job', async (t) => {
  const daemon = await startFakeDaemon((request, connection) => {
    switch (request.method) {
      case 'events.subscribe':
        return connection.reply(request.id, { subscribed: true });
      case 'job.submit':
        return connection.reply(request.id, { id: 'SLOW', state: 'queued', position: 0, existing: false, ids: ['SLOW'] });
      case 'job.get':
        connection.reply(request.id, job('SLOW', 'running', 1));
        return connection.notify('job.updated', update('SLOW', 'running', 0, 1));
      case 'job.cancel':
        connection.notify('job.updated', update('SLOW', 'cancelled', 0, 1));
        return connection.reply(request.id, job('SLOW', 'cancelled', 1));
    }
  });
  t.after(() => daemon.close());
  const client = new Client({ socketPath: daemon.socketPath });
  t.after(() => client.close());
  const abort = new AbortController();
  const result = generate(client, 'slow', { signal: abort.signal }, (u) => {
    if (u.state === 'running') abort.abort();
  });
  await assert.rejects(result, (error) => {
    assert.equal(/** @type {any} */ (error).reason, 'cancelled');
    assert.equal(/** @type {any} */ (error).job.state, 'cancelled');
    return true;
  });
  const cancels = daemon.requests.filter((entry) => entry.request.method === 'job.cancel');
  assert.deepEqual(cancels.map((entry) => entry.request.params), [{ id: 'SLOW' }]);
});

test('markdownLinks: escaped alt text, index order, paths with spaces, relative paths', () => {
  const finished = {
    id: 'J',
    state: /** @type {const} */ ('succeeded'),
    image_count: 3,
    images_done: 2,
    error: null,
    images: [
      { index: 2, state: 'saved', path: '/home/ada/My Pictures/b (1).png' },
      { index: 1, state: 'failed' },
      { index: 0, state: 'saved', path: '/home/ada/pics/a.png' },
    ],
  };
  assert.equal(
    markdownLinks(finished, '  a [red]\n fox \\ at   dusk '),
    '![a \\[red\\] fox \\\\ at dusk](/home/ada/pics/a.png)\n![a \\[red\\] fox \\\\ at dusk](</home/ada/My Pictures/b (1).png>)',
  );
  assert.equal(markdownLinks(finished, 'p', { relativeTo: '/home/ada/notes' }), '![p](../pics/a.png)\n![p](<../My Pictures/b (1).png>)');
  assert.equal(formatImages(finished, 'p', 'path'), '/home/ada/pics/a.png\n/home/ada/My Pictures/b (1).png');
  assert.equal(formatImages(finished, 'p', 'markdown-relative', '/home/ada/pics'), '![p](a.png)\n![p](<../My Pictures/b (1).png>)');
  assert.equal(formatImages(finished, 'p', 'markdown-relative', undefined), markdownLinks(finished, 'p'), 'an unsaved document: absolute');
  assert.equal(markdownLinks({ ...finished, images: [] }, 'p'), '');
});

test('extension.js loads without VS Code and exports activate and deactivate', () => {
  const extension = require('../extension');
  assert.equal(typeof extension.activate, 'function');
  assert.equal(typeof extension.deactivate, 'function');
  extension.deactivate();
});
