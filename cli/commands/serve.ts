// `idp serve`: run the provider; an empty data dir is initialised first.
import { Command } from 'commander';
import { insecureIssuerWarning } from '../../src/config/insecure_issuer.ts';
import { PATHS } from '../../src/discovery/metadata.ts';
import { IdpError } from '../../src/errors.ts';
import { initialiseInstallation } from '../../src/installation.ts';
import { loggerFor } from '../../src/log.ts';
import { holdRunLock } from '../../src/run_lock.ts';
import { startServer } from '../../src/server.ts';
import { VERSION } from '../../src/version.ts';
import { globalOptions } from '../context.ts';
import { parsePort } from '../options.ts';

interface ServeOptions {
  host?: string;
  port?: number;
  issuer?: string;
  migrate?: boolean;
  tlsCert?: string;
  tlsKey?: string;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('run the OpenID provider (initialises an empty data dir first)')
    .option('--host <host>', 'address to listen on (setting host)')
    .option('--port <port>', 'port to listen on (setting port)', parsePort)
    .option('--issuer <url>', 'public URL of the provider (setting issuer)')
    .option('--tls-cert <file>', 'PEM certificate chain: serve HTTPS directly (setting tls_cert; needs --tls-key)')
    .option('--tls-key <file>', 'PEM private key of --tls-cert (setting tls_key)')
    .option('--migrate', 'apply pending PostgreSQL migrations first (an empty database, and SQLite, need no flag)')
    .action(async (options: ServeOptions, command: Command) => {
      const global = globalOptions(command);
      const installation = await initialiseInstallation({
        ...global,
        env: process.env,
        flags: { host: options.host, port: options.port, issuer: options.issuer, tls_cert: options.tlsCert, tls_key: options.tlsKey },
        ifAlreadyInitialised: 'open',
        migrate: options.migrate === true,
      });
      const { config } = installation;
      const log = loggerFor(config);
      if (installation.created) {
        log.info('initialised a new data dir', { data_dir: config.data_dir, signing_alg: config.signing_alg });
      }
      if (config.key_activation_delay < config.key_reload_interval) {
        log.warn('key_activation_delay is shorter than key_reload_interval: clients may see a new kid before they can fetch it');
      }
      const insecure = insecureIssuerWarning(config.issuer);
      if (insecure.length > 0) {
        process.stderr.write(`\n${insecure.join('\n')}\n\n`);
        log.warn('the issuer is plain http on a host that is not loopback', { issuer: config.issuer });
      }
      const server = await listen(installation, log);
      holdRunLock(config.data_dir); // DATA_DIR/serve.pid until exit: idp restore refuses while it is live
      process.stdout.write(
        [
          `idp ${VERSION} listening on ${server.url}`,
          `  issuer     ${config.issuer}`,
          `  discovery  ${config.issuer}${PATHS.openidConfiguration}`,
          `  data dir   ${config.data_dir}`,
          '',
          'Add a user and a client (from a source checkout, run them as: npm run -s idp -- ...):',
          `  idp user add --username alice --email alice@example.com --data-dir ${config.data_dir}`,
          `  idp client add --name "My app" --redirect-uri http://localhost:3000/callback --data-dir ${config.data_dir}`,
          '',
        ].join('\n'),
      );
      const shutdown = (signal: string) => {
        log.info('shutting down', { signal });
        server.stop().then(
          () => process.exit(0),
          (error: unknown) => {
            log.error('shutdown failed', { reason: (error as Error).message });
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      // SIGHUP re-reads the TLS certificate files (systemd ExecReload); without TLS it keeps its default.
      const { reloadTls } = server;
      if (reloadTls) process.on('SIGHUP', () => void reloadTls('SIGHUP'));
      process.once('SIGINT', () => shutdown('SIGINT'));
    });
}

async function listen(...args: Parameters<typeof startServer>) {
  try {
    return await startServer(...args);
  } catch (error) {
    await args[0].store.close();
    const { host, port } = args[0].config;
    if ((error as { code?: string }).code === 'EADDRINUSE' || /in use/i.test((error as Error).message)) {
      throw new IdpError(`Cannot listen on ${host}:${port}: the port is already in use.`);
    }
    throw error;
  }
}
