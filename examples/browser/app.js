// The page of `npm run demo:browser` (scripts/demo-browser.ts serves it): puressh connects through
// the WebSocket bridge, shows the server's host key for you to accept, logs in with the demo's
// throwaway key, then offers a shell in xterm.js and the SFTP listing of one directory with upload
// and download. Plain ES modules with no build step: the demo server serves the library's
// single-file bundle as ./puressh.universal.js and @xterm/xterm's as ./xterm.mjs.
//
// It runs under a Content-Security-Policy without 'unsafe-eval' or 'unsafe-inline'.
import { SshClient, isFile, joinPath, parsePrivateKey, webSocketStream } from './puressh.universal.js';
import { Terminal } from './xterm.mjs';

const $ = (id) => document.getElementById(id);
const encoder = new TextEncoder();

/** The page's state, for people (the status line) and for the test (body[data-state]). */
function setState(state, text) {
  document.body.dataset.state = state;
  $('status').textContent = text;
}

function failed(error) {
  setState('failed', `Failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
}

/** Show the host key and wait for the user's Accept or Reject. */
function askUser(target, hostKey) {
  $('target').textContent = target;
  $('keytype').textContent = hostKey.type;
  $('fingerprint').textContent = hostKey.fingerprint;
  $('hostkey-details').hidden = false;
  $('verify').hidden = false;
  setState('verify', 'Is this the server you meant to reach?');
  return new Promise((resolve) => {
    const answer = (accepted) => {
      $('verify').hidden = true;
      setState('connecting', accepted ? 'Host key accepted; logging in…' : 'Host key rejected.');
      resolve(accepted);
    };
    $('accept').addEventListener('click', () => answer(true), { once: true });
    $('reject').addEventListener('click', () => answer(false), { once: true });
  });
}

/**
 * xterm.js writes its theme and cell sizes into <style> elements that it creates while opening.
 * The policy's style-src has no 'unsafe-inline', so those elements get the page's nonce (the
 * server puts a fresh one in the policy and on this page's script tag) as they are created.
 * (xterm.js also gives cells in 24-bit colour a style attribute, which no nonce can allow: under
 * this policy such cells keep the default colour and the browser reports the refusal.)
 */
function openTerminal(term, parent) {
  const nonce = document.querySelector('script[nonce]')?.nonce ?? '';
  const createElement = document.createElement;
  document.createElement = function (name, options) {
    const element = createElement.call(this, name, options);
    if (String(name).toLowerCase() === 'style') element.nonce = nonce;
    return element;
  };
  try {
    term.open(parent);
  } finally {
    delete document.createElement;
  }
}

/** A login shell on a pseudo-terminal of the terminal's size, joined to the terminal both ways. */
async function runShell(client, term) {
  const shell = await client.shell({ pty: { term: 'xterm-256color', cols: term.cols, rows: term.rows } });
  const send = (bytes) => void shell.write(bytes).catch(failed);
  term.onData((text) => send(encoder.encode(text)));
  // Mouse reports in the X10 encoding are bytes, not text.
  term.onBinary((text) => send(Uint8Array.from(text, (c) => c.charCodeAt(0))));
  term.onResize(({ cols, rows }) => void shell.windowChange({ cols, rows }).catch(failed));
  term.focus();
  for (let chunk = await shell.read(); chunk !== null; chunk = await shell.read()) term.write(chunk);
  term.write('\r\n[the shell ended]\r\n');
}

function formatSize(bytes) {
  if (bytes === undefined) return '';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

/** The SFTP side: list one directory, upload into it, download from it. */
class FilePanel {
  constructor(sftp, directory) {
    this.sftp = sftp;
    this.directory = directory;
    $('directory').textContent = directory;
    $('refresh').disabled = false;
    $('refresh').addEventListener('click', () => void this.refresh().catch(failed));
    const upload = $('upload');
    upload.disabled = false;
    upload.addEventListener('change', () => void this.upload([...upload.files]).finally(() => (upload.value = '')));
  }

  async refresh() {
    const entries = await this.sftp.readdir(this.directory);
    entries.sort((a, b) => (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0));
    $('file-list').replaceChildren(...entries.map((entry) => this.row(entry)));
  }

  row(entry) {
    const tr = document.createElement('tr');
    tr.dataset.name = entry.filename;
    const modified = entry.attrs.mtime === undefined ? '' : new Date(entry.attrs.mtime * 1000).toLocaleString();
    tr.append(cell(entry.filename), cell(formatSize(entry.attrs.size), 'size'), cell(modified));
    const actions = cell('');
    if (isFile(entry.attrs)) {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = 'Download';
      button.addEventListener('click', () => void this.download(entry.filename));
      actions.append(button);
    } else tr.firstChild.textContent += '/';
    tr.append(actions);
    return tr;
  }

  async upload(files) {
    try {
      for (const file of files) {
        $('transfer').textContent = `Uploading ${file.name}…`;
        await this.sftp.writeFile(joinPath(this.directory, file.name), new Uint8Array(await file.arrayBuffer()));
        $('transfer').textContent = `Uploaded ${file.name} (${file.size} bytes)`;
      }
      await this.refresh();
    } catch (e) {
      failed(e);
    }
  }

  /** Read the whole file over SFTP, then save it through a link to a Blob of its bytes. */
  async download(name) {
    try {
      $('transfer').textContent = `Downloading ${name}…`;
      const bytes = await this.sftp.readFile(joinPath(this.directory, name));
      const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
      const link = document.createElement('a');
      link.href = url;
      link.download = name;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      $('transfer').textContent = `Downloaded ${name} (${bytes.length} bytes)`;
    } catch (e) {
      failed(e);
    }
  }
}

async function main() {
  // What scripts/demo-browser.ts serves: the bridge's URL, the account, the directory to list.
  const config = await (await fetch('demo.json')).json();
  // Throwaway demo only: the key of a temporary account on a temporary server, fetched from the same origin.
  const privateKey = parsePrivateKey(await (await fetch(config.keyUrl)).text());

  setState('connecting', `Connecting to ${config.target} through ${config.webSocketUrl}…`);
  const client = await SshClient.connect(await webSocketStream(config.webSocketUrl), {
    username: config.username,
    privateKeys: [privateKey],
    // The bridge only relays encrypted bytes: the host key is what proves which server this is.
    hostKeyVerifier: (hostKey) => askUser(config.target, hostKey),
  });
  setState('ready', `Logged in as ${config.username} (${client.authMethod}), ${client.algorithms.cipherCS}`);
  void client.closed.then((error) => (error ? failed(error) : setState('closed', 'Disconnected.')));

  const term = new Terminal({ cols: 80, rows: 24, fontSize: 13, fontFamily: 'ui-monospace, monospace', cursorBlink: true });
  openTerminal(term, $('terminal'));

  const files = new FilePanel(await client.sftp(), config.directory);
  await files.refresh();
  await runShell(client, term);
}

main().catch(failed);
