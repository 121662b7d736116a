import type { Migration } from '../../migrations.js';
import init from './0001_init.js';

export const migrations: Migration[] = [{ version: '0001_init', sql: init }];
