// @ts-check
'use strict';

// Submit a job and follow it to the end; format its images as Markdown.
// Plain Node (no VS Code), so it is testable with node --test.

const path = require('node:path');
const { RpcError } = require('./client');

/** @typedef {import('./client').Client} Client */

/**
 * @typedef {object} JobUpdate what a job.updated notification carries
 * @property {string} id
 * @property {'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled'} state
 * @property {number} images_done
 * @property {number} image_count
 * @property {number} [attempts]
 * @property {string} [next_attempt_at]
 * @property {{kind: string, message: string} | null} [error]
 */

/**
 * @typedef {object} Job what job.get answers (the fields used here)
 * @property {string} id
 * @property {'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled'} state
 * @property {number} images_done
 * @property {number} image_count
 * @property {{index: number, state: string, path?: string}[]} images
 * @property {{kind: string, message: string} | null} error
 * @property {Record<string, any>} [params]
 */

/**
 * @typedef {object} GenerateOptions
 * @property {string} [backend] empty or absent: the daemon's default backend
 * @property {string} [model] empty or absent: the backend's default
 * @property {number} [count] image_count (1 to 100); absent: the daemon's default
 * @property {string} [sampler]
 * @property {string} [negativePrompt]
 * @property {string[]} [labels]
 * @property {string} [outputDir] an absolute folder
 * @property {Record<string, any>} [params] more job.submit parameters, as the protocol names them
 * @property {AbortSignal} [signal] aborting cancels the job (job.cancel)
 * @property {number} [timeoutMs] give up following the job after this (the job goes on); 0 or absent: no limit
 * @property {number} [callTimeoutMs] the timeout of each call (default: the client's)
 */

const FINISHED = new Set(['succeeded', 'failed', 'cancelled']);

/**
 * Submits a job and follows it: job.updated notifications, plus a job.get
 * once subscribed (a job that finishes before its first notification is not
 * missed) and again after dropped events or a reconnection. Resolves with the
 * finished job (job.get: image paths included) when it succeeded; rejects
 * with an RpcError otherwise: `reason` 'cancelled' or the failure's kind, and
 * `job` the finished job.
 *
 * @param {Client} client
 * @param {string} prompt
 * @param {GenerateOptions} [options]
 * @param {(update: JobUpdate) => void} [onProgress] called with the submitted job, then every change
 * @returns {Promise<Job>}
 */
function generate(client, prompt, options = {}, onProgress = () => {}) {
  /** @type {Record<string, any>} */
  const params = { prompt };
  if (options.backend) params.backend = options.backend;
  if (options.model) params.model = options.model;
  if (options.count !== undefined) params.image_count = options.count;
  if (options.sampler) params.sampler = options.sampler;
  if (options.negativePrompt) params.negative_prompt = options.negativePrompt;
  if (options.labels && options.labels.length > 0) params.labels = options.labels;
  if (options.outputDir) params.output_dir = options.outputDir;
  Object.assign(params, options.params || {});
  const callOptions = options.callTimeoutMs === undefined ? {} : { timeoutMs: options.callTimeoutMs };
  const signal = options.signal;

  return new Promise((resolve, reject) => {
    /** @type {string | undefined} */
    let id;
    /** @type {JobUpdate[]} */
    const early = [];
    let done = false;
    let finishing = false;
    let cancelSent = false;
    let lastSeen = '';
    let notifications = 0;
    /** @type {NodeJS.Timeout | undefined} */
    let timer;

    const cleanUp = () => {
      done = true;
      client.off('job.updated', onUpdate);
      client.off('events.dropped', resync);
      client.off('connect', onConnect);
      client.off('disconnect', resync);
      client.off('close', onClose);
      if (signal) signal.removeEventListener('abort', onAbort);
      if (timer) clearTimeout(timer);
    };
    /** @param {Job} job */
    const succeed = (job) => {
      if (done) return;
      cleanUp();
      resolve(job);
    };
    /** @param {Error} error */
    const fail = (error) => {
      if (done) return;
      cleanUp();
      reject(error);
    };

    /** @param {JobUpdate} update */
    const report = (update) => {
      const key = `${update.state} ${update.images_done}/${update.image_count} ${update.attempts ?? 0}`;
      if (key === lastSeen) return;
      lastSeen = key;
      try {
        onProgress(update);
      } catch {
        // a failing callback does not stop the job being followed
      }
    };

    /** @param {Job} job */
    const finish = (job) => {
      if (job.state === 'succeeded') {
        succeed(job);
      } else if (job.state === 'cancelled') {
        fail(Object.assign(new RpcError(`job ${job.id} was cancelled`, 'ECANCELED', 'cancelled'), { job }));
      } else {
        const message = job.error ? job.error.message : 'the job failed';
        fail(Object.assign(new RpcError(`job ${job.id} failed: ${message}`, 'EJOBFAILED', job.error ? job.error.kind : 'failed'), { job }));
      }
    };

    /** Reads the whole job; ends when it is finished. */
    const resync = () => {
      if (done || id === undefined) return;
      const jobId = id;
      const before = notifications;
      client.call('job.get', { id: jobId }, callOptions).then(
        (/** @type {Job} */ job) => {
          if (done) return;
          // Notifications that came meanwhile are newer than this answer
          // (a reply settles a promise, a notification is emitted at once).
          if (notifications === before || FINISHED.has(job.state)) report(job);
          if (FINISHED.has(job.state)) finish(job);
        },
        fail,
      );
    };

    /** @param {JobUpdate} update */
    const onUpdate = (update) => {
      if (done || !update || typeof update !== 'object') return;
      if (id === undefined) {
        early.push(update);
        return;
      }
      if (update.id !== id) return;
      notifications += 1;
      report(update);
      // The notification has no image paths: job.get has them.
      if (FINISHED.has(update.state) && !finishing) {
        finishing = true;
        resync();
      }
    };

    /** @param {boolean} reconnected */
    const onConnect = (reconnected) => {
      if (reconnected) resync();
    };
    const onClose = () => fail(new RpcError('the connection to visioncraftd was closed', 'ECONNRESET', 'disconnected'));

    const cancel = () => {
      if (cancelSent || done || id === undefined) return;
      cancelSent = true;
      client.call('job.cancel', { id }, callOptions).then(
        (/** @type {Job} */ job) => { if (FINISHED.has(job.state)) finish(job); },
        (/** @type {RpcError} */ error) => {
          // Finished in the meantime: its notification tells how.
          if (error.reason === 'job_wrong_state') resync();
          else fail(error);
        },
      );
    };
    const onAbort = () => cancel();

    if (signal && signal.aborted) {
      fail(new RpcError('cancelled before the job was submitted', 'ECANCELED', 'cancelled'));
      return;
    }
    client.on('job.updated', onUpdate);
    client.on('events.dropped', resync);
    client.on('connect', onConnect);
    client.on('disconnect', resync);
    client.on('close', onClose);
    if (signal) signal.addEventListener('abort', onAbort);
    if (options.timeoutMs) {
      timer = setTimeout(() => {
        fail(new RpcError(`job ${id ?? '(not submitted)'} did not finish within ${options.timeoutMs} ms`, 'ETIMEDOUT', 'timeout'));
      }, options.timeoutMs);
    }

    // Subscribe first: every change after the submit arrives. Notifications
    // that come before the submit's answer are kept until the id is known.
    client
      .subscribe(callOptions)
      .then(() => client.call('job.submit', params, callOptions))
      .then((/** @type {{id: string, state: JobUpdate['state']}} */ submitted) => {
        if (done) return;
        id = submitted.id;
        report({ id: submitted.id, state: submitted.state, images_done: 0, image_count: params.image_count ?? 0 });
        for (const update of early.splice(0)) onUpdate(update);
        if (signal && signal.aborted) cancel();
        if (!finishing) resync();
      })
      .catch(fail);
  });
}

/**
 * Escapes text for a Markdown image's alt text: one line, brackets and
 * backslashes escaped.
 * @param {string} text
 */
function altText(text) {
  return text.replace(/\s+/g, ' ').trim().replace(/[\\[\]]/g, (c) => `\\${c}`);
}

/**
 * A link destination: <...> when the path has spaces, parentheses or angle
 * brackets (CommonMark), else as is.
 * @param {string} target
 */
function destination(target) {
  if (/[\s()<>]/.test(target)) return `<${target.replace(/[<>]/g, (c) => encodeURIComponent(c))}>`;
  return target;
}

/**
 * The saved images' paths, in index order.
 * @param {Job} job
 * @returns {string[]}
 */
function imagePaths(job) {
  return (job.images || [])
    .filter((image) => typeof image.path === 'string' && image.path.length > 0)
    .sort((a, b) => a.index - b.index)
    .map((image) => /** @type {string} */ (image.path));
}

/**
 * One Markdown image link per saved image, `![prompt](path)`, one a line.
 *
 * @param {Job} job
 * @param {string} prompt the alt text
 * @param {{relativeTo?: string}} [options] relativeTo: a folder (the
 *   document's) to make the paths relative to
 * @returns {string}
 */
function markdownLinks(job, prompt, options = {}) {
  const alt = altText(prompt);
  return imagePaths(job)
    .map((file) => {
      const target = options.relativeTo ? path.relative(options.relativeTo, file).split(path.sep).join('/') : file;
      return `![${alt}](${destination(target)})`;
    })
    .join('\n');
}

/**
 * The text to insert for a finished job, in a `visioncraft.linkStyle`:
 * 'markdown' (absolute paths), 'markdown-relative' (relative to
 * `documentFolder` when there is one) or 'path' (bare paths).
 *
 * @param {Job} job
 * @param {string} prompt
 * @param {string} style
 * @param {string} [documentFolder]
 */
function formatImages(job, prompt, style, documentFolder) {
  if (style === 'path') return imagePaths(job).join('\n');
  if (style === 'markdown-relative' && documentFolder) return markdownLinks(job, prompt, { relativeTo: documentFolder });
  return markdownLinks(job, prompt);
}

module.exports = { generate, markdownLinks, formatImages, imagePaths };
