import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CHROMIUM = process.env['KFGUARD_CHROMIUM'] ?? '/usr/bin/chromium';
const INSTALL_TIMEOUT_MS = 8 * 60_000;

/** Flags for a root sandbox with no network: without them Chromium keeps dialling Google's hosts. */
const LAUNCH_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export type ChromiumAvailability = { path: string } | { reason: string };

function canInstall(): string | undefined {
  if (process.platform !== 'linux') return `Chromium is installed from Debian packages, and this is ${process.platform}`;
  if (process.getuid?.() !== 0) return 'installing Chromium needs root (apt-get install chromium)';
  if (spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0) return 'apt-get is not available to install Chromium';
  return undefined;
}

/**
 * Debian's Chromium, installed with apt-get when missing (what the dashboard test needs and the
 * only browser this machine can run: playwright's own download cannot be fetched here).
 */
export function ensureChromium(): ChromiumAvailability {
  if (existsSync(CHROMIUM)) return { path: CHROMIUM };
  const blocker = canInstall();
  if (blocker) return { reason: blocker };
  try {
    const apt = { stdio: 'ignore' as const, timeout: INSTALL_TIMEOUT_MS, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } };
    execFileSync('apt-get', ['update', '-qq'], apt);
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], apt);
  } catch (error) {
    return { reason: `apt-get install chromium failed: ${(error as Error).message.split('\n')[0]}` };
  }
  return existsSync(CHROMIUM) ? { path: CHROMIUM } : { reason: `apt-get installed chromium but ${CHROMIUM} is missing` };
}

export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({ executablePath, headless: true, args: LAUNCH_ARGS });
}
