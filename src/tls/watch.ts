// Notices that certificate files changed on disk, by polling their metadata every few seconds.
// Polling (not fs.watch) because renewals replace files in ways inotify reports unevenly: certbot swaps
// symlinks in live/, Kubernetes swaps a ..data symlink, cp rewrites in place. stat() follows symlinks,
// so each of those changes the signature. A change is acted on once it has held for one whole poll,
// so a half-written pair (new certificate, old key) is not tried between the two writes.
import { statSync } from 'node:fs';

export const TLS_POLL_INTERVAL_MS = 2_000;

export interface WatchOptions {
  intervalMs?: number;
  /** Called once per settled change; errors are the caller's to log. */
  onChange(): void;
}

export interface FileWatch {
  /** Takes the files as they are now as seen (after a reload the caller did on its own, e.g. SIGHUP). */
  markSeen(): void;
  stop(): void;
}

/** Device, inode, size and modification time of each file (following symlinks); 'missing' when absent. */
export function fileSignature(paths: readonly string[]): string {
  return paths
    .map((path) => {
      try {
        const stat = statSync(path);
        return `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}`;
      } catch {
        return 'missing';
      }
    })
    .join('|');
}

export function watchFiles(paths: readonly string[], options: WatchOptions): FileWatch {
  let applied = fileSignature(paths);
  let lastSeen = applied;
  const timer = setInterval(() => {
    const now = fileSignature(paths);
    const settled = now === lastSeen;
    lastSeen = now;
    if (!settled || now === applied) return;
    applied = now;
    options.onChange();
  }, options.intervalMs ?? TLS_POLL_INTERVAL_MS);
  // The poll never keeps the process alive on its own.
  timer.unref();
  return {
    markSeen() {
      applied = lastSeen = fileSignature(paths);
    },
    stop: () => clearInterval(timer),
  };
}
