// `idp serve`: run the provider; an empty data dir is initialised first.
import { Command } from 'commander';
import { PATHS } from '../../src/discovery/metadata.ts';
import { IdpError } from '../../src/errors.ts';
import { initialiseInstallation } from '../../src/installation.ts';
import { createLogger } from '../../src/log.ts';
import { startServer } from '../../src/server.ts';
import { VERSION } from '../../src/version.ts';
import { globalOptions } from '../context.ts';
import { parsePort } from '../options.ts';

interface ServeOptions {
  host?: string;
  port?: number;
  issuer?: string;
  migrate?: boolean;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('run the OpenID provider (initialises an empty data dir first)')
    .option('--host <host>', 'address to listen on (setting host)')
    .option('--port <port>', 'port to listen on (setting port)', parsePort)
    .option('--issuer <url>', 'public URL of the provider (setting issuer)')
    .option('--migrate', 'apply pending PostgreSQL migrations first (an empty database, and SQLite, need no flag)')
    .action(async (options: ServeOptions, command: Command) => {
      const global = globalOptions(command);
      const installation = await initialiseInstallation({
        ...global,
        env: process.env,
        flags: { host: options.host, port: options.port, issuer: options.issuer },
        ifAlreadyInitialised: 'open',
        migrate: options.migrate === true,
      });
      const { config } = installation;
      const log = createLogger(config.log_level);
      if (installation.created) {
        log.info('initialised a new data dir', { data_dir: config.data_dir, signing_alg: config.signing_alg });
      }
      if (config.key_activation_delay < config.key_reload_interval) {
        log.warn('key_activation_delay is shorter than key_reload_interval: clients may see a new kid before they can fetch it');
      }
      const server = await listen(installation, log);
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
