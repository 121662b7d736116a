export const DASHBOARD_VERSION = '0.1.0';
