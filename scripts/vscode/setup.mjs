#!/usr/bin/env node
// Installs what the real-VS-Code tests need, idempotently, offline (npm registry + Debian only):
//   1. Debian packages: chromium (the browser Playwright drives), ripgrep (VS Code's search binary),
//      libkrb5-dev (headers for the `kerberos` native module), the node-gyp toolchain, and for the
//      debug-session tests python3-debugpy, python3-torch and python3-numpy.
//   2. code-server 4.100.3 (= VS Code 1.100.3) from npm into .vscode-test/code-server, with its
//      postinstall steps done by hand because the real ones download from GitHub.
// See docs/real-vscode.md. Usage: node scripts/vscode/setup.mjs [--force]
// No dependencies beyond Node's built-ins: it runs from a fresh clone before `npm ci` matters.
import { spawnSync } from 'node:child_process';
import {
  readFileSync,
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  readdirSync,
  lstatSync,
  unlinkSync,
} from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.100.3';
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CACHE = join(ROOT, '.vscode-test');
const CS_DIR = join(CACHE, 'code-server');
const CS_BIN = join(CS_DIR, 'node_modules', '.bin', 'code-server');
const LOG = join(CACHE, 'setup.log');

/** Debian package -> why. `dpkg-query` tells which are installed. */
const DEBIAN_PACKAGES = {
  chromium: 'the browser Playwright drives (/usr/bin/chromium)',
  'fonts-liberation': 'fonts for readable screenshots',
  ripgrep: "VS Code's search binary (/usr/bin/rg)",
  'libkrb5-dev': 'headers for the kerberos native module',
  python3: 'node-gyp',
  make: 'node-gyp',
  'g++': 'node-gyp',
  'ca-certificates': 'npm over TLS',
  'python3-debugpy': 'the Python debug adapter the debug-session tests run (python3 -m debugpy.adapter)',
  'python3-torch': 'PyTorch for the debuggee and Verify in PyTorch (/usr/bin/python3)',
  'python3-numpy': 'NumPy arrays in the debuggee',
};

const started = Date.now();
const since = () => `${((Date.now() - started) / 1000).toFixed(0)}s`;
const say = (msg) => console.log(`[setup +${since()}] ${msg}`);

function fail(msg, logTail = true) {
  console.error(`[setup] ERROR: ${msg}`);
  if (logTail && existsSync(LOG)) {
    const tail = spawnSync('tail', ['-n', '40', LOG], { encoding: 'utf8' }).stdout;
    console.error(`[setup] last lines of ${LOG}:\n${tail}`);
  }
  process.exit(1);
}

/**
 * node-gyp must build against the local Node headers: downloading them from nodejs.org fails here.
 * These machines set nodedir=/usr in ~/.npmrc; keep that true when run with another HOME.
 */
const NODE_GYP_ENV =
  !process.env.npm_config_nodedir && existsSync(join(dirname(process.execPath), '..', 'include', 'node', 'node_api.h'))
    ? { npm_config_nodedir: resolve(dirname(process.execPath), '..') }
    : {};

/** The log holds the latest install only: emptied when a run first has work to do. */
let logStarted = false;
function startLog() {
  if (logStarted) return;
  logStarted = true;
  mkdirSync(CACHE, { recursive: true });
  writeFileSync(LOG, `setup.mjs ${new Date().toISOString()}\n`);
}

/** Runs a command, appending its output to the setup log; returns its stdout+stderr. Throws on failure. */
function run(cmd, args, { cwd = ROOT, env = {}, allowFail = false } = {}) {
  startLog();
  appendFileSync(LOG, `\n$ (cd ${cwd} && ${cmd} ${args.join(' ')})\n`);
  const r = spawnSync(cmd, args, {
    cwd,
    env: {
      ...process.env,
      npm_config_yes: 'true',
      npm_config_update_notifier: 'false',
      npm_config_fund: 'false',
      npm_config_audit: 'false',
      ...NODE_GYP_ENV,
      ...env,
    },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  appendFileSync(LOG, out);
  if (r.error) appendFileSync(LOG, `spawn error: ${r.error.message}\n`);
  if (!allowFail && (r.status !== 0 || r.error)) {
    fail(`\`${cmd} ${args.join(' ')}\` in ${cwd} exited with ${r.status ?? r.error?.message}`);
  }
  return { status: r.status, out };
}

/** npm 11 lists dependency install scripts it skipped; surface those lines, they mean a half install. */
function reportSkippedScripts(out, what) {
  const lines = out.split('\n').filter((l) => /install-scripts\s+\S+@\S+/.test(l));
  if (lines.length) say(`note: npm skipped install scripts during ${what}:\n${lines.join('\n')}`);
}

// ---------------------------------------------------------------------------------------------
// 1. Debian packages
// ---------------------------------------------------------------------------------------------
function missingDebianPackages() {
  return Object.keys(DEBIAN_PACKAGES).filter((pkg) => {
    const r = spawnSync('dpkg-query', ['-W', '-f=${db:Status-Status}', pkg], { encoding: 'utf8' });
    return r.status !== 0 || r.stdout.trim() !== 'installed';
  });
}

function ensureDebianPackages() {
  if (process.platform !== 'linux') fail(`only Linux (Debian) is supported, this is ${process.platform}`, false);
  if (spawnSync('dpkg-query', ['--version']).status !== 0)
    fail('dpkg-query not found: this script expects Debian/Ubuntu', false);
  const missing = missingDebianPackages();
  if (missing.length === 0) {
    say(`Debian packages present: ${Object.keys(DEBIAN_PACKAGES).join(', ')}`);
    return;
  }
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    console.error(`[setup] missing Debian packages: ${missing.join(' ')}`);
    for (const pkg of missing) console.error(`  ${pkg}: ${DEBIAN_PACKAGES[pkg]}`);
    console.error(
      `[setup] install them as root, then run this again:\n  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing.join(' ')}`,
    );
    process.exit(2);
  }
  say(`installing Debian packages: ${missing.join(' ')} (apt-get update + install)`);
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update'], { env });
  run('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { env });
  const still = missingDebianPackages();
  if (still.length) fail(`apt-get did not install: ${still.join(' ')}`);
  say('Debian packages installed');
}

// ---------------------------------------------------------------------------------------------
// 2. code-server
// ---------------------------------------------------------------------------------------------
export function installedCodeServerVersion() {
  if (!existsSync(CS_BIN)) return null;
  const r = spawnSync(CS_BIN, ['--version'], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) return null;
  // On its first start code-server may log a line (e.g. "Wrote default config file") before the version.
  const line = r.stdout.split('\n').find((l) => /^\d+\.\d+\.\d+\s/.test(l));
  return line ? line.split(/\s+/)[0] : null;
}

/**
 * npm 11 (allowScripts policy) silently skips dependency install scripts that package.json does not
 * approve, and `--allow-scripts` is refused in a project. These folders are VS Code's own dependency
 * trees whose scripts we want run, so record approval for all of them in the folder's package.json.
 * npm 10 has no such command (and no such policy): then this is a no-op.
 */
function approveInstallScripts(dir) {
  const r = run('npm', ['install-scripts', 'approve', '--all', '--no-allow-scripts-pin'], {
    cwd: dir,
    allowFail: true,
  });
  if (r.status !== 0 && !/Unknown command|unknown command/i.test(r.out)) {
    say(`note: \`npm install-scripts approve --all\` exited ${r.status} in ${dir} (see ${LOG})`);
  }
}

function symlink(target, path) {
  try {
    if (lstatSync(path)) unlinkSync(path);
  } catch {}
  symlinkSync(target, path);
}

/** Native modules whose builds we check after `npm rebuild` (a skipped script leaves them half installed). */
function findNativeBuilds(dir) {
  const found = [];
  const walk = (d, depth) => {
    if (depth > 6) return;
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory() && !e.isSymbolicLink()) walk(p, depth + 1);
      else if (e.name.endsWith('.node')) found.push(p);
    }
  };
  walk(dir, 0);
  return found;
}

function installCodeServer() {
  const have = installedCodeServerVersion();
  if (have === CODE_SERVER_VERSION && !process.argv.includes('--force')) {
    say(`code-server ${CODE_SERVER_VERSION} already installed in ${CS_DIR}`);
    return;
  }
  say(
    have && have !== CODE_SERVER_VERSION
      ? `code-server ${have} found, replacing it with ${CODE_SERVER_VERSION}`
      : have
        ? `reinstalling code-server ${CODE_SERVER_VERSION} (--force)`
        : `installing code-server ${CODE_SERVER_VERSION} into ${CS_DIR} (1-2 min, ~300 MB); log: ${LOG}`,
  );
  rmSync(CS_DIR, { recursive: true, force: true });
  mkdirSync(CS_DIR, { recursive: true });
  // Its own package.json, so npm treats this folder as a separate project (not the extension's).
  writeFileSync(
    join(CS_DIR, 'package.json'),
    JSON.stringify({ name: 'vscode-test-code-server', version: '0.0.0', private: true }, null, 2) + '\n',
  );

  say('npm install --ignore-scripts code-server');
  let r = run('npm', ['install', '--ignore-scripts', '--save-exact', `code-server@${CODE_SERVER_VERSION}`], {
    cwd: CS_DIR,
  });

  say('npm rebuild argon2');
  // Only argon2's build is wanted here; code-server's own postinstall would download from GitHub.
  const pkgPath = join(CS_DIR, 'package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8'));
  pkg.allowScripts = { argon2: true, 'code-server': false };
  writeFileSync(pkgPath, JSON.stringify(pkg, null, 2) + '\n');
  r = run('npm', ['rebuild', 'argon2'], { cwd: CS_DIR });
  reportSkippedScripts(r.out, 'argon2 rebuild');

  const vscodeDir = join(CS_DIR, 'node_modules', 'code-server', 'lib', 'vscode');
  say('npm install --omit=dev --ignore-scripts in lib/vscode');
  run('npm', ['install', '--omit=dev', '--ignore-scripts'], { cwd: vscodeDir });

  // @vscode/ripgrep's postinstall downloads rg from GitHub; give it Debian's instead.
  const rgDir = join(vscodeDir, 'node_modules', '@vscode', 'ripgrep', 'bin');
  mkdirSync(rgDir, { recursive: true });
  copyFileSync('/usr/bin/rg', join(rgDir, 'rg'));
  say('copied /usr/bin/rg into @vscode/ripgrep');

  say('npm rebuild in lib/vscode (node-gyp: node-pty, spdlog, kerberos, watcher, ...; the slow step)');
  approveInstallScripts(vscodeDir);
  r = run('npm', ['rebuild'], { cwd: vscodeDir, allowFail: true });
  reportSkippedScripts(r.out, 'lib/vscode rebuild');
  if (r.status !== 0) fail('npm rebuild in lib/vscode failed');
  const natives = findNativeBuilds(join(vscodeDir, 'node_modules'));
  for (const mod of ['node-pty', 'spdlog', 'kerberos']) {
    if (!natives.some((p) => p.includes(`${mod}/build/Release`)))
      fail(`native module ${mod} was not built (no build/Release/*.node)`);
  }
  say(`native modules built: ${natives.length} .node files`);

  symlink('node_modules', join(vscodeDir, 'node_modules.asar'));
  symlink('code-linux.sh', join(vscodeDir, 'bin', 'remote-cli', 'code-server'));
  symlink('browser-linux.sh', join(vscodeDir, 'bin', 'helpers', 'browser.sh'));

  say('npm install --omit=dev in lib/vscode/extensions (built-in extensions)');
  const extDir = join(vscodeDir, 'extensions');
  // Its own postinstall (pruning the bundled typescript) runs; its one dependency has no install script.
  r = run('npm', ['install', '--omit=dev'], { cwd: extDir });
  reportSkippedScripts(r.out, 'built-in extensions install');

  const now = installedCodeServerVersion();
  if (now !== CODE_SERVER_VERSION)
    fail(`code-server --version printed ${JSON.stringify(now)}, expected ${CODE_SERVER_VERSION}`);
  say(`code-server ${CODE_SERVER_VERSION} installed`);
}

ensureDebianPackages();
installCodeServer();
const full = spawnSync(CS_BIN, ['--version'], { encoding: 'utf8' })
  .stdout.split('\n')
  .find((l) => l.includes('with Code'));
say(`ready: ${full}`);
