import type pg from 'pg';
import { type Run, SqlCustomers, SqlInsights } from '../insights-store.js';

function runner(pool: pg.Pool): Run {
  return async (text, params) => (await pool.query(text, params as unknown[])).rows;
}

export const postgresInsights = (pool: pg.Pool) => new SqlInsights('postgres', runner(pool));
export const postgresCustomers = (pool: pg.Pool) => new SqlCustomers('postgres', runner(pool));
