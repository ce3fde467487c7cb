// @ts-check
'use strict';

// VS Code glue only: the socket client and the job logic are in lib/, plain
// Node modules tested with node --test. `vscode` is required inside
// activate, so requiring this file outside VS Code works too.

const path = require('node:path');
const { Client, defaultSocketPath } = require('./lib/client');
const { generate, formatImages } = require('./lib/generate');

/** @type {Client | undefined} */
let client;
/** @type {string | undefined} the id of the job submitted last */
let lastJobId;

/**
 * The client for the configured socket (a new one when the setting changed).
 * @param {typeof import('vscode')} vscode
 */
function getClient(vscode) {
  const configured = vscode.workspace.getConfiguration('visioncraft').get('socketPath', '');
  const socketPath = configured || defaultSocketPath();
  if (!client || client.socketPath !== socketPath) {
    if (client) client.close();
    client = new Client({ socketPath, timeoutMs: 30000 });
  }
  return client;
}

/**
 * A message for an error from the client or the daemon.
 * @param {any} error
 */
function describe(error) {
  const reason = error && error.reason ? ` (${error.reason})` : '';
  return `VisionCraft: ${error && error.message ? error.message : String(error)}${reason}`;
}

/**
 * VisionCraft: Generate image from selection.
 * @param {typeof import('vscode')} vscode
 */
async function generateFromSelection(vscode) {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    vscode.window.showWarningMessage('VisionCraft: open a file and select a prompt first.');
    return;
  }
  const document = editor.document;
  const selection = editor.selection;
  const line = document.lineAt(selection.active.line);
  const prompt = (selection.isEmpty ? line.text : document.getText(selection)).trim();
  if (!prompt) {
    vscode.window.showWarningMessage('VisionCraft: the selection (or the current line) is empty; it is the prompt.');
    return;
  }
  // The links go after the selection, or after the current line.
  const insertAt = selection.isEmpty ? line.range.end : selection.end;

  const settings = vscode.workspace.getConfiguration('visioncraft');
  const model = settings.get('model', '');
  const backend = settings.get('backend', '');
  const count = settings.get('count', 1);
  const linkStyle = settings.get('linkStyle', 'markdown');
  const rpc = getClient(vscode);

  /** @type {import('./lib/generate').Job} */
  let job;
  try {
    job = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'VisionCraft', cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        const subscription = token.onCancellationRequested(() => abort.abort());
        let reported = 0;
        progress.report({ message: 'submitting…' });
        try {
          return await generate(rpc, prompt, { backend, model, count, signal: abort.signal }, (update) => {
            lastJobId = update.id;
            const total = update.image_count || count;
            const percent = total > 0 ? (100 * update.images_done) / total : 0;
            const waiting = update.error && update.state === 'queued' ? ` (waiting: ${update.error.message})` : '';
            progress.report({
              message: `${update.state}: ${update.images_done}/${total} images${waiting}`,
              increment: Math.max(0, percent - reported),
            });
            reported = Math.max(reported, percent);
          });
        } finally {
          subscription.dispose();
        }
      },
    );
  } catch (error) {
    const reason = /** @type {any} */ (error).reason;
    if (reason === 'cancelled') vscode.window.showInformationMessage(`VisionCraft: ${/** @type {Error} */ (error).message}.`);
    else vscode.window.showErrorMessage(describe(error));
    return;
  }

  const folder = document.uri.scheme === 'file' ? path.dirname(document.uri.fsPath) : undefined;
  const text = formatImages(job, prompt, linkStyle, folder);
  if (!text) {
    vscode.window.showWarningMessage(`VisionCraft: job ${job.id} succeeded without saved images.`);
    return;
  }
  // A WorkspaceEdit works even when the editor is no longer visible.
  const edit = new vscode.WorkspaceEdit();
  edit.insert(document.uri, document.validatePosition(insertAt), `\n\n${text}\n`);
  await vscode.workspace.applyEdit(edit);
}

/**
 * VisionCraft: Cancel last job.
 * @param {typeof import('vscode')} vscode
 */
async function cancelLastJob(vscode) {
  if (!lastJobId) {
    vscode.window.showInformationMessage('VisionCraft: no job was submitted from this window.');
    return;
  }
  try {
    const job = await getClient(vscode).call('job.cancel', { id: lastJobId });
    vscode.window.showInformationMessage(`VisionCraft: job ${job.id} is ${job.state}.`);
  } catch (error) {
    if (/** @type {any} */ (error).reason === 'job_wrong_state') {
      vscode.window.showInformationMessage(`VisionCraft: job ${lastJobId} already finished (${/** @type {any} */ (error).data.state}).`);
    } else {
      vscode.window.showErrorMessage(describe(error));
    }
  }
}

/** @param {import('vscode').ExtensionContext} context */
function activate(context) {
  const vscode = require('vscode');
  context.subscriptions.push(
    vscode.commands.registerCommand('visioncraft.generateFromSelection', () => generateFromSelection(vscode)),
    vscode.commands.registerCommand('visioncraft.cancelLastJob', () => cancelLastJob(vscode)),
    { dispose: () => deactivate() },
  );
}

function deactivate() {
  if (client) client.close();
  client = undefined;
}

module.exports = { activate, deactivate };
