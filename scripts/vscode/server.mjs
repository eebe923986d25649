// Starts code-server (= VS Code 1.100.3 served to a browser) for one test run, and launches the
// Chromium that drives it. Shared by run-integration.mjs and run-e2e.mjs. See docs/real-vscode.md.
//
//   const server = await startCodeServer({ workspace, vsix, env });
//   ... server.url, server.port, server.workbenchUrl({ folder, payload }) ...
//   await server.stop();   // kills the whole process group, removes the temp dirs
import { spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CODE_SERVER = join(ROOT, '.vscode-test', 'code-server', 'node_modules', '.bin', 'code-server');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** User settings for every run: quiet, deterministic, nothing that reaches the network. */
const USER_SETTINGS = {
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
  'npm.autoDetect': 'off',
  'chat.commandCenter.enabled': false,
  'chat.disableAIFeatures': true,
  'editor.hover.delay': 300,
  'editor.minimap.enabled': false,
  'files.autoSave': 'off',
  'window.commandCenter': false,
  // VS Code's port-forwarding scan runs `ls -l /proc/[0-9]*/fd/[0-9]*` and reads /proc on the extension host's
  // thread every 2 s (20–80 ms each time): VS Code's own work, which only blurs what the tests measure of Conv
  // Lens's use of that thread. code-server registers a tunnel provider, so turning auto-forwarding off is not
  // enough: the scan stops only when ports are found from terminal output instead of from processes.
  'remote.autoForwardPorts': false,
  'remote.autoForwardPortsSource': 'output',
};

/** The test-only extension that contributes the `debugpy` debugger type (Debian's python3-debugpy adapter). */
export const DEBUGPY_ADAPTER_FIXTURE = join(ROOT, 'test', 'fixtures', 'debugpy-adapter');

/**
 * Packages a test-only extension folder as a VSIX in `outDir` (code-server keeps only one extension development
 * path, so test extensions are installed beside the one under test). Returns the VSIX's path.
 */
export function packageTestExtension(folder, outDir) {
  const out = join(outDir, `${basename(folder)}.vsix`);
  const vsce = join(ROOT, 'node_modules', '.bin', 'vsce');
  const r = spawnSync(vsce, ['package', '--allow-missing-repository', '--skip-license', '--out', out], {
    cwd: folder,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0 || !existsSync(out)) {
    throw new Error(`vsce package in ${folder} failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  }
  return out;
}

/** Throws a helpful error when code-server is not installed yet. */
export function assertInstalled() {
  if (!existsSync(CODE_SERVER)) {
    throw new Error(`code-server is not installed at ${CODE_SERVER}: run \`node scripts/vscode/setup.mjs\` first`);
  }
}

/** Runs scripts/vscode/setup.mjs (idempotent, ~1 s once installed). Exits the process if it fails. */
export function runSetup() {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'vscode', 'setup.mjs')], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('scripts/vscode/setup.mjs failed');
    process.exit(r.status || 1);
  }
}

/** A free TCP port on 127.0.0.1 (the OS picks it; there's a small window before code-server binds it). */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolvePort(port));
    });
  });
}

/** Installs a VSIX into an extensions dir with the code-server CLI. */
export function installExtension(vsix, { userDataDir, extensionsDir }) {
  const r = spawnSync(
    CODE_SERVER,
    ['--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--install-extension', resolve(vsix)],
    {
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  const out = `${r.stdout}${r.stderr}`;
  if (r.status !== 0 || !/successfully installed/i.test(out)) {
    throw new Error(`code-server --install-extension ${vsix} failed (exit ${r.status}):\n${out}`);
  }
  return out.trim();
}

/** `code-server --list-extensions --show-versions` for an extensions dir: ["conv-lens.conv-lens@0.1.0", ...]. */
export function listExtensions({ userDataDir, extensionsDir }) {
  const r = spawnSync(
    CODE_SERVER,
    ['--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--list-extensions', '--show-versions'],
    {
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  if (r.status !== 0)
    throw new Error(`code-server --list-extensions failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^[\w-]+\.[\w-]+(@\S+)?$/.test(l));
}

function tail(text, lines = 60) {
  return text.split('\n').slice(-lines).join('\n');
}

/** Log files under a directory (recursively), newest last, e.g. the extension host's logs in user-data/logs. */
function findLogs(dir) {
  const out = [];
  const walk = (d) => {
    let entries = [];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.log')) out.push(p);
    }
  };
  walk(dir);
  return out.sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs);
}

async function waitForHttp(url, { timeoutMs, child, logText }) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `code-server exited (code ${child.exitCode}, signal ${child.signalCode}) before answering ${url}\n--- code-server log ---\n${tail(logText())}`,
      );
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.status < 500) return;
      lastError = new Error(`HTTP ${res.status}`);
    } catch (e) {
      lastError = e;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `code-server did not answer ${url} within ${timeoutMs} ms (${lastError?.message})\n--- code-server log ---\n${tail(logText())}`,
  );
}

/**
 * Starts code-server on a free loopback port with fresh temporary user-data and extensions dirs.
 * @param {object} opts
 * @param {string} opts.workspace   folder to open by default (absolute or relative to the repo root);
 *                                  served from a fresh copy in the temp dir unless copyWorkspace is false
 * @param {string} [opts.vsix]      a VSIX to install into the fresh extensions dir first
 * @param {string[]} [opts.testExtensions]  test-only extension folders, packaged and installed beside it
 * @param {Record<string,string>} [opts.env]  extra environment for the server (and so the extension host)
 * @param {object} [opts.settings]  extra user settings
 * @param {number} [opts.timeoutMs] how long to wait for HTTP (default 60 s)
 * @param {boolean} [opts.keep]     keep the temp dir after stop() (also: CONV_LENS_KEEP_TMP=1)
 */
export async function startCodeServer({
  workspace,
  vsix,
  testExtensions = [],
  env = {},
  settings = {},
  timeoutMs = 60_000,
  copyWorkspace = true,
  keep = !!process.env.CONV_LENS_KEEP_TMP,
} = {}) {
  assertInstalled();
  const tmp = mkdtempSync(join(tmpdir(), 'conv-lens-code-server-'));
  const userDataDir = join(tmp, 'user-data');
  const extensionsDir = join(tmp, 'extensions');
  const logFile = join(tmp, 'code-server.log');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  writeFileSync(join(userDataDir, 'User', 'settings.json'), JSON.stringify({ ...USER_SETTINGS, ...settings }, null, 2));
  // Our own config file, so ~/.config/code-server/config.yaml (password auth, port 8080) never applies.
  const configFile = join(tmp, 'config.yaml');
  writeFileSync(configFile, 'auth: none\ncert: false\n');
  // Serve a copy of the workspace, so tests that edit and save files never touch the repo's copy.
  let workspaceDir;
  if (workspace) {
    const source = resolve(ROOT, workspace);
    if (!existsSync(source)) throw new Error(`workspace ${source} does not exist`);
    workspaceDir = copyWorkspace ? join(tmp, basename(source)) : source;
    if (copyWorkspace) cpSync(source, workspaceDir, { recursive: true });
  }

  let installOutput;
  if (vsix) installOutput = installExtension(vsix, { userDataDir, extensionsDir });
  for (const folder of testExtensions)
    installExtension(packageTestExtension(folder, tmp), { userDataDir, extensionsDir });

  let lastError;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort();
    const args = [
      '--config',
      configFile,
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--auth',
      'none',
      '--user-data-dir',
      userDataDir,
      '--extensions-dir',
      extensionsDir,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      ...(workspaceDir ? [workspaceDir] : []),
    ];
    const log = createWriteStream(logFile, { flags: 'a' });
    let logBuffer = '';
    const child = spawn(CODE_SERVER, args, {
      cwd: ROOT,
      detached: true, // its own process group, so stop() can kill code-server and every child it spawned
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    const onData = (chunk) => {
      log.write(chunk);
      logBuffer = (logBuffer + chunk.toString()).slice(-200_000);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const exited = new Promise((r) => child.once('exit', r));

    const killGroup = (signal) => {
      try {
        process.kill(-child.pid, signal);
      } catch {}
    };
    // Never leave a server behind, whatever way this process ends: the server is in its own process
    // group, so a Ctrl+C in the terminal (SIGINT to our group) would not reach it by itself.
    const onExit = () => killGroup('SIGKILL');
    const onSignal = (signal) => {
      killGroup('SIGKILL');
      if (!keep) rmSync(tmp, { recursive: true, force: true });
      process.exit(signal === 'SIGINT' ? 130 : 143);
    };
    process.once('exit', onExit);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);

    const logText = () => logBuffer;
    /** The tail of the server log plus the tails of VS Code's own logs (extension host, remote agent). */
    const diagnostics = (lines = 40) => {
      let text = `--- code-server log (${logFile}) ---\n${tail(logBuffer, lines)}`;
      for (const f of findLogs(join(userDataDir, 'logs')).filter((f) => /exthost|remoteagent|server/i.test(f))) {
        try {
          text += `\n--- ${f} ---\n${tail(readFileSync(f, 'utf8'), lines)}`;
        } catch {}
      }
      return text;
    };

    let stopped = false;
    const stop = async ({ removeTmp = !keep } = {}) => {
      if (stopped) return;
      stopped = true;
      process.removeListener('exit', onExit);
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      if (child.exitCode === null && child.signalCode === null) {
        killGroup('SIGTERM');
        const timer = setTimeout(() => killGroup('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      killGroup('SIGKILL'); // stragglers in the group (extension hosts, pty hosts)
      log.end();
      if (removeTmp) rmSync(tmp, { recursive: true, force: true });
    };

    const url = `http://127.0.0.1:${port}`;
    try {
      await waitForHttp(`${url}/healthz`, { timeoutMs, child, logText });
    } catch (e) {
      lastError = e;
      const retry = /EADDRINUSE|address already in use/i.test(e.message) && attempt < 3;
      await stop({ removeTmp: !retry && !keep }); // a retry reuses the dirs (and the installed VSIX)
      if (retry) continue;
      throw e;
    }

    return {
      port,
      url,
      pid: child.pid,
      tmp,
      userDataDir,
      extensionsDir,
      logFile,
      workspace: workspaceDir,
      installOutput,
      logText,
      diagnostics,
      stop,
      /** `vscode-remote://127.0.0.1:PORT/abs/path`, how the workbench names a path on this server. */
      remoteUri: (absPath) => `vscode-remote://127.0.0.1:${port}${resolve(ROOT, absPath)}`,
      /**
       * The workbench URL for a folder, with an optional payload such as
       * [["extensionDevelopmentPath", server.remoteUri(ROOT)], ["extensionTestsPath", server.remoteUri(index)]].
       */
      workbenchUrl: ({ folder = workspaceDir, payload } = {}) => {
        const params = new URLSearchParams();
        if (folder) params.set('folder', resolve(ROOT, folder));
        if (payload) params.set('payload', JSON.stringify(payload));
        return `${url}/?${params.toString()}`;
      },
      listExtensions: () => listExtensions({ userDataDir, extensionsDir }),
    };
  }
  throw lastError;
}

/** Launches headless Debian Chromium through playwright-core (never `npx playwright install`). */
export async function launchBrowser({ headless = !process.env.HEADFUL } = {}) {
  const { chromium } = await import('playwright-core');
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} not found: run \`node scripts/vscode/setup.mjs\` (installs Debian's chromium)`);
  return chromium.launch({ executablePath: CHROMIUM, headless, args: CHROMIUM_ARGS });
}

/** Kills a process group; for runners that spawned something else detached. */
export function killGroup(pid, signal = 'SIGKILL') {
  try {
    process.kill(-pid, signal);
  } catch {}
}
