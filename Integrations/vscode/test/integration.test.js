// @ts-check
'use strict';

// Against a live visioncraftd: VISIONCRAFT_SOCKET names it (skipped
// otherwise). VISIONCRAFT_SLOW_SOCKET names a second daemon whose emulator
// answers slowly (--emulator-faults '{"latency_ms":5000}'), for cancelling.
// Tests/EndToEndTests/VSCodeTests.swift starts both and runs this file.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const { test } = require('node:test');
const { Client, RpcError, defaultSocketPath } = require('../lib/client');
const { generate, markdownLinks } = require('../lib/generate');

const socket = process.env.VISIONCRAFT_SOCKET;
const slowSocket = process.env.VISIONCRAFT_SLOW_SOCKET;
const live = socket ? {} : { skip: 'VISIONCRAFT_SOCKET is not set' };
const slow = slowSocket ? {} : { skip: 'VISIONCRAFT_SLOW_SOCKET is not set' };
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

test('live: the socket resolves from VISIONCRAFT_SOCKET and daemon.status answers', live, async (t) => {
  const client = new Client();
  t.after(() => client.close());
  assert.equal(client.socketPath, defaultSocketPath());
  assert.equal(client.socketPath, socket);
  const status = await client.call('daemon.status');
  assert.equal(typeof status.version, 'string');
  assert.equal(status.socket, socket);
  assert.equal(status.upstream.emulator, true);
});

test('live: an error reply is an RpcError with the code and reason', live, async (t) => {
  const client = new Client();
  t.after(() => client.close());
  await assert.rejects(client.call('job.get', { id: '01JD0000000000000000000000' }), (error) => {
    assert.ok(error instanceof RpcError);
    assert.equal(error.code, -32020);
    assert.equal(error.reason, 'job_not_found');
    return true;
  });
  await assert.rejects(client.call('job.submit', { prompt: 'x', image_count: 0 }), { code: -32602, reason: 'invalid_params' });
});

test('live: generate with 2 images gives 2 saved PNG files and Markdown links', live, async (t) => {
  const client = new Client({ timeoutMs: 20000 });
  t.after(() => client.close());
  /** @type {import('../lib/generate').JobUpdate[]} */
  const progress = [];
  const prompt = 'a lighthouse at dusk';
  const job = await generate(client, prompt, { count: 2, timeoutMs: 60000 }, (update) => progress.push(update));
  assert.equal(job.state, 'succeeded');
  assert.equal(job.images_done, 2);
  const paths = job.images.map((image) => image.path);
  assert.equal(paths.length, 2);
  for (const file of paths) {
    assert.ok(file && file.endsWith('.png'), `${file}`);
    const bytes = fs.readFileSync(/** @type {string} */ (file));
    assert.deepEqual(bytes.subarray(0, 8), PNG_SIGNATURE, `${file} is a PNG`);
  }
  assert.equal(progress[0].id, job.id, 'the first progress is the submitted job');
  const last = progress[progress.length - 1];
  assert.deepEqual([last.state, last.images_done, last.image_count], ['succeeded', 2, 2]);
  assert.equal(markdownLinks(job, prompt), paths.map((file) => `![${prompt}](${file})`).join('\n'));
});

test('live: cancelling a slow running job ends in state cancelled', slow, async (t) => {
  const client = new Client({ socketPath: slowSocket, timeoutMs: 20000 });
  t.after(() => client.close());
  const abort = new AbortController();
  /** @type {number | undefined} */
  let abortedAt;
  const result = generate(client, 'a very slow fox', { count: 1, timeoutMs: 60000, signal: abort.signal }, (update) => {
    if (update.state === 'running' && abortedAt === undefined) {
      abortedAt = Date.now();
      abort.abort();
    }
  });
  /** @type {any} */
  let failure;
  await assert.rejects(result, (error) => {
    failure = error;
    return true;
  });
  assert.equal(failure.reason, 'cancelled', `${failure.message}`);
  assert.equal(failure.job.state, 'cancelled');
  assert.ok(abortedAt !== undefined, 'aborted while running');
  // The upstream answers after 5 s: a cancel that waited for it would take that long.
  const elapsed = Date.now() - /** @type {number} */ (abortedAt);
  assert.ok(elapsed < 4500, `cancelled after ${elapsed} ms`);
  const again = await client.call('job.get', { id: failure.job.id });
  assert.equal(again.state, 'cancelled');
});
