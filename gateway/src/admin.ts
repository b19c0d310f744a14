// Entry point for administrative commands on the gateway's host (the CLI's `config` and `backup`):
// the config file and backups, without loading the daemon itself.
export { configPath, loadConfigFile, ConfigError, CONFIG_FILE, type LoadedConfig, type ConfigIssue } from './config/file.js';
export { getConfigValue, setConfigValue, validateConfigFile, parseKeyPath } from './config/edit.js';
export { CONFIG_VERSION, ConfigSchema, SECRET_KEY, type GatewayConfig } from './config/schema.js';
export { configMigrations, migrateDocument, type ConfigMigration } from './config/migrations.js';
export { settingsFromConfig, mergeRunOptions, bindAddress, type ConfigSettings } from './config/apply.js';
export { createBackup, redactConfig, type CreateBackupOptions, type CreateBackupResult } from './backup/create.js';
export { restoreBackup, type RestoreOptions, type RestoreResult } from './backup/restore.js';
export { BACKUP_FORMAT, MANIFEST_FILE, SECRET_TABLES, type BackupManifest } from './backup/manifest.js';
export { readTarGz, writeTarGz, type TarSink, type TarSource } from './backup/tar.js';
export { readLockOwner, InstanceLockedError } from './instance-lock.js';
export { resolveStateDir } from './state-dir.js';
