// The PostgreSQL migrations, imported as text so that the compiled binary carries them. Versions and
// names match the SQLite ones: schema_migrations means the same on both backends.
import { migrationList } from '../../migrate.ts';
import signingKeys from './0001_signing_keys.sql' with { type: 'text' };
import signIn from './0002_sign_in.sql' with { type: 'text' };
import lifecycle from './0003_lifecycle.sql' with { type: 'text' };
import clientCredentials from './0004_client_credentials.sql' with { type: 'text' };
import devicesAndScopes from './0005_devices_and_scopes.sql' with { type: 'text' };
import adapterAndAudit from './0006_adapter_and_audit.sql' with { type: 'text' };

export const POSTGRES_MIGRATIONS = migrationList({
  '0001_signing_keys.sql': signingKeys,
  '0002_sign_in.sql': signIn,
  '0003_lifecycle.sql': lifecycle,
  '0004_client_credentials.sql': clientCredentials,
  '0005_devices_and_scopes.sql': devicesAndScopes,
  '0006_adapter_and_audit.sql': adapterAndAudit,
});
